-- Members found by something other than their phone: a shop's customer id
-- (per connector), an email address, or the id of a member merged into
-- them. A member without a phone keeps its own id in the phone column,
-- which stays unique per tenant without a number to clash (the adapter
-- reads it back as no phone).

CREATE TABLE member_identities (
    tenant     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    connector  TEXT    NOT NULL DEFAULT '',
    value      TEXT    NOT NULL,
    member_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, connector, value)
);

CREATE INDEX member_identities_member ON member_identities (member_id);

-- The emails members already have find them from now on; an address two
-- members share stays with the one who joined first.
INSERT OR IGNORE INTO member_identities (tenant, kind, connector, value, member_id, created_at)
SELECT tenant, 'email', '', lower(trim(email)), id, created_at FROM members
WHERE trim(email) LIKE '_%@_%' AND trim(email) NOT LIKE '% %' AND phone NOT LIKE 'redacted:%'
ORDER BY created_at, id;
