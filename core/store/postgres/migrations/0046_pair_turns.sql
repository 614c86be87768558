-- Schedules of one turn at a time shared by the replicas, such as a
-- recipient's pair limit: name holds no personal data (a recipient is
-- hashed); next_us is when the next free turn comes due, idle_us when the
-- schedule is idle again (all its burst due), after which the row is
-- deleted, being the same as no row; taken is whether the last
-- reservation got its turn, for the statement to return. Times are microseconds since the
-- Unix epoch by the database's clock. Rows live a few intervals, so the
-- table stays small and its sweep scans it without an index; an index on
-- idle_us would make every reservation's update a non-HOT one.
CREATE TABLE pair_turns (
    name    text    PRIMARY KEY,
    next_us bigint  NOT NULL,
    idle_us bigint  NOT NULL,
    taken   boolean NOT NULL
);
