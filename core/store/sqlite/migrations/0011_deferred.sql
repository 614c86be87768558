-- Messages the messaging policy holds back until a time (quiet hours), with
-- the command to send then.

ALTER TABLE messages ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN command BLOB;

CREATE INDEX messages_deferred ON messages (not_before) WHERE status = 'deferred';
