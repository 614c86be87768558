-- The W3C trace context (traceparent) of a message: the span that queued
-- it until an attempt claims it, then the send attempt's span, which the
-- delivery reports that arrive later link to. Empty when not traced.
ALTER TABLE messages ADD COLUMN trace TEXT NOT NULL DEFAULT '';
