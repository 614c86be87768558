-- Shops' checkouts, kept to announce an unfinished one as abandoned once;
-- the members queued for writing back to a source system; and the indexes
-- that let a member's personal data be found to erase it.

CREATE TABLE checkouts (
    tenant       TEXT    NOT NULL,
    token        TEXT    NOT NULL,
    phone        TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    name         TEXT    NOT NULL DEFAULT '',
    total        TEXT    NOT NULL DEFAULT '',
    currency     TEXT    NOT NULL DEFAULT '',
    url          TEXT    NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL,
    completed    INTEGER NOT NULL DEFAULT 0,
    abandoned_at INTEGER,
    PRIMARY KEY (tenant, token)
);

CREATE INDEX checkouts_due ON checkouts (tenant, updated_at, token) WHERE completed = 0 AND abandoned_at IS NULL;
CREATE INDEX checkouts_phone ON checkouts (tenant, phone) WHERE phone <> '';
CREATE INDEX checkouts_email ON checkouts (tenant, email) WHERE email <> '';

CREATE TABLE sync_queue (
    tenant    TEXT    NOT NULL,
    connector TEXT    NOT NULL,
    member_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    queued_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, connector, member_id)
);

CREATE INDEX sync_queue_pending ON sync_queue (tenant, connector, queued_at, member_id);

CREATE INDEX members_tenant_id ON members (tenant, id);
CREATE INDEX inbound_messages_phone ON inbound_messages (tenant, phone) WHERE phone <> '';
CREATE INDEX inbound_messages_user_id ON inbound_messages (tenant, user_id) WHERE user_id <> '';
