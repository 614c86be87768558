-- Messages the messaging policy holds back until a time (quiet hours), with
-- the command to send then.

ALTER TABLE messages
    ADD COLUMN not_before timestamptz,
    ADD COLUMN command    bytea;

CREATE INDEX messages_deferred ON messages (not_before) WHERE status = 'deferred';
