-- Times are INTEGER microseconds since the Unix epoch, UTC.

CREATE TABLE members (
    id         TEXT    PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    phone      TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    balance    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant, phone)
);

CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT    NOT NULL,
    member_id     TEXT    NOT NULL REFERENCES members (id),
    event_id      TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    points        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (tenant, event_id, rule)
);

CREATE INDEX ledger_entries_member ON ledger_entries (member_id, id);

CREATE TABLE messages (
    key                 TEXT    PRIMARY KEY,
    tenant              TEXT    NOT NULL,
    member_id           TEXT    NOT NULL DEFAULT '',
    sender              TEXT    NOT NULL DEFAULT '',
    recipient           TEXT    NOT NULL DEFAULT '',
    kind                TEXT    NOT NULL DEFAULT '',
    template            TEXT    NOT NULL DEFAULT '',
    category            TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL DEFAULT '',
    error_code          TEXT    NOT NULL DEFAULT '',
    error               TEXT    NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE INDEX messages_provider_message_id ON messages (tenant, provider_message_id);
CREATE INDEX messages_tenant_created ON messages (tenant, created_at);
CREATE INDEX messages_tenant_member ON messages (tenant, member_id, created_at);
CREATE INDEX messages_tenant_status ON messages (tenant, status, created_at);

CREATE TABLE message_statuses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_key TEXT    NOT NULL REFERENCES messages (key) ON DELETE CASCADE,
    status      TEXT    NOT NULL,
    error_code  TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);

CREATE INDEX message_statuses_message ON message_statuses (message_key, at, id);

CREATE TABLE dead_letters (
    id          TEXT    PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    topic       TEXT    NOT NULL DEFAULT '',
    handler     TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    payload     BLOB    NOT NULL,
    metadata    TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    replayed_at INTEGER
);

CREATE INDEX dead_letters_tenant_created ON dead_letters (tenant, created_at, id);
