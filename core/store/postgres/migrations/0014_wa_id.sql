-- The wa_id WhatsApp last gave for a contact, exactly as given: it may be
-- another form of the number the contact is keyed by (Brazil's mobiles
-- without the ninth digit, Mexico's 521), and messages go to it. A contact
-- that wrote before gets its number's digits, the form the hub answered.
-- Stored numbers need no rekeying: they were all valid by phonenumbers'
-- metadata, which the joined forms (eight-digit Brazilian mobiles, 521…)
-- are not, so every stored number is its own canonical key already.

ALTER TABLE contacts ADD COLUMN wa_id text NOT NULL DEFAULT '';

UPDATE contacts SET wa_id = substr(phone, 2) WHERE phone LIKE '+%' AND last_inbound_at IS NOT NULL;
