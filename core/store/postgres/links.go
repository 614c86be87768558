package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// saveLinks inserts links given as a JSON array, or keeps those stored
// with their codes when they are the same links: the update matches no
// row when the stored link is another, so fewer rows change than links
// were given.
const saveLinks = `INSERT INTO links (code, tenant, message_key, url, created_at)
	SELECT code, tenant, message_key, url, created_at
	FROM jsonb_to_recordset($1::jsonb) AS l(code text, tenant text, message_key text, url text, created_at timestamptz)
	ON CONFLICT (code) DO UPDATE SET code = excluded.code
	WHERE links.tenant = excluded.tenant AND links.message_key = excluded.message_key AND links.url = excluded.url`

// SaveLinks stores short links in one statement, in a transaction
// that a taken code rolls back; see store.Links.
func (s *Store) SaveLinks(ctx context.Context, links []store.Link) error {
	if len(links) == 0 {
		return nil
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	stamped := make([]store.Link, len(links))
	for i, l := range links {
		l.CreatedAt = s.clock.Stamp(l.CreatedAt)
		stamped[i] = l
	}
	doc, err := json.Marshal(stamped)
	if err != nil {
		return fmt.Errorf("saving short links: %w", err)
	}
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, saveLinks, doc)
		if err == nil && tag.RowsAffected() < int64(len(links)) {
			err = store.ErrLinkTaken // rolled back: none of the links is saved
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("saving short links: %w", err)
	}
	return nil
}

// Link returns a short link by code; see store.Links.
func (s *Store) Link(ctx context.Context, code string) (store.Link, error) {
	p, err := s.db()
	if err != nil {
		return store.Link{}, err
	}
	l, err := scanLink(p.QueryRow(ctx, `SELECT code, tenant, message_key, url, created_at FROM links WHERE code = $1`, code))
	if err != nil {
		return store.Link{}, fmt.Errorf("reading short link: %w", err)
	}
	return l, nil
}

// recordClick finds a link and records a click on it in one statement.
const recordClick = `WITH l AS (SELECT code, tenant, message_key, url, created_at FROM links WHERE code = $1),
	c AS (INSERT INTO link_clicks (code, message_key, at, agent) SELECT code, message_key, $2, $3 FROM l)
SELECT code, tenant, message_key, url, created_at FROM l`

// RecordClick records a click on a short link; see store.Links.
func (s *Store) RecordClick(ctx context.Context, c store.Click) (store.Link, error) {
	p, err := s.db()
	if err != nil {
		return store.Link{}, err
	}
	l, err := scanLink(p.QueryRow(ctx, recordClick, c.Code, s.clock.Stamp(c.At), c.Agent))
	if err != nil {
		return store.Link{}, fmt.Errorf("recording a click: %w", err)
	}
	return l, nil
}

func scanLink(row pgx.Row) (store.Link, error) {
	var l store.Link
	err := row.Scan(&l.Code, &l.Tenant, &l.MessageKey, &l.URL, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, store.ErrNotFound
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return l, err
}
