-- How a message went out when not as written: fallback_template when its
-- free-form text was replaced by its fallback template (the customer's
-- 24-hour window was closed).

ALTER TABLE messages ADD COLUMN sent_as TEXT NOT NULL DEFAULT '';
