-- Outbound webhooks: one delivery per tenant, endpoint and message id (the
-- outcome's), so an outcome written twice is delivered once; the due
-- index finds the pending ones. Every attempt is logged; an endpoint's
-- health (failures in a row, disabled) has a row once it was attempted.
-- member_id finds a member's deliveries, whose payloads an erasure empties.
CREATE TABLE webhook_deliveries (
    tenant     text        NOT NULL,
    endpoint   text        NOT NULL,
    id         text        NOT NULL,
    member_id  text        NOT NULL DEFAULT '',
    type       text        NOT NULL,
    payload    bytea       NOT NULL,
    status     text        NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    next_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_code  integer     NOT NULL DEFAULT 0,
    last_error text        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, endpoint, id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant, endpoint, created_at);
CREATE INDEX webhook_deliveries_member ON webhook_deliveries (tenant, member_id) WHERE member_id <> '';

CREATE TABLE webhook_attempts (
    id          bigserial   PRIMARY KEY,
    tenant      text        NOT NULL,
    endpoint    text        NOT NULL,
    delivery_id text        NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer     NOT NULL,
    latency_ms  bigint      NOT NULL,
    error       text        NOT NULL,
    response    text        NOT NULL
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant, endpoint, delivery_id);

CREATE TABLE webhook_endpoints (
    tenant          text        NOT NULL,
    name            text        NOT NULL,
    last_success_at timestamptz,
    last_failure_at timestamptz,
    failing_since   timestamptz,
    failures        integer     NOT NULL DEFAULT 0,
    disabled_at     timestamptz,
    disabled_reason text        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, name)
);
