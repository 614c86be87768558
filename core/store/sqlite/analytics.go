package sqlite

import (
	"context"
	"fmt"

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
// redemptions_member. Without the phone's test against the empty string
// the partial index of phones did not apply, and the planner read orders
// by the tenant's time range: each message read every reply of the tenant
// and a week of its orders, and a month of 130,000 messages took minutes
// (TestQueriesUseIndexes).
const queryFunnel = `WITH sent AS (
	SELECT m.origin, m.status, CASE WHEN m.status IN ('skipped', 'failed') THEN m.error_code ELSE '' END AS code,
		m.key, m.member_id, m.recipient, m.cost,
		max(m.created_at, (SELECT min(s.at) FROM message_statuses s
			WHERE s.message_key = m.key AND s.status IN ('sent', 'delivered', 'read'))) AS at
	FROM messages m WHERE m.tenant = ?1 AND m.created_at >= ?2 AND m.created_at < ?3
		AND substr(m.origin, 1, length(?6)) = ?6
), followed AS (
	SELECT origin, status, code, cost, at IS NOT NULL AND EXISTS (SELECT 1 FROM inbound_messages i
			WHERE i.tenant = ?1 AND i.phone = sent.recipient AND i.phone <> ''
				AND i.at > sent.at AND i.at <= sent.at + ?4) AS replied,
		EXISTS (SELECT 1 FROM link_clicks c WHERE c.message_key = sent.key) AS clicked,
		CASE WHEN at IS NULL OR member_id = '' THEN NULL ELSE (SELECT sum(CAST(o.total AS REAL) - CAST(o.refunded AS REAL))
			FROM orders o INDEXED BY orders_member WHERE o.tenant = ?1 AND o.member_id = sent.member_id
				AND o.created_at > sent.at AND o.created_at <= sent.at + ?5) END AS revenue,
		at IS NOT NULL AND member_id <> '' AND EXISTS (SELECT 1 FROM redemptions d
			WHERE d.tenant = ?1 AND d.member_id = sent.member_id AND d.created_at > sent.at
				AND d.created_at <= sent.at + ?5 AND d.status <> 'released') AS redeemed
	FROM sent
)
SELECT origin, status, code, count(*), sum(replied), sum(clicked), count(revenue), sum(redeemed),
	coalesce(sum(revenue), 0), sum(cost)
FROM followed GROUP BY origin, status, code ORDER BY origin, status, code`

// Funnel reads the funnel of a period's messages; see store.Analytics.
// queryLinkClicks reads a period's messages by messages_tenant_created,
// their links by links_message and each link's clicks by
// link_clicks_message.
const queryLinkClicks = `WITH carried AS (
	SELECT l.url, m.origin,
		(SELECT count(*) FROM link_clicks c WHERE c.message_key = l.message_key AND c.code = l.code) AS clicks,
		(SELECT count(*) FROM link_clicks c WHERE c.message_key = l.message_key AND c.code = l.code
			AND c.agent = 'mobile') AS mobile
	FROM messages m JOIN links l ON l.message_key = m.key AND l.tenant = m.tenant
	WHERE m.tenant = ?1 AND m.created_at >= ?2 AND m.created_at < ?3 AND substr(m.origin, 1, length(?4)) = ?4
)
SELECT url, origin, count(*), sum(clicks), sum(mobile), sum(clicks > 0) FROM carried
GROUP BY url, origin ORDER BY sum(clicks) DESC, url, origin`

// LinkClicks reports a period's short links by URL and origin; see
// store.Analytics.
func (s *Store) LinkClicks(ctx context.Context, q store.FunnelQuery) ([]store.LinkRow, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryLinkClicks, q.Tenant, toDB(q.From), toDB(q.To), q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("reading link clicks: %w", err)
	}
	defer rows.Close()
	var out []store.LinkRow
	for rows.Next() {
		var l store.LinkRow
		if err := rows.Scan(&l.URL, &l.Origin, &l.Messages, &l.Clicks, &l.Mobile, &l.Clicked); err != nil {
			return nil, fmt.Errorf("reading link clicks: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading link clicks: %w", err)
	}
	return out, nil
}

func (s *Store) Funnel(ctx context.Context, q store.FunnelQuery) ([]store.FunnelRow, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryFunnel, q.Tenant, toDB(q.From), toDB(q.To),
		store.ReplyWindow.Microseconds(), q.Window.Microseconds(), q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("reading the funnel: %w", err)
	}
	defer rows.Close()
	var out []store.FunnelStatusRow
	for rows.Next() {
		var f store.FunnelStatusRow
		if err := rows.Scan(&f.Origin, &f.Status, &f.Code, &f.Messages, &f.Replied, &f.Clicked, &f.Converted, &f.Redeemed, &f.Revenue, &f.Cost); err != nil {
			return nil, fmt.Errorf("reading the funnel: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the funnel: %w", err)
	}
	return store.FoldFunnel(out), nil
}
