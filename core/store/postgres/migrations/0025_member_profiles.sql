-- What shops, CRMs, imports and the chat say of a member beyond identity
-- (member.Profile): where they joined, their store and city, the language
-- they speak, tags, and custom attributes by name. Segments select by it.

ALTER TABLE members
    ADD COLUMN source     text  NOT NULL DEFAULT '',
    ADD COLUMN store      text  NOT NULL DEFAULT '',
    ADD COLUMN city       text  NOT NULL DEFAULT '',
    ADD COLUMN language   text  NOT NULL DEFAULT '',
    ADD COLUMN tags       jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';
