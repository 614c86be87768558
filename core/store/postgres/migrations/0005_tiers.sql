-- Tiers: each member's level, since when, when it is next reviewed, and a
-- level set by hand (which the program does not change until it ends).

ALTER TABLE members
    ADD COLUMN tier              text        NOT NULL DEFAULT '',
    ADD COLUMN tier_since        timestamptz,
    ADD COLUMN tier_review_at    timestamptz,
    ADD COLUMN tier_manual_until timestamptz,
    ADD COLUMN tier_manual       boolean     NOT NULL DEFAULT false;

CREATE INDEX members_tier_review ON members (tenant, tier_review_at) WHERE tier_review_at IS NOT NULL;
CREATE INDEX orders_member ON orders (member_id, created_at);
