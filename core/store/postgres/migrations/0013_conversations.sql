-- The chatbot's state per WhatsApp user, found like a contact by phone
-- number or user id; and the consent text a customer was shown in the chat.

CREATE TABLE conversations (
    id             bigserial   PRIMARY KEY,
    tenant         text        NOT NULL,
    phone          text        NOT NULL DEFAULT '',
    user_id        text        NOT NULL DEFAULT '',
    lang           text        NOT NULL DEFAULT '',
    lang_chosen    boolean     NOT NULL DEFAULT false,
    step           text        NOT NULL DEFAULT '',
    reward_id      text        NOT NULL DEFAULT '',
    join_code      text        NOT NULL DEFAULT '',
    join_source    text        NOT NULL DEFAULT '',
    misunderstood  integer     NOT NULL DEFAULT 0,
    handoff_until  timestamptz,
    handoff_reason text        NOT NULL DEFAULT '',
    last_message_id text        NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL
);

CREATE UNIQUE INDEX conversations_phone ON conversations (tenant, phone) WHERE phone <> '';
CREATE UNIQUE INDEX conversations_user_id ON conversations (tenant, user_id) WHERE user_id <> '';
-- Handoffs reads the conversations ever handed to a person: only those are
-- indexed.
CREATE INDEX conversations_handoff ON conversations (tenant, handoff_until) WHERE handoff_until IS NOT NULL;

ALTER TABLE contacts ADD COLUMN marketing_text text NOT NULL DEFAULT '';
