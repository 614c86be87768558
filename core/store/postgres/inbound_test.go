package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

var _ storetest.InboundReader = (*Store)(nil)

// InboundMessages reads the tenant's inbound message log back for the
// store suite.
func (s *Store) InboundMessages(ctx context.Context, tenant string) ([]store.InboundMessage, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT tenant, provider_message_id, phone, user_id, type, text, at, content
		FROM inbound_messages WHERE tenant = $1 ORDER BY provider_message_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("reading inbound messages: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.InboundMessage, error) {
		var m store.InboundMessage
		var content string
		err := r.Scan(&m.Tenant, &m.ProviderMessageID, &m.Contact.Phone, &m.Contact.UserID, &m.Type, &m.Text, &m.At, &content)
		if content != "" {
			m.Content = json.RawMessage(content)
		}
		m.At = m.At.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading inbound messages: %w", err)
	}
	return ms, nil
}
