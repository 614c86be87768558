-- A member at a journey's wait_for step waits for an event (wait_for:
-- 'reply' or 'order') that counts when it came after wait_since and at or
-- before wait_deadline. journey_states_waiting finds the states to wake when
-- the event came before the deadline.
ALTER TABLE journey_states ADD COLUMN wait_for TEXT NOT NULL DEFAULT '';
ALTER TABLE journey_states ADD COLUMN wait_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journey_states ADD COLUMN wait_deadline INTEGER NOT NULL DEFAULT 0;

CREATE INDEX journey_states_waiting ON journey_states (due_at) WHERE status = 'active' AND wait_for <> '';
