-- Broadcasts: each campaign's spec and state, and the members it held out
-- (who get nothing, so that the campaign's lift can be measured). A
-- campaign's messages are in the message log, with the origin
-- "campaign:<name>/<variant>" and one key per campaign and member;
-- messages_campaign finds a campaign's waiting messages to hold, release or
-- skip them.
CREATE TABLE campaigns (
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    spec        BLOB    NOT NULL,
    state       TEXT    NOT NULL,
    start_at    INTEGER NOT NULL DEFAULT 0,
    reason      TEXT    NOT NULL DEFAULT '',
    prepared_at INTEGER NOT NULL DEFAULT 0,
    audience    INTEGER NOT NULL DEFAULT 0,
    held_out    INTEGER NOT NULL DEFAULT 0,
    no_phone    INTEGER NOT NULL DEFAULT 0,
    over_budget INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    cost        INTEGER NOT NULL DEFAULT 0,
    paused_at   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE INDEX campaigns_due ON campaigns (start_at) WHERE state = 'scheduled';

CREATE TABLE campaign_holdouts (
    tenant    TEXT    NOT NULL,
    campaign  TEXT    NOT NULL,
    member_id TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (tenant, campaign, member_id)
) WITHOUT ROWID;

CREATE INDEX messages_campaign ON messages (tenant, origin) WHERE origin LIKE 'campaign:%' AND status IN ('queued', 'deferred');
