-- The rewards catalog: members' redemptions, the codes imported into pools,
-- and how many redemptions count toward each reward's stock. Spent holds,
-- as JSON, the points a redemption took by expiry date, to give them back
-- with those dates if it is released.

CREATE TABLE redemptions (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    member_id  TEXT    NOT NULL REFERENCES members (id),
    reward_id  TEXT    NOT NULL,
    cost       INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    code       TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT '',
    spent      TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX redemptions_member ON redemptions (tenant, member_id, created_at);
CREATE UNIQUE INDEX redemptions_code ON redemptions (tenant, reward_id, code) WHERE code <> '';

CREATE TABLE reward_codes (
    tenant        TEXT    NOT NULL,
    reward_id     TEXT    NOT NULL,
    code          TEXT    NOT NULL,
    redemption_id TEXT,
    imported_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, reward_id, code)
);

CREATE INDEX reward_codes_free ON reward_codes (tenant, reward_id, imported_at, code) WHERE redemption_id IS NULL;

CREATE TABLE reward_stock (
    tenant    TEXT    NOT NULL,
    reward_id TEXT    NOT NULL,
    redeemed  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, reward_id)
);
