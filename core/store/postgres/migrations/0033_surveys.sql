-- Survey invitations sent after a trigger, and the members' responses: one
-- per invitation. The chat finds a phone's latest invitation by
-- survey_invitations_phone; the admin API reads a survey's responses by
-- survey_responses_answered.

CREATE TABLE survey_invitations (
    tenant     text        NOT NULL,
    id         text        NOT NULL,
    survey     text        NOT NULL,
    kind       text        NOT NULL,
    member_id  text        NOT NULL DEFAULT '',
    phone      text        NOT NULL,
    order_id   text        NOT NULL DEFAULT '',
    store_id   text        NOT NULL DEFAULT '',
    event_id   text        NOT NULL DEFAULT '',
    lang       text        NOT NULL DEFAULT '',
    due_at     timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX survey_invitations_phone ON survey_invitations (tenant, phone, due_at);

CREATE TABLE survey_responses (
    tenant       text        NOT NULL,
    invitation   text        NOT NULL,
    survey       text        NOT NULL,
    kind         text        NOT NULL,
    member_id    text        NOT NULL DEFAULT '',
    phone        text        NOT NULL DEFAULT '',
    order_id     text        NOT NULL DEFAULT '',
    store_id     text        NOT NULL DEFAULT '',
    score        integer     NOT NULL,
    follow_up    boolean     NOT NULL DEFAULT false,
    comment      text        NOT NULL DEFAULT '',
    answered_at  timestamptz NOT NULL,
    commented_at timestamptz,
    PRIMARY KEY (tenant, invitation)
);

CREATE INDEX survey_responses_answered ON survey_responses (tenant, survey, answered_at);
