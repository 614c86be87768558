-- Who made a manual adjustment, for the audit trail.

ALTER TABLE ledger_entries ADD COLUMN actor TEXT NOT NULL DEFAULT '';
