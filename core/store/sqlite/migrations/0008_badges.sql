-- Badges members earned by completing challenges.

CREATE TABLE member_badges (
    tenant     TEXT    NOT NULL,
    member_id  TEXT    NOT NULL REFERENCES members (id),
    badge      TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    awarded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, member_id, badge)
);
