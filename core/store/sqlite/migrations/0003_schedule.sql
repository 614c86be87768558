-- Scheduled work: which lots' expiry was announced, and the leases that let
-- one replica at a time run a piece of scheduled work.

ALTER TABLE lots ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;

CREATE INDEX lots_expiring ON lots (tenant, expires_at)
    WHERE status = 'active' AND remaining > 0 AND expires_at IS NOT NULL AND reminded = 0;

CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
