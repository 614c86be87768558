-- A program's KPIs (store.Analytics.Program) read a tenant's members, orders
-- and ledger entries of a period. Without these indexes each of those reads
-- would scan every tenant's rows: members by join time (new members and
-- the retention cohorts), orders by time (the period's buyers, and every
-- buyer up to the period's end, the member id in the index so that
-- counting orders per member reads no table row), and ledger entries by
-- time (points issued, redeemed, expired and adjusted, and active members).

CREATE INDEX members_tenant_created ON members (tenant, created_at);
CREATE INDEX orders_tenant_created ON orders (tenant, created_at, member_id);
CREATE INDEX ledger_entries_tenant_created ON ledger_entries (tenant, created_at);
