-- Short links: each http(s) URL a sent message carried, replaced by the
-- hub's /r/{code} before the message went out, and the clicks on them
-- (link previews are not clicks). The redirect finds a link by its code;
-- the funnel counts a message as clicked by link_clicks_message and sums
-- its cost from messages.cost; erasing a person deletes the links of their
-- messages by links_message (a URL may name them: a cart's, a voucher's),
-- keeping the clicks, which hold no personal data.
CREATE TABLE links (
    code        text        PRIMARY KEY,
    tenant      text        NOT NULL,
    message_key text        NOT NULL,
    url         text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX links_message ON links (message_key);

CREATE TABLE link_clicks (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text        NOT NULL,
    message_key text        NOT NULL,
    at          timestamptz NOT NULL,
    agent       text        NOT NULL DEFAULT ''
);

CREATE INDEX link_clicks_message ON link_clicks (message_key);
