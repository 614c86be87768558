-- What WhatsApp says of each sender: its messaging limit (per business
-- portfolio since October 2025: business_capability_update) and its
-- number's quality (phone_number_quality_update), kept across restarts.
-- messaging_limit is 0 when unknown, -1 unlimited.
CREATE TABLE sender_states (
    tenant           text        NOT NULL,
    sender           text        NOT NULL,
    messaging_limit  integer     NOT NULL DEFAULT 0,
    limit_at         timestamptz,
    quality          text        NOT NULL DEFAULT '',
    quality_at       timestamptz,
    marketing_paused boolean     NOT NULL DEFAULT false,
    pause_reason     text        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, sender)
);

-- The recipients each sender reached outside a customer service window,
-- with the latest such reach: one row per recipient, so that "already
-- reached in the last 24 hours" is one key lookup and the messaging
-- limit's count an index range of at most the limit's recipients.
CREATE TABLE sender_reach (
    tenant     text        NOT NULL,
    sender     text        NOT NULL,
    recipient  text        NOT NULL,
    reached_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, sender, recipient)
);

CREATE INDEX sender_reach_at ON sender_reach (tenant, sender, reached_at);

-- The pricing a status webhook reports ({category, type, billable}), the
-- recipient's country and the cost from the tenant's rate card, in micros
-- of its currency; charged_at is when a delivered or read report charged
-- the message (NULL: not charged).
ALTER TABLE messages ADD COLUMN pricing_category text   NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pricing_type     text   NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN billable         boolean;
ALTER TABLE messages ADD COLUMN country          text   NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN cost             bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN charged_at       timestamptz;

CREATE INDEX messages_charged ON messages (tenant, charged_at) WHERE charged_at IS NOT NULL;
