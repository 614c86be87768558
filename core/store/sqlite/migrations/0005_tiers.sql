-- Tiers: each member's level, since when, when it is next reviewed, and a
-- level set by hand (which the program does not change until it ends).

ALTER TABLE members ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN tier_since INTEGER;
ALTER TABLE members ADD COLUMN tier_review_at INTEGER;
ALTER TABLE members ADD COLUMN tier_manual_until INTEGER;
ALTER TABLE members ADD COLUMN tier_manual INTEGER NOT NULL DEFAULT 0;

CREATE INDEX members_tier_review ON members (tenant, tier_review_at) WHERE tier_review_at IS NOT NULL;
CREATE INDEX orders_member ON orders (member_id, created_at);
