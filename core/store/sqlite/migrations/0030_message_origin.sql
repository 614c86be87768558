-- What wrote each message (a notification rule, the chatbot, a campaign),
-- so that analytics can follow a rule's messages from targeted to
-- converted. The funnel reads a period's messages by messages_tenant_created
-- and the orders that followed each message by orders_member.

ALTER TABLE messages ADD COLUMN origin TEXT NOT NULL DEFAULT '';
