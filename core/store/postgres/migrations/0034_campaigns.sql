-- Broadcasts: each campaign's spec and state, and the members it held out
-- (who get nothing, so that the campaign's lift can be measured). A
-- campaign's messages are in the message log, with the origin
-- "campaign:<name>/<variant>" and one key per campaign and member;
-- messages_campaign finds a campaign's waiting messages to hold, release or
-- skip them.
CREATE TABLE campaigns (
    tenant      text        NOT NULL,
    name        text        NOT NULL,
    spec        bytea       NOT NULL,
    state       text        NOT NULL,
    start_at    timestamptz,
    reason      text        NOT NULL DEFAULT '',
    prepared_at timestamptz,
    audience    bigint      NOT NULL DEFAULT 0,
    held_out    bigint      NOT NULL DEFAULT 0,
    no_phone    bigint      NOT NULL DEFAULT 0,
    over_budget bigint      NOT NULL DEFAULT 0,
    failed      bigint      NOT NULL DEFAULT 0,
    cost        bigint      NOT NULL DEFAULT 0,
    paused_at   timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE INDEX campaigns_due ON campaigns (start_at) WHERE state = 'scheduled';

CREATE TABLE campaign_holdouts (
    tenant    text        NOT NULL,
    campaign  text        NOT NULL,
    member_id text        NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (tenant, campaign, member_id)
);

CREATE INDEX messages_campaign ON messages (tenant, origin) WHERE origin LIKE 'campaign:%' AND status IN ('queued', 'deferred');
