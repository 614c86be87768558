package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lookups a new member or a referral makes use their indexes: a scan of
// the members table would make every new member slower than the last.
func TestReferralLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := New(":memory:")
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	for query, index := range map[string]string{
		queryCodeTaken:      "members_referral_code",
		queryReferrer:       "members_referral_code",
		queryReferralsSince: "members_referred_by",
	} {
		rows, err := s.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, "t", "x", 0)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Close())
		got := strings.Join(plan, "; ")
		assert.Contains(t, got, "INDEX "+index, query)
		assert.NotContains(t, got, "SCAN members", query)
	}
}

// The work over a tenant's checkouts, sync queue and members, the
// statements of a redaction (run for every member when a whole shop is
// erased), the contact and conversation lookups of every inbound and
// outbound message and the list of handoffs use their indexes.
func TestQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := New(":memory:")
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	tests := []struct {
		name    string
		query   string
		args    []any
		indexes []string
		table   string
	}{
		{"lots of an order", queryOrderLots + " ORDER BY id", []any{"t", "o", "m"}, []string{"lots_order"}, "lots"},
		{"open lots of a member", queryOpenLots + " ORDER BY id", []any{"m"}, []string{"lots_member_open"}, "lots"},
		{"due checkouts", queryDueCheckouts, []any{"t", 0, 1}, []string{"checkouts_due"}, "checkouts"},
		{"pending sync", queryPendingSync, []any{"t", "c", 1}, []string{"sync_queue_pending"}, "sync_queue"},
		{"birthdays", queryBirthdays, []any{"t", `["0314","0229"]`, 2027, 1}, []string{"members_birthday"}, "members"},
		{"member ids", queryMemberIDs, []any{"t", "", 1}, []string{"members_tenant_id"}, "members"},
		{"redact inbound by user id", redactInboundByUser, []any{"t", "t", "p"}, []string{"inbound_messages_user_id", "contacts_phone"}, "inbound_messages"},
		{"redact inbound by phone", redactInboundByPhone, []any{"t", "p"}, []string{"inbound_messages_phone"}, "inbound_messages"},
		{"redact conversation by user id", redactConversationByUser, []any{"t", "t", "p"}, []string{"conversations_user_id", "contacts_phone"}, "conversations"},
		{"redact conversation by phone", redactConversationByPhone, []any{"t", "p"}, []string{"conversations_phone"}, "conversations"},
		{"redact contact", redactContact, []any{"t", "p"}, []string{"contacts_phone"}, "contacts"},
		{"redact messages of member", redactMessagesOfMember, []any{"t", "m"}, []string{"messages_tenant_member"}, "messages"},
		{"redact messages to phone", redactMessagesToPhone, []any{"t", "p"}, []string{"messages_tenant_recipient"}, "messages"},
		{"redact checkouts by phone", redactCheckoutsByPhone, []any{"t", "p"}, []string{"checkouts_phone"}, "checkouts"},
		{"redact checkouts by email", redactCheckoutsByEmail, []any{"t", "e"}, []string{"checkouts_email"}, "checkouts"},
		{"contact by phone", queryContactByPhone, []any{"t", "p"}, []string{"contacts_phone"}, "contacts"},
		{"contact by user id", queryContactByUser, []any{"t", "u"}, []string{"contacts_user_id"}, "contacts"},
		{"conversation by phone", queryConversationByPhone, []any{"t", "p"}, []string{"conversations_phone"}, "conversations"},
		{"conversation by user id", queryConversationByUser, []any{"t", "u"}, []string{"conversations_user_id"}, "conversations"},
		{"handoffs", queryHandoffs, []any{"t", 0, 1}, []string{"conversations_handoff"}, "conversations"},
		{"member by identity", queryIdentityMember, []any{"t", "email", "", "e"}, []string{"sqlite_autoindex_member_identities_1"}, "member_identities"},
		{"identities of a member", queryIdentities, []any{"m"}, []string{"member_identities_member"}, "member_identities"},
		{"redact identities", redactIdentities, []any{"m", "t"}, []string{"member_identities_member"}, "member_identities"},
		{"redact links of member", redactLinksOfMember, []any{"t", "m"}, []string{"links_message", "messages_tenant_member"}, "links"},
		{"redact links to phone", redactLinksToPhone, []any{"t", "p"}, []string{"links_message", "messages_tenant_recipient"}, "links"},
		{"redact links to wa_id", redactLinksToWAID, []any{"t", "t", "p"}, []string{"links_message", "messages_tenant_recipient", "contacts_phone"}, "links"},
		{"funnel", queryFunnel, []any{"t", 0, 1, 1, 1, ""}, []string{"messages_tenant_created", "link_clicks_message"}, "link_clicks"},
		{"link clicks", queryLinkClicks, []any{"t", 0, 1, ""}, []string{"messages_tenant_created", "links_message", "link_clicks_message"}, ""},
		{"anniversaries", queryAnniversaries, []any{"t", "[611]", 0, 2026, "", 10}, []string{"members_joined_day"}, "members"},
		{"funnel's redemptions", queryFunnel, []any{"t", 0, 1, 1, 1, ""}, []string{"redemptions_member"}, "redemptions"},
		{"wake waiting journey states", queryJourneyWake, []any{0}, []string{"journey_states_waiting", "inbound_messages_phone", "orders_member"}, "journey_states"},
		{"a journey member's reply", queryJourneyReplied, []any{"m", "t", 0, 1}, []string{"inbound_messages_phone"}, "inbound_messages"},
		{"a journey member's order", queryJourneyOrdered, []any{"m", "t", 0, 1}, []string{"orders_member"}, "orders"},
		{"funnel's replies and orders", queryFunnel, []any{"t", 0, 1, 1, 1, ""}, []string{"messages_tenant_created", "message_statuses_message", "inbound_messages_phone", "orders_member"}, ""},
		{"a contact's inbound messages", queryInbound, []any{"t", "p", "t", "u", 1}, []string{"inbound_messages_phone", "inbound_messages_user_id"}, "inbound_messages"},
	}
	// A merge moves a member's rows by index, however many members and
	// lots the tenant has.
	for _, st := range mergeSteps {
		tests = append(tests, struct {
			name    string
			query   string
			args    []any
			indexes []string
			table   string
		}{"merge: " + st.what, st.query, []any{"s", "x", "t"}, nil, ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Close())
			got := strings.Join(plan, "; ")
			for _, index := range tt.indexes {
				assert.Contains(t, got, "INDEX "+index)
			}
			assert.NotContains(t, got, "SCAN "+tt.table)
			if tt.table == "" {
				assert.NotRegexp(t, `SCAN \w+( |$)`, got, "no table is read whole")
			}
		})
	}
}
