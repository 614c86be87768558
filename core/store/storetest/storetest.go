// Package storetest is the conformance suite every store.Store adapter
// passes, in the manner of Watermill's pubsub/tests: the adapter's test calls
// Run with a function that opens a fresh store, and its benchmarks call the
// Bench functions.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// Run runs the whole suite. open returns a new store for one test; the
// suite runs Migrate on it and closes it at the end of the test. Stores may
// share one database: every test works in tenants of its own.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Lifecycle", testLifecycle},
		{"Migrate", testMigrate},
		{"Members", testMembers},
		{"Entries", testEntries},
		{"Transact", testTransact},
		{"TransactFailureWritesNothing", testTransactFailureWritesNothing},
		{"TransactFailureThenRetry", testTransactFailureThenRetry},
		{"TransactOrder", testTransactOrder},
		{"TransactRefs", testTransactRefs},
		{"TransactConcurrentSameEvent", testTransactConcurrentSameEvent},
		{"TransactConcurrentRefunds", testTransactConcurrentRefunds},
		{"TransactConcurrentMixed", testTransactConcurrentMixed},
		{"PendingCapsAndExpiry", testPendingCapsAndExpiry},
		{"DueMembersLimit", testDueMembersLimit},
		{"TransactConcurrentNewMember", testTransactConcurrentNewMember},
		{"TransactUnrecorded", testTransactUnrecorded},
		{"TransactMembers", testTransactMembers},
		{"TransactMembersLarge", testTransactMembersLarge},
		{"TransactProperty", testTransactProperty},
		{"TransactPropertyHuge", testTransactPropertyHuge},
		{"HugeValues", testHugeValues},
		{"PhonelessMembers", testPhonelessMembers},
		{"MemberProfiles", testMemberProfiles},
		{"TagMember", testTagMember},
		{"ListMembers", testListMembers},
		{"MergeMembers", testMergeMembers},
		{"MergeRules", testMergeRules},
		{"TransactPropertyMerges", testTransactMergeProperty},
		{"TransactConcurrentNewCustomer", testTransactConcurrentNewCustomer},
		{"TransactConcurrentMerges", testTransactConcurrentMerges},
		{"DueMembers", testDueMembers},
		{"Expiring", testExpiring},
		{"Leases", testLeases},
		{"ImportCodes", testImportCodes},
		{"Redeem", testRedeem},
		{"RedeemDoubleTap", testRedeemDoubleTap},
		{"RedeemPoolConcurrent", testRedeemPoolConcurrent},
		{"RedeemStockConcurrent", testRedeemStockConcurrent},
		{"RedemptionSettle", testRedemptionSettle},
		{"RedemptionSettleRace", testRedemptionSettleRace},
		{"Tiers", testTiers},
		{"ReferralCodes", testReferralCodes},
		{"ReferralLinks", testReferralLinks},
		{"ReferralCompletion", testReferralCompletion},
		{"ReferralCompletionHeld", testReferralCompletionHeld},
		{"ChallengesAndBadges", testChallengesAndBadges},
		{"Birthdays", testBirthdays},
		{"Anniversaries", testAnniversaries},
		{"ClaimMessage", testClaimMessage},
		{"Outbox", testOutbox},
		{"MessageTrace", testMessageTrace},
		{"OutboxConcurrentDue", testOutboxConcurrentDue},
		{"TransactEffects", testTransactEffects},
		{"TransactEffectsConcurrent", testTransactEffectsConcurrent},
		{"TransactMembersEffects", testTransactMembersEffects},
		{"ClaimConcurrent", testClaimConcurrent},
		{"MarkTransitions", testMarkTransitions},
		{"ApplyStatus", testApplyStatus},
		{"ApplyStatusLookup", testApplyStatusLookup},
		{"ApplyStatusOutOfOrder", testApplyStatusOutOfOrder},
		{"MessageFallback", testMessageFallback},
		{"ListMessages", testListMessages},
		{"Contacts", testContacts},
		{"ConsentText", testConsentText},
		{"ContactsByKey", testContactsByKey},
		{"ChangeIdentity", testChangeIdentity},
		{"RedactByWAID", testRedactByWAID},
		{"ConversationByPhone", testConversationByPhone},
		{"ConversationByUserID", testConversationByUserID},
		{"ConversationUnknown", testConversationUnknown},
		{"ConversationMerge", testConversationMerge},
		{"ConversationConcurrent", testConversationConcurrent},
		{"Handoffs", testHandoffs},
		{"SurveyInvitations", testSurveyInvitations},
		{"SurveyResponses", testSurveyResponses},
		{"CountMessages", testCountMessages},
		{"MarkSkipped", testMarkSkipped},
		{"DeferMessage", testDeferMessage},
		{"ApplyStatuses", testApplyStatuses},
		{"ApplyStatusesInOrder", testApplyStatusesInOrder},
		{"ApplyStatusesConcurrent", testApplyStatusesConcurrent},
		{"MessageCommand", testMessageCommand},
		{"RetakeMessage", testRetakeMessage},
		{"RetakeConcurrent", testRetakeConcurrent},
		{"StaleAttempts", testStaleAttempts},
		{"ClaimKeepsTheCommand", testClaimKeepsTheCommandOfAnInterruptedAttempt},
		{"DeadLetters", testDeadLetters},
		{"CheckoutOrder", testCheckoutOrder},
		{"CheckoutCompletion", testCheckoutCompletion},
		{"DueCheckouts", testDueCheckouts},
		{"MarkAbandoned", testMarkAbandoned},
		{"RedactMember", testRedactMember},
		{"MemberIDs", testMemberIDs},
		{"RedactPhoneless", testRedactPhoneless},
		{"RedactDeadLetters", testRedactDeadLetters},
		{"InboundContent", testInboundContent},
		{"Erasures", testErasures},
		{"SyncQueue", testSyncQueue},
		{"SenderStates", testSenderStates},
		{"SenderReach", testSenderReach},
		{"Pricing", testPricing},
		{"Links", testLinks},
		{"RedactLinks", testRedactLinks},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"ResumeDeferred", testResumeDeferred},
		{"Segments", testSegments},
		{"ScanMembersWrites", testScanMembersWrites},
		{"ScanMembersMerged", testScanMembersMerged},
		{"WebhookEffects", testWebhookEffects},
		{"WebhookDeliveries", testWebhookDeliveries},
		{"WebhooksConcurrentDue", testWebhooksConcurrentDue},
		{"RedactWebhooks", testRedactWebhooks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			require.NoError(t, s.Migrate(context.Background()))
			tt.run(t, s)
		})
	}
}

// newTenant returns a tenant id no other test uses.
func newTenant() string { return "t_" + randHex(6) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// base is a fixed instant the tests count from, in a zone other than UTC to
// prove times come back in UTC.
var base = time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("WIB", 7*60*60))

func at(seconds int) time.Time { return base.Add(time.Duration(seconds) * time.Second) }

func testLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "second Close")
	assert.Error(t, s.Ping(ctx), "Ping after Close")
	_, err := s.Member(ctx, newTenant(), "mem_x")
	assert.Error(t, err, "read after Close")
	assert.NotErrorIs(t, err, store.ErrNotFound)
}
