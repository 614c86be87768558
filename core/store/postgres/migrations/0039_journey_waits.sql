-- A member at a journey's wait_for step waits for an event (wait_for:
-- 'reply' or 'order') that counts when it came after wait_since and at or
-- before wait_deadline. journey_states_waiting finds the states to wake when
-- the event came before the deadline.
ALTER TABLE journey_states ADD COLUMN wait_for text NOT NULL DEFAULT '';
ALTER TABLE journey_states ADD COLUMN wait_since timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';
ALTER TABLE journey_states ADD COLUMN wait_deadline timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';

CREATE INDEX journey_states_waiting ON journey_states (due_at) WHERE status = 'active' AND wait_for <> '';
