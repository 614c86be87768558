-- Members' states in the tenants' journeys: one row per journey and member,
-- replaced by each new entry (entry_id), so a member is in a journey at most
-- once at a time. journey_states_due finds the active states whose next
-- step is due.
CREATE TABLE journey_states (
    tenant     TEXT    NOT NULL,
    journey    TEXT    NOT NULL,
    member_id  TEXT    NOT NULL,
    entry_id   TEXT    NOT NULL,
    step       INTEGER NOT NULL DEFAULT 0,
    due_at     INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    entered_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, journey, member_id)
) WITHOUT ROWID;

CREATE INDEX journey_states_due ON journey_states (due_at) WHERE status = 'active';
