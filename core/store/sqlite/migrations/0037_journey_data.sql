-- The data of the outcome that entered a member into a journey (JSON), so
-- that its steps can name what the trigger carried: an abandoned
-- checkout's link and total, the points about to expire.
ALTER TABLE journey_states ADD COLUMN data BLOB NOT NULL DEFAULT x'';
