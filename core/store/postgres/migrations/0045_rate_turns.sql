-- Rates shared by the replicas (a WhatsApp number's messages per second):
-- next_us is when the rate's next free turn comes due, in microseconds
-- since the Unix epoch by the database's clock.
CREATE TABLE rate_turns (
    name    text   PRIMARY KEY,
    next_us bigint NOT NULL
);
