-- Membership anniversaries: the last year each was celebrated, and the
-- members by the month and day (UTC) they joined, which the scheduler
-- reads each day to find the anniversaries of the tenant's local date.
ALTER TABLE members ADD COLUMN anniversary_year INTEGER NOT NULL DEFAULT 0;
CREATE INDEX members_joined_day ON members (tenant, CAST(strftime('%m%d', created_at / 1000000, 'unixepoch') AS INTEGER), id);
