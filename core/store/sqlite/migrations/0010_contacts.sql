-- WhatsApp users' consent, windows and holds, and the inbound message log.

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant           TEXT    NOT NULL,
    phone            TEXT    NOT NULL DEFAULT '',
    user_id          TEXT    NOT NULL DEFAULT '',
    name             TEXT    NOT NULL DEFAULT '',
    marketing        TEXT    NOT NULL DEFAULT '',
    marketing_at     INTEGER NOT NULL DEFAULT 0,
    marketing_source TEXT    NOT NULL DEFAULT '',
    last_inbound_at  INTEGER NOT NULL DEFAULT 0,
    hold_until       INTEGER NOT NULL DEFAULT 0,
    hold_reason      TEXT    NOT NULL DEFAULT '',
    updated_at       INTEGER NOT NULL
);

CREATE UNIQUE INDEX contacts_phone ON contacts (tenant, phone) WHERE phone <> '';
CREATE UNIQUE INDEX contacts_user_id ON contacts (tenant, user_id) WHERE user_id <> '';

CREATE TABLE inbound_messages (
    tenant              TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    phone               TEXT    NOT NULL DEFAULT '',
    user_id             TEXT    NOT NULL DEFAULT '',
    type                TEXT    NOT NULL DEFAULT '',
    text                TEXT    NOT NULL DEFAULT '',
    at                  INTEGER NOT NULL,
    PRIMARY KEY (tenant, provider_message_id)
);

CREATE INDEX messages_tenant_recipient ON messages (tenant, recipient, created_at);
