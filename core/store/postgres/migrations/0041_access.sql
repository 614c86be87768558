-- Admin API keys and the audit log of admin writes. A key is found by its
-- id (the visible part of its token) and keeps only the SHA-256 of its
-- secret; tenant '*' is an integrator key. The audit log is read per
-- tenant, newest first, a page at a time by id (audit_tenant), filtered by
-- time and key.
CREATE TABLE api_keys (
    id           text        PRIMARY KEY,
    name         text        NOT NULL,
    tenant       text        NOT NULL,
    scope        text        NOT NULL,
    hash         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at);

CREATE TABLE audit_log (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant   text        NOT NULL,
    key_id   text        NOT NULL,
    key_name text        NOT NULL,
    method   text        NOT NULL,
    route    text        NOT NULL,
    path     text        NOT NULL,
    status   integer     NOT NULL,
    at       timestamptz NOT NULL,
    request  jsonb,
    before   jsonb,
    after    jsonb
);

CREATE INDEX audit_tenant ON audit_log (tenant, id);
