-- When the last message the chatbot handled was sent (WhatsApp's clock):
-- a message delivered again is answered unless a message sent in a later
-- second was handled. NULL for conversations saved before.
ALTER TABLE conversations ADD COLUMN last_message_at timestamptz;
