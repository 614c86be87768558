package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

var _ storetest.InboundReader = (*Store)(nil)

// InboundMessages reads the tenant's inbound message log back for the
// store suite.
func (s *Store) InboundMessages(ctx context.Context, tenant string) ([]store.InboundMessage, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT tenant, provider_message_id, phone, user_id, type, text, at, content
		FROM inbound_messages WHERE tenant = ? ORDER BY provider_message_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("reading inbound messages: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ms []store.InboundMessage
	for rows.Next() {
		var m store.InboundMessage
		var at int64
		var content string
		if err := rows.Scan(&m.Tenant, &m.ProviderMessageID, &m.Contact.Phone, &m.Contact.UserID, &m.Type, &m.Text, &at, &content); err != nil {
			return nil, fmt.Errorf("reading inbound messages: %w", err)
		}
		m.At = fromDB(at)
		if content != "" {
			m.Content = json.RawMessage(content)
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}
