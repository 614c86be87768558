-- The chatbot's state per WhatsApp user, found like a contact by phone
-- number or user id; and the consent text a customer was shown in the chat.

CREATE TABLE conversations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant         TEXT    NOT NULL,
    phone          TEXT    NOT NULL DEFAULT '',
    user_id        TEXT    NOT NULL DEFAULT '',
    lang           TEXT    NOT NULL DEFAULT '',
    lang_chosen    INTEGER NOT NULL DEFAULT 0,
    step           TEXT    NOT NULL DEFAULT '',
    reward_id      TEXT    NOT NULL DEFAULT '',
    join_code      TEXT    NOT NULL DEFAULT '',
    join_source    TEXT    NOT NULL DEFAULT '',
    misunderstood  INTEGER NOT NULL DEFAULT 0,
    handoff_until  INTEGER NOT NULL DEFAULT 0,
    handoff_reason TEXT    NOT NULL DEFAULT '',
    last_message_id TEXT   NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL
);

CREATE UNIQUE INDEX conversations_phone ON conversations (tenant, phone) WHERE phone <> '';
CREATE UNIQUE INDEX conversations_user_id ON conversations (tenant, user_id) WHERE user_id <> '';
-- Handoffs reads the conversations ever handed to a person: only those are
-- indexed.
CREATE INDEX conversations_handoff ON conversations (tenant, handoff_until) WHERE handoff_until > 0;

ALTER TABLE contacts ADD COLUMN marketing_text TEXT NOT NULL DEFAULT '';
