-- Members' states in the tenants' journeys: one row per journey and member,
-- replaced by each new entry (entry_id), so a member is in a journey at most
-- once at a time. journey_states_due finds the active states whose next
-- step is due.
CREATE TABLE journey_states (
    tenant     text        NOT NULL,
    journey    text        NOT NULL,
    member_id  text        NOT NULL,
    entry_id   text        NOT NULL,
    step       integer     NOT NULL DEFAULT 0,
    due_at     timestamptz NOT NULL,
    status     text        NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    entered_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, journey, member_id)
);

CREATE INDEX journey_states_due ON journey_states (due_at) WHERE status = 'active';
