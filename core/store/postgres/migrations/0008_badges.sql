-- Badges members earned by completing challenges.

CREATE TABLE member_badges (
    tenant     text        NOT NULL,
    member_id  text        NOT NULL REFERENCES members (id),
    badge      text        NOT NULL,
    event_id   text        NOT NULL,
    awarded_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, member_id, badge)
);
