-- WhatsApp users' consent, windows and holds, and the inbound message log.

CREATE TABLE contacts (
    id               bigserial   PRIMARY KEY,
    tenant           text        NOT NULL,
    phone            text        NOT NULL DEFAULT '',
    user_id          text        NOT NULL DEFAULT '',
    name             text        NOT NULL DEFAULT '',
    marketing        text        NOT NULL DEFAULT '',
    marketing_at     timestamptz,
    marketing_source text        NOT NULL DEFAULT '',
    last_inbound_at  timestamptz,
    hold_until       timestamptz,
    hold_reason      text        NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL
);

CREATE UNIQUE INDEX contacts_phone ON contacts (tenant, phone) WHERE phone <> '';
CREATE UNIQUE INDEX contacts_user_id ON contacts (tenant, user_id) WHERE user_id <> '';

CREATE TABLE inbound_messages (
    tenant              text        NOT NULL,
    provider_message_id text        NOT NULL,
    phone               text        NOT NULL DEFAULT '',
    user_id             text        NOT NULL DEFAULT '',
    type                text        NOT NULL DEFAULT '',
    text                text        NOT NULL DEFAULT '',
    at                  timestamptz NOT NULL,
    PRIMARY KEY (tenant, provider_message_id)
);

CREATE INDEX messages_tenant_recipient ON messages (tenant, recipient, created_at);
