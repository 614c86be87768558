package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// queryFunnel groups a period's messages by origin, status and code, with
// how many of them a reply, a click on one of their short links, an order
// or a redemption followed, and what they cost. A message's time is its
// first sent, delivered or read status, but not before it was written:
// status webhooks' times are whole seconds, and the order that caused a
// message, in the same second, must not pass for one that followed it. A
// message never sent has no reply or order. It reads messages by
// messages_tenant_created, each message's timeline by
// message_statuses_message, replies by inbound_messages_phone, clicks by
// link_clicks_message, orders by orders_member and redemptions by
// redemptions_member.
const queryFunnel = `WITH sent AS (
	SELECT m.origin, m.status, CASE WHEN m.status IN ('skipped', 'failed') THEN m.error_code ELSE '' END AS code,
		m.key, m.member_id, m.recipient, m.cost,
		(SELECT greatest(m.created_at, min(s.at)) FROM message_statuses s
			WHERE s.message_key = m.key AND s.status IN ('sent', 'delivered', 'read') HAVING count(*) > 0) AS at
	FROM messages m WHERE m.tenant = $1 AND m.created_at >= $2 AND m.created_at < $3
		AND starts_with(m.origin, $6)
), followed AS (
	SELECT origin, status, code, cost, at IS NOT NULL AND EXISTS (SELECT 1 FROM inbound_messages i
			WHERE i.tenant = $1 AND i.phone = sent.recipient AND i.at > sent.at
				AND i.at <= sent.at + make_interval(secs => $4)) AS replied,
		EXISTS (SELECT 1 FROM link_clicks c WHERE c.message_key = sent.key) AS clicked,
		CASE WHEN at IS NULL OR member_id = '' THEN NULL ELSE (SELECT sum(o.total::numeric - o.refunded::numeric)
			FROM orders o WHERE o.tenant = $1 AND o.member_id = sent.member_id
				AND o.created_at > sent.at AND o.created_at <= sent.at + make_interval(secs => $5)) END AS revenue,
		at IS NOT NULL AND member_id <> '' AND EXISTS (SELECT 1 FROM redemptions d
			WHERE d.tenant = $1 AND d.member_id = sent.member_id AND d.created_at > sent.at
				AND d.created_at <= sent.at + make_interval(secs => $5) AND d.status <> 'released') AS redeemed
	FROM sent
)
SELECT origin, status, code, count(*), count(*) FILTER (WHERE replied), count(*) FILTER (WHERE clicked),
	count(revenue), count(*) FILTER (WHERE redeemed), coalesce(sum(revenue), 0)::float8, sum(cost)::bigint
FROM followed GROUP BY origin, status, code ORDER BY origin, status, code`

// queryLinkClicks reads a period's messages by messages_tenant_created,
// their links by links_message and each link's clicks by
// link_clicks_message.
const queryLinkClicks = `WITH carried AS (
	SELECT l.url, m.origin,
		(SELECT count(*) FROM link_clicks c WHERE c.message_key = l.message_key AND c.code = l.code) AS clicks,
		(SELECT count(*) FROM link_clicks c WHERE c.message_key = l.message_key AND c.code = l.code
			AND c.agent = 'mobile') AS mobile
	FROM messages m JOIN links l ON l.message_key = m.key AND l.tenant = m.tenant
	WHERE m.tenant = $1 AND m.created_at >= $2 AND m.created_at < $3 AND starts_with(m.origin, $4)
)
SELECT url, origin, count(*), sum(clicks)::bigint, sum(mobile)::bigint, count(*) FILTER (WHERE clicks > 0) FROM carried
GROUP BY url, origin ORDER BY sum(clicks) DESC, url, origin`

// LinkClicks reports a period's short links by URL and origin; see
// store.Analytics.
func (s *Store) LinkClicks(ctx context.Context, q store.FunnelQuery) ([]store.LinkRow, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, queryLinkClicks, q.Tenant, q.From, q.To, q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("reading link clicks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.LinkRow, error) {
		var l store.LinkRow
		err := r.Scan(&l.URL, &l.Origin, &l.Messages, &l.Clicks, &l.Mobile, &l.Clicked)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading link clicks: %w", err)
	}
	return out, nil
}

// Funnel reads the funnel of a period's messages; see store.Analytics.
func (s *Store) Funnel(ctx context.Context, q store.FunnelQuery) ([]store.FunnelRow, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, queryFunnel, q.Tenant, q.From, q.To,
		store.ReplyWindow.Seconds(), q.Window.Seconds(), q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("reading the funnel: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FunnelStatusRow, error) {
		var f store.FunnelStatusRow
		err := r.Scan(&f.Origin, &f.Status, &f.Code, &f.Messages, &f.Replied, &f.Clicked, &f.Converted, &f.Redeemed, &f.Revenue, &f.Cost)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the funnel: %w", err)
	}
	return store.FoldFunnel(out), nil
}
