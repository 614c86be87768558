-- Who made a manual adjustment, for the audit trail.

ALTER TABLE ledger_entries ADD COLUMN actor text NOT NULL DEFAULT '';
