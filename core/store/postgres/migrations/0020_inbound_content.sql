-- What a customer sent besides its type and text (a Flow's answer, contact
-- cards, a reaction, a cart, a location, media, the quoted message…): the
-- message.received data as JSON without what the columns hold. Messages
-- recorded before keep none (''). Kept as text, byte for byte as written.

ALTER TABLE inbound_messages ADD COLUMN content text NOT NULL DEFAULT '';

-- Erasures done on a person's request through the admin API, once per
-- request id: who asked, which members (by id alone: nothing names the
-- person) and how many dead letters were erased.

CREATE TABLE privacy_erasures (
    tenant       text        NOT NULL,
    request_id   text        NOT NULL,
    actor        text        NOT NULL DEFAULT '',
    members      text        NOT NULL DEFAULT '[]',
    dead_letters integer     NOT NULL DEFAULT 0,
    at           timestamptz NOT NULL,
    PRIMARY KEY (tenant, request_id)
);
