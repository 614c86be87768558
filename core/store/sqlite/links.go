package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/loyalhub/loyalhub/core/store"
)

// saveLinks inserts links given as a JSON array, or keeps those stored
// with their codes when they are the same links: the update touches
// nothing and matches no row when the stored link is another, so fewer
// rows change than links were given.
const saveLinks = `INSERT INTO links (code, tenant, message_key, url, created_at)
	SELECT value->>'code', value->>'tenant', value->>'message_key', value->>'url', value->>'created_at'
	FROM json_each(?) WHERE true
	ON CONFLICT (code) DO UPDATE SET code = excluded.code
	WHERE links.tenant = excluded.tenant AND links.message_key = excluded.message_key AND links.url = excluded.url`

// linkRow is a link as saveLinks reads it.
type linkRow struct {
	Code       string `json:"code"`
	Tenant     string `json:"tenant"`
	MessageKey string `json:"message_key"`
	URL        string `json:"url"`
	CreatedAt  int64  `json:"created_at"`
}

// SaveLinks stores short links in one statement; see store.Links.
func (s *Store) SaveLinks(ctx context.Context, links []store.Link) error {
	if len(links) == 0 {
		return nil
	}
	rows := make([]linkRow, len(links))
	for i, l := range links {
		rows[i] = linkRow{l.Code, l.Tenant, l.MessageKey, l.URL, toDB(s.clock.Stamp(l.CreatedAt))}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("saving short links: %w", err)
	}
	err = s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, saveLinks, string(doc))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n < int64(len(links)) {
			return store.ErrLinkTaken
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving short links: %w", err)
	}
	return nil
}

// Link returns a short link by code; see store.Links.
func (s *Store) Link(ctx context.Context, code string) (store.Link, error) {
	r, err := s.reads()
	if err != nil {
		return store.Link{}, err
	}
	l, err := scanLink(r.QueryRowContext(ctx, `SELECT code, tenant, message_key, url, created_at FROM links WHERE code = ?`, code))
	if err != nil {
		return store.Link{}, fmt.Errorf("reading short link: %w", err)
	}
	return l, nil
}

// RecordClick records a click on a short link; see store.Links. The
// link's lookup and the click's insert run in one write.
func (s *Store) RecordClick(ctx context.Context, c store.Click) (store.Link, error) {
	var l store.Link
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		l, err = scanLink(tx.QueryRowContext(ctx, `SELECT code, tenant, message_key, url, created_at FROM links WHERE code = ?`, c.Code))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO link_clicks (code, message_key, at, agent) VALUES (?, ?, ?, ?)`,
			l.Code, l.MessageKey, toDB(s.clock.Stamp(c.At)), c.Agent)
		return err
	})
	if err != nil {
		return store.Link{}, fmt.Errorf("recording a click: %w", err)
	}
	return l, nil
}

func scanLink(row *sql.Row) (store.Link, error) {
	var l store.Link
	var created int64
	err := row.Scan(&l.Code, &l.Tenant, &l.MessageKey, &l.URL, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return l, store.ErrNotFound
	}
	l.CreatedAt = fromDB(created)
	return l, err
}
