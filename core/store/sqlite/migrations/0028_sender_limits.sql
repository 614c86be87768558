-- What WhatsApp says of each sender: its messaging limit (per business
-- portfolio since October 2025: business_capability_update) and its
-- number's quality (phone_number_quality_update), kept across restarts.
-- messaging_limit is 0 when unknown, -1 unlimited; times are 0 when never
-- reported.
CREATE TABLE sender_states (
    tenant           TEXT    NOT NULL,
    sender           TEXT    NOT NULL,
    messaging_limit  INTEGER NOT NULL DEFAULT 0,
    limit_at         INTEGER NOT NULL DEFAULT 0,
    quality          TEXT    NOT NULL DEFAULT '',
    quality_at       INTEGER NOT NULL DEFAULT 0,
    marketing_paused INTEGER NOT NULL DEFAULT 0,
    pause_reason     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, sender)
);

-- The recipients each sender reached outside a customer service window,
-- with the latest such reach: one row per recipient, so that "already
-- reached in the last 24 hours" is one key lookup and the messaging
-- limit's count an index range of at most the limit's recipients.
CREATE TABLE sender_reach (
    tenant     TEXT    NOT NULL,
    sender     TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    reached_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, sender, recipient)
) WITHOUT ROWID;

CREATE INDEX sender_reach_at ON sender_reach (tenant, sender, reached_at);

-- The pricing a status webhook reports ({category, type, billable}), the
-- recipient's country and the cost from the tenant's rate card, in micros
-- of its currency; charged_at is when a delivered or read report charged
-- the message (0: not charged).
ALTER TABLE messages ADD COLUMN pricing_category TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pricing_type     TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN billable         INTEGER;
ALTER TABLE messages ADD COLUMN country          TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN cost             INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN charged_at       INTEGER NOT NULL DEFAULT 0;

CREATE INDEX messages_charged ON messages (tenant, charged_at) WHERE charged_at > 0;
