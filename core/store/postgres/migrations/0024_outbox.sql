-- The message log is the outbox: a message is written as queued, with its
-- command and due time (not_before), in the transaction that caused it, and
-- the sender takes queued and deferred messages as they come due.

DROP INDEX messages_deferred;
CREATE INDEX messages_due ON messages (not_before) WHERE status IN ('queued', 'deferred');
