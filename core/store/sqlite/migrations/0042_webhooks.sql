-- Outbound webhooks: one delivery per tenant, endpoint and message id (the
-- outcome's), so an outcome written twice is delivered once; the due
-- index finds the pending ones. Every attempt is logged; an endpoint's
-- health (failures in a row, disabled) has a row once it was attempted.
-- member_id finds a member's deliveries, whose payloads an erasure empties.
-- Times are unix microseconds, 0 for none.
CREATE TABLE webhook_deliveries (
    tenant     TEXT    NOT NULL,
    endpoint   TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    member_id  TEXT    NOT NULL DEFAULT '',
    type       TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    status     TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_code  INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, endpoint, id)
) WITHOUT ROWID;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant, endpoint, created_at);
CREATE INDEX webhook_deliveries_member ON webhook_deliveries (tenant, member_id) WHERE member_id <> '';

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT    NOT NULL,
    endpoint    TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    response    TEXT    NOT NULL
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant, endpoint, delivery_id);

CREATE TABLE webhook_endpoints (
    tenant          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    last_success_at INTEGER NOT NULL DEFAULT 0,
    last_failure_at INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    disabled_at     INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
