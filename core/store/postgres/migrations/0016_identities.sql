-- Members found by something other than their phone: a shop's customer id
-- (per connector), an email address, or the id of a member merged into
-- them. A member without a phone keeps its own id in the phone column,
-- which stays unique per tenant without a number to clash (the adapter
-- reads it back as no phone).

CREATE TABLE member_identities (
    tenant     text        NOT NULL,
    kind       text        NOT NULL,
    connector  text        NOT NULL DEFAULT '',
    value      text        NOT NULL,
    member_id  text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, kind, connector, value)
);

CREATE INDEX member_identities_member ON member_identities (member_id);

-- The emails members already have find them from now on; an address two
-- members share stays with the one who joined first.
INSERT INTO member_identities (tenant, kind, connector, value, member_id, created_at)
SELECT DISTINCT ON (tenant, lower(btrim(email))) tenant, 'email', '', lower(btrim(email)), id, created_at FROM members
WHERE btrim(email) LIKE '_%@_%' AND btrim(email) NOT LIKE '% %' AND phone NOT LIKE 'redacted:%'
ORDER BY tenant, lower(btrim(email)), created_at, id
ON CONFLICT DO NOTHING;
