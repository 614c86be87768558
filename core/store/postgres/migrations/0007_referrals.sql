-- Referrals: each member's own short code (unique in the tenant; members
-- created before this migration get theirs at their next event), the member
-- who referred them, how far the referral went ('', linked, completed), and
-- the qualifying order whose held points the referral waits for.

ALTER TABLE members
    ADD COLUMN referral_code   text NOT NULL DEFAULT '',
    ADD COLUMN referred_by     text NOT NULL DEFAULT '',
    ADD COLUMN referral_status text NOT NULL DEFAULT '',
    ADD COLUMN referral_order  text NOT NULL DEFAULT '';

CREATE UNIQUE INDEX members_referral_code ON members (tenant, referral_code) WHERE referral_code <> '';
CREATE INDEX members_referred_by ON members (tenant, referred_by, created_at) WHERE referred_by <> '';
