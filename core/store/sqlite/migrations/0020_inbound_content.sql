-- What a customer sent besides its type and text (a Flow's answer, contact
-- cards, a reaction, a cart, a location, media, the quoted message…): the
-- message.received data as JSON without what the columns hold. Messages
-- recorded before keep none ('').

ALTER TABLE inbound_messages ADD COLUMN content TEXT NOT NULL DEFAULT '';

-- Erasures done on a person's request through the admin API, once per
-- request id: who asked, which members (by id alone: nothing names the
-- person) and how many dead letters were erased.

CREATE TABLE privacy_erasures (
    tenant       TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    actor        TEXT    NOT NULL DEFAULT '',
    members      TEXT    NOT NULL DEFAULT '[]',
    dead_letters INTEGER NOT NULL DEFAULT 0,
    at           INTEGER NOT NULL,
    PRIMARY KEY (tenant, request_id)
);
