-- The loyalty program's ledger: lots of points, orders, cap counters and
-- the events already processed. Entries are unique per event, kind and lot
-- (and rule) instead of per event and rule: one event may touch several
-- lots of a rule.

ALTER TABLE members ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ledger_entries_v2 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant         TEXT    NOT NULL,
    member_id      TEXT    NOT NULL REFERENCES members (id),
    event_id       TEXT    NOT NULL,
    rule           TEXT    NOT NULL DEFAULT '',
    kind           TEXT    NOT NULL,
    points         INTEGER NOT NULL,
    pending_points INTEGER NOT NULL DEFAULT 0,
    balance_after  INTEGER NOT NULL,
    pending_after  INTEGER NOT NULL DEFAULT 0,
    lot_id         TEXT    NOT NULL DEFAULT '',
    order_id       TEXT    NOT NULL DEFAULT '',
    ref_event_id   TEXT    NOT NULL DEFAULT '',
    reason         TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant, event_id, kind, lot_id, rule)
);

INSERT INTO ledger_entries_v2 (id, tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at)
SELECT id, tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at FROM ledger_entries;

DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_v2 RENAME TO ledger_entries;
CREATE INDEX ledger_entries_member ON ledger_entries (member_id, id);

CREATE TABLE lots (
    id           TEXT    PRIMARY KEY,
    tenant       TEXT    NOT NULL,
    member_id    TEXT    NOT NULL REFERENCES members (id),
    rule         TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    order_id     TEXT    NOT NULL DEFAULT '',
    points       INTEGER NOT NULL,
    remaining    INTEGER NOT NULL,
    reversed     INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL,
    earned_at    INTEGER NOT NULL,
    activates_at INTEGER,
    expires_at   INTEGER
);

CREATE INDEX lots_member_open ON lots (member_id) WHERE status = 'pending' OR (status = 'active' AND remaining > 0);
CREATE INDEX lots_order ON lots (tenant, order_id) WHERE order_id <> '';
CREATE INDEX lots_due_activation ON lots (tenant, activates_at) WHERE status = 'pending';
CREATE INDEX lots_due_expiry ON lots (tenant, expires_at) WHERE status = 'active' AND remaining > 0 AND expires_at IS NOT NULL;

CREATE TABLE orders (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    member_id  TEXT    NOT NULL REFERENCES members (id),
    event_id   TEXT    NOT NULL,
    total      TEXT    NOT NULL,
    refunded   TEXT    NOT NULL DEFAULT '0',
    currency   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE loyalty_counters (
    tenant    TEXT    NOT NULL,
    member_id TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (tenant, member_id, key)
);

CREATE TABLE processed_events (
    tenant     TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    member_id  TEXT    NOT NULL,
    outcomes   TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, event_id)
);
