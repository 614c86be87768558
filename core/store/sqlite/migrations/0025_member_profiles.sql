-- What shops, CRMs, imports and the chat say of a member beyond identity
-- (member.Profile): where they joined, their store and city, the language
-- they speak, tags, and custom attributes by name. Segments select by it.
-- tags is a JSON array of strings and attributes a JSON object, '' when
-- there are none.

ALTER TABLE members ADD COLUMN source     TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN store      TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN city       TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN language   TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN tags       TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN attributes TEXT NOT NULL DEFAULT '';
