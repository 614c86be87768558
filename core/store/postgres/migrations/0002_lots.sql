-- The loyalty program's ledger: lots of points, orders, cap counters and
-- the events already processed. Entries are unique per event, kind, lot and
-- rule instead of per event and rule: one event may touch several lots of a
-- rule. The program writes one entry per event, kind and lot at most, and
-- the rule keeps awards (store.Ledger), which have no lot, unique per event
-- and rule as before, so entries written before this migration still fit
-- the key.

ALTER TABLE members ADD COLUMN pending bigint NOT NULL DEFAULT 0;

ALTER TABLE ledger_entries
    ADD COLUMN pending_points bigint NOT NULL DEFAULT 0,
    ADD COLUMN pending_after  bigint NOT NULL DEFAULT 0,
    ADD COLUMN lot_id         text   NOT NULL DEFAULT '',
    ADD COLUMN order_id       text   NOT NULL DEFAULT '',
    ADD COLUMN ref_event_id   text   NOT NULL DEFAULT '',
    ALTER COLUMN rule SET DEFAULT '',
    DROP CONSTRAINT ledger_entries_tenant_event_id_rule_key,
    ADD CONSTRAINT ledger_entries_event_kind_lot_rule UNIQUE (tenant, event_id, kind, lot_id, rule);

CREATE TABLE lots (
    id           text        PRIMARY KEY,
    tenant       text        NOT NULL,
    member_id    text        NOT NULL REFERENCES members (id),
    rule         text        NOT NULL,
    event_id     text        NOT NULL,
    order_id     text        NOT NULL DEFAULT '',
    points       bigint      NOT NULL,
    remaining    bigint      NOT NULL,
    reversed     bigint      NOT NULL DEFAULT 0,
    status       text        NOT NULL,
    earned_at    timestamptz NOT NULL,
    activates_at timestamptz,
    expires_at   timestamptz
);

CREATE INDEX lots_member_open ON lots (member_id) WHERE status = 'pending' OR (status = 'active' AND remaining > 0);
CREATE INDEX lots_order ON lots (tenant, order_id) WHERE order_id <> '';
CREATE INDEX lots_due_activation ON lots (tenant, activates_at) WHERE status = 'pending';
CREATE INDEX lots_due_expiry ON lots (tenant, expires_at) WHERE status = 'active' AND remaining > 0 AND expires_at IS NOT NULL;

CREATE TABLE orders (
    tenant     text        NOT NULL,
    id         text        NOT NULL,
    member_id  text        NOT NULL REFERENCES members (id),
    event_id   text        NOT NULL,
    total      text        NOT NULL,
    refunded   text        NOT NULL DEFAULT '0',
    currency   text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE loyalty_counters (
    tenant    text   NOT NULL,
    member_id text   NOT NULL,
    key       text   NOT NULL,
    value     bigint NOT NULL,
    PRIMARY KEY (tenant, member_id, key)
);

CREATE TABLE processed_events (
    tenant     text        NOT NULL,
    event_id   text        NOT NULL,
    member_id  text        NOT NULL,
    outcomes   jsonb       NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, event_id)
);
