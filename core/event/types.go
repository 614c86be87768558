package event

import "slices"

// eventTypes are the event types the hub knows: what its bundled mappings
// and its scheduler produce (member.birthday and member.anniversary are the
// scheduler's; their constants are core/loyalty's).
var eventTypes = []string{
	TypeCheckoutUpdated, TypeIdentityChanged, TypeConsentChanged, TypeCustomerUpserted,
	"member.anniversary", "member.birthday", TypeMemberJoined, TypeMessageReceived, TypeMessageStatus, TypeMessagingLimit,
	TypeNumberQuality, TypeOrderCancelled, TypeOrderCreated, TypeOrderPaid, TypeOrderRefunded,
	TypePrivacyRequest, TypePrivacyRedact, TypeShopRedact, TypeTemplateQuality, TypeTemplateStatus,
	TypeWebhookError,
}

// programTypes are the event types the hub gives its loyalty program, the
// ones a rule or challenge can count. The others of eventTypes the hub acts
// on itself and never gives the program: a WhatsApp webhook's events go to
// the BSP stage alone, and consent changes, checkouts and privacy requests
// are recorded before the program would see them.
var programTypes = []string{
	TypeCustomerUpserted, "member.anniversary", "member.birthday", TypeMemberJoined, TypeOrderCancelled, TypeOrderCreated,
	TypeOrderPaid, TypeOrderRefunded,
}

// outcomeTypes are the outcome types the hub decides, the ones notification
// rules can send on. Their constants live beside the code that decides them
// (core/loyalty, the checkout stage); a test keeps this list whole.
var outcomeTypes = []string{
	"challenge.completed", "checkout.abandoned", "member.anniversary", "member.birthday", "member.joined",
	"points.activated", "points.adjusted", "points.earned", "points.expired", "points.expiring",
	"points.pending", "points.reversed", "referral.completed", "referral.linked",
	"referral.refused", "reward.redeemed", "reward.released", "tier.changed",
}

// Types returns the event types the hub knows, sorted: the ones its
// bundled mappings and scheduler produce. A tenant's own mapping may emit
// others, which its program declares.
func Types() []string { return sorted(eventTypes) }

// ProgramTypes returns the event types the loyalty program is given,
// sorted: those a rule or challenge can count, beside a tenant's own.
func ProgramTypes() []string { return sorted(programTypes) }

// OutcomeTypes returns the outcome types the hub decides, sorted.
func OutcomeTypes() []string { return sorted(outcomeTypes) }

// KnownType reports whether typ is one of Types.
func KnownType(typ string) bool { return slices.Contains(eventTypes, typ) }

// ProgramType reports whether typ is one of ProgramTypes.
func ProgramType(typ string) bool { return slices.Contains(programTypes, typ) }

// KnownOutcome reports whether typ is one of OutcomeTypes.
func KnownOutcome(typ string) bool { return slices.Contains(outcomeTypes, typ) }

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
