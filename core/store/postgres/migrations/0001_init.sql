CREATE TABLE members (
    id         text        PRIMARY KEY,
    tenant     text        NOT NULL,
    phone      text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    email      text        NOT NULL DEFAULT '',
    balance    bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (tenant, phone)
);

CREATE TABLE ledger_entries (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant        text        NOT NULL,
    member_id     text        NOT NULL REFERENCES members (id),
    event_id      text        NOT NULL,
    rule          text        NOT NULL,
    kind          text        NOT NULL,
    points        bigint      NOT NULL,
    balance_after bigint      NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    UNIQUE (tenant, event_id, rule)
);

CREATE INDEX ledger_entries_member ON ledger_entries (member_id, id);

CREATE TABLE messages (
    key                 text        PRIMARY KEY,
    tenant              text        NOT NULL,
    member_id           text        NOT NULL DEFAULT '',
    sender              text        NOT NULL DEFAULT '',
    recipient           text        NOT NULL DEFAULT '',
    kind                text        NOT NULL DEFAULT '',
    template            text        NOT NULL DEFAULT '',
    category            text        NOT NULL DEFAULT '',
    status              text        NOT NULL,
    provider_message_id text        NOT NULL DEFAULT '',
    error_code          text        NOT NULL DEFAULT '',
    error               text        NOT NULL DEFAULT '',
    attempts            integer     NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE INDEX messages_provider_message_id ON messages (tenant, provider_message_id)
    WHERE provider_message_id <> '';
CREATE INDEX messages_tenant_created ON messages (tenant, created_at);
CREATE INDEX messages_tenant_member ON messages (tenant, member_id, created_at);
CREATE INDEX messages_tenant_status ON messages (tenant, status, created_at);

CREATE TABLE message_statuses (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_key text        NOT NULL REFERENCES messages (key) ON DELETE CASCADE,
    status      text        NOT NULL,
    error_code  text        NOT NULL DEFAULT '',
    error       text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL
);

CREATE INDEX message_statuses_message ON message_statuses (message_key, at, id);

CREATE TABLE dead_letters (
    id          text        PRIMARY KEY,
    tenant      text        NOT NULL,
    topic       text        NOT NULL DEFAULT '',
    handler     text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT '',
    payload     bytea       NOT NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    replayed_at timestamptz
);

CREATE INDEX dead_letters_tenant_created ON dead_letters (tenant, created_at, id);
