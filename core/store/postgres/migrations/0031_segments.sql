-- Tenants' saved member segments: a name and a condition over members'
-- facts (core/segment).

CREATE TABLE segments (
    tenant      text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    condition   text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, name)
);
