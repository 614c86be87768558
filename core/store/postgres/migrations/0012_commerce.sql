-- Shops' checkouts, kept to announce an unfinished one as abandoned once;
-- the members queued for writing back to a source system; and the indexes
-- that let a member's personal data be found to erase it.

CREATE TABLE checkouts (
    tenant       text        NOT NULL,
    token        text        NOT NULL,
    phone        text        NOT NULL DEFAULT '',
    email        text        NOT NULL DEFAULT '',
    name         text        NOT NULL DEFAULT '',
    total        text        NOT NULL DEFAULT '',
    currency     text        NOT NULL DEFAULT '',
    url          text        NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    completed    boolean     NOT NULL DEFAULT false,
    abandoned_at timestamptz,
    PRIMARY KEY (tenant, token)
);

CREATE INDEX checkouts_due ON checkouts (tenant, updated_at, token) WHERE NOT completed AND abandoned_at IS NULL;
CREATE INDEX checkouts_phone ON checkouts (tenant, phone) WHERE phone <> '';
CREATE INDEX checkouts_email ON checkouts (tenant, email) WHERE email <> '';

CREATE TABLE sync_queue (
    tenant    text        NOT NULL,
    connector text        NOT NULL,
    member_id text        NOT NULL,
    seq       bigint      NOT NULL,
    queued_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, connector, member_id)
);

CREATE INDEX sync_queue_pending ON sync_queue (tenant, connector, queued_at, member_id);

CREATE INDEX members_tenant_id ON members (tenant, id);
CREATE INDEX inbound_messages_phone ON inbound_messages (tenant, phone) WHERE phone <> '';
CREATE INDEX inbound_messages_user_id ON inbound_messages (tenant, user_id) WHERE user_id <> '';
