-- Survey invitations sent after a trigger, and the members' responses: one
-- per invitation. The chat finds a phone's latest invitation by
-- survey_invitations_phone; the admin API reads a survey's responses by
-- survey_responses_answered.

CREATE TABLE survey_invitations (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    survey     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    member_id  TEXT    NOT NULL DEFAULT '',
    phone      TEXT    NOT NULL,
    order_id   TEXT    NOT NULL DEFAULT '',
    store_id   TEXT    NOT NULL DEFAULT '',
    event_id   TEXT    NOT NULL DEFAULT '',
    lang       TEXT    NOT NULL DEFAULT '',
    due_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX survey_invitations_phone ON survey_invitations (tenant, phone, due_at);

CREATE TABLE survey_responses (
    tenant       TEXT    NOT NULL,
    invitation   TEXT    NOT NULL,
    survey       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    member_id    TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    order_id     TEXT    NOT NULL DEFAULT '',
    store_id     TEXT    NOT NULL DEFAULT '',
    score        INTEGER NOT NULL,
    follow_up    INTEGER NOT NULL DEFAULT 0,
    comment      TEXT    NOT NULL DEFAULT '',
    answered_at  INTEGER NOT NULL,
    commented_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, invitation)
);

CREATE INDEX survey_responses_answered ON survey_responses (tenant, survey, answered_at);
