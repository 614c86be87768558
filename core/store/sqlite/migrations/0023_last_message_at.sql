-- When the last message the chatbot handled was sent (WhatsApp's clock):
-- a message delivered again is answered unless a message sent in a later
-- second was handled. 0 for conversations saved before.
ALTER TABLE conversations ADD COLUMN last_message_at INTEGER NOT NULL DEFAULT 0;
