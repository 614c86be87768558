-- Membership anniversaries: the last year each was celebrated, and the
-- members by the month and day (UTC) they joined, which the scheduler
-- reads each day to find the anniversaries of the tenant's local date.
ALTER TABLE members ADD COLUMN anniversary_year integer NOT NULL DEFAULT 0;
CREATE INDEX members_joined_day ON members (tenant,
    ((date_part('month', created_at AT TIME ZONE 'UTC') * 100 + date_part('day', created_at AT TIME ZONE 'UTC'))::integer), id);
