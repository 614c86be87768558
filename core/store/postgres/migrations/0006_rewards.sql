-- The rewards catalog: members' redemptions, the codes imported into pools,
-- and how many redemptions count toward each reward's stock. A redemption
-- locks its reward's reward_stock row, so that concurrent redemptions
-- cannot oversell a stock. Spent holds the points a redemption took by
-- expiry date, to give them back with those dates if it is released.

CREATE TABLE redemptions (
    tenant     text        NOT NULL,
    id         text        NOT NULL,
    member_id  text        NOT NULL REFERENCES members (id),
    reward_id  text        NOT NULL,
    cost       bigint      NOT NULL,
    status     text        NOT NULL,
    code       text        NOT NULL DEFAULT '',
    reason     text        NOT NULL DEFAULT '',
    spent      jsonb       NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX redemptions_member ON redemptions (tenant, member_id, created_at);
CREATE UNIQUE INDEX redemptions_code ON redemptions (tenant, reward_id, code) WHERE code <> '';

CREATE TABLE reward_codes (
    tenant        text        NOT NULL,
    reward_id     text        NOT NULL,
    code          text        NOT NULL,
    redemption_id text,
    imported_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant, reward_id, code)
);

CREATE INDEX reward_codes_free ON reward_codes (tenant, reward_id, imported_at, code) WHERE redemption_id IS NULL;

CREATE TABLE reward_stock (
    tenant    text   NOT NULL,
    reward_id text   NOT NULL,
    redeemed  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, reward_id)
);
