-- Scheduled work: which lots' expiry was announced, and the leases that let
-- one replica at a time run a piece of scheduled work.

ALTER TABLE lots ADD COLUMN reminded boolean NOT NULL DEFAULT false;

CREATE INDEX lots_expiring ON lots (tenant, expires_at)
    WHERE status = 'active' AND remaining > 0 AND expires_at IS NOT NULL AND NOT reminded;

CREATE TABLE leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
