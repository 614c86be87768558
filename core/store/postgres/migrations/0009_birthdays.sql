-- Members' birthdays (month and day) and the last year each was celebrated.

ALTER TABLE members
    ADD COLUMN birthday      text    NOT NULL DEFAULT '',
    ADD COLUMN birthday_year integer NOT NULL DEFAULT 0;

CREATE INDEX members_birthday ON members (tenant, birthday) WHERE birthday <> '';
