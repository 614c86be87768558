-- Admin API keys and the audit log of admin writes. A key is found by its
-- id (the visible part of its token) and keeps only the SHA-256 of its
-- secret; tenant '*' is an integrator key. The audit log is read per
-- tenant, newest first, a page at a time by id (audit_tenant), filtered by
-- time and key.
CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    tenant       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    hash         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant   TEXT    NOT NULL,
    key_id   TEXT    NOT NULL,
    key_name TEXT    NOT NULL,
    method   TEXT    NOT NULL,
    route    TEXT    NOT NULL,
    path     TEXT    NOT NULL,
    status   INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    request  TEXT,
    before   TEXT,
    after    TEXT
);

CREATE INDEX audit_tenant ON audit_log (tenant, id);
