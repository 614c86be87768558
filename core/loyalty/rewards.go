package loyalty

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// Where a reward's codes come from.
const (
	CodesPool    = "pool"    // imported through the admin API, one per redemption
	CodesPattern = "pattern" // generated at random from a pattern
	CodesIssuer  = "issuer"  // issued by a shop connector (a CodeIssuer)
)

// Redemption statuses. A redemption is confirmed when its code is known: at
// once for pool and pattern codes; for an issuer's, after the issuer
// answered. A reserved redemption whose code could not be obtained is
// released and its points are given back.
const (
	RedemptionReserved  = "reserved"
	RedemptionConfirmed = "confirmed"
	RedemptionReleased  = "released"
)

// Outcome types of redemptions.
const (
	OutcomeRewardRedeemed = "reward.redeemed"
	OutcomeRewardReleased = "reward.released"
)

// Redemption errors.
var (
	// ErrRewardUnavailable is returned for a reward outside its validity
	// period, or reserved to tiers the member is not in.
	ErrRewardUnavailable = errors.New("reward not available")
	// ErrOutOfStock is returned when a reward's stock, or its pool of
	// codes, is used up.
	ErrOutOfStock = errors.New("reward out of stock")
	// ErrRedemptionSettled is returned when a redemption to confirm or
	// release is no longer reserved.
	ErrRedemptionSettled = errors.New("redemption already settled")
)

// Reward is a compiled item of the rewards catalog.
type Reward struct {
	ID    string
	Name  string
	Cost  int64    // points
	Tiers []string // tier names allowed to redeem; empty: every member
	Stock int64    // redemptions in all; 0: unlimited
	// From and Until bound when the reward can be redeemed; zero: open.
	// Until is exclusive.
	From, Until time.Time
	Codes       string // CodesPool, CodesPattern or CodesIssuer
	Pattern     string // with CodesPattern
	Issuer      string // with CodesIssuer: the connector's name

	order int // position in the catalog as configured
}

// CodeIssuer issues a reward's code outside the loyalty transaction, such
// as a discount code created in a shop. It is called after the redemption
// was reserved (its points are spent) and must be idempotent by
// redemptionID: a redemption retried after a crash asks again for the same
// redemption and must get the same code, not a second one.
type CodeIssuer interface {
	Issue(ctx context.Context, tenant string, reward Reward, memberID, redemptionID string) (code string, err error)
}

// Redemption is a member's purchase of a reward with points.
type Redemption struct {
	ID       string `json:"id"`
	MemberID string `json:"member_id"`
	RewardID string `json:"reward_id"`
	Cost     int64  `json:"cost"`
	Status   string `json:"status"`
	Code     string `json:"code,omitempty"`
	// Reason says why a released redemption was released.
	Reason string `json:"reason,omitempty"`
	// Spent is the points the redemption took, by the expiry date of the
	// lots they came from, first to expire first: a release gives them
	// back with those dates.
	Spent     []Spent   `json:"spent,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Spent is points a redemption took from lots that expire at one moment.
type Spent struct {
	Points    int64      `json:"points"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"` // nil: never
}

// Redemptions connects an account's redemptions to the store's transaction.
type Redemptions struct {
	// TakeCode assigns one of the reward's pooled codes, not taken yet, to
	// the redemption and returns it; ErrOutOfStock when none is left. The
	// code stays taken only if the transaction commits.
	TakeCode func(rewardID, redemptionID string) (string, error)
	// Redeemed returns how many redemptions of the reward are reserved or
	// confirmed, and keeps any other transaction from redeeming the reward
	// until this one ends, so that its stock cannot be oversold. Nil means
	// none.
	Redeemed func(rewardID string) (int64, error)
	// CodeUsed reports whether a generated code was given to a redemption
	// of the reward already, so that another is drawn. Nil means never.
	CodeUsed func(rewardID, code string) (bool, error)

	changed *Redemption // new or settled by this transaction
}

// RedemptionID is the id of a member's redemption asked for with a
// client's request id. It is also the id of the event that reserves it, so
// that the same request made twice redeems once.
func RedemptionID(tenant, memberID, requestID string) string {
	return event.DerivedID("rdm_", tenant, memberID, requestID)
}

// ConfirmEventID is the id of the event that confirms a redemption.
func ConfirmEventID(redemptionID string) string {
	return event.DerivedID("ev_", redemptionID, "confirm")
}

// ReleaseEventID is the id of the event that releases a redemption.
func ReleaseEventID(redemptionID string) string {
	return event.DerivedID("ev_", redemptionID, "release")
}

// addReward compiles one reward of the catalog. Errors are config.Errors
// relative to the reward.
func (p *Program) addReward(i int, c config.Reward, loc *time.Location) error {
	var errs config.Errors
	fail := func(path, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	r := Reward{
		ID: c.ID, Name: c.Name, Cost: c.Cost, Tiers: c.Tiers, Stock: c.Stock,
		Pattern: c.Codes.Pattern, Issuer: c.Codes.Issuer, order: i,
	}
	if _, dup := p.rewards[r.ID]; dup {
		fail("id", "%q is the id of another reward", r.ID)
	}
	if r.Cost <= 0 {
		fail("cost", "must be positive, got %d", r.Cost)
	}
	var err error
	if c.Valid.From != "" {
		if r.From, err = config.ParseLocal(c.Valid.From, loc); err != nil {
			fail("valid.from", "%s", err)
		}
	}
	if c.Valid.Until != "" {
		if r.Until, err = config.ParseLocal(c.Valid.Until, loc); err != nil {
			fail("valid.until", "%s", err)
		}
	}
	switch {
	case c.Codes.Pool && c.Codes.Pattern == "" && c.Codes.Issuer == "":
		r.Codes = CodesPool
	case !c.Codes.Pool && c.Codes.Pattern != "" && c.Codes.Issuer == "":
		r.Codes = CodesPattern
		if err := config.CheckCodePattern(c.Codes.Pattern); err != nil {
			fail("codes.pattern", "%s", err)
		}
	case !c.Codes.Pool && c.Codes.Pattern == "" && c.Codes.Issuer != "":
		r.Codes = CodesIssuer
	default:
		fail("codes", "set exactly one of pool, pattern and issuer")
	}
	p.rewards[r.ID] = r
	return errs.Err()
}

// Reward returns the catalog's reward with id.
func (p *Program) Reward(id string) (Reward, bool) {
	r, ok := p.rewards[id]
	return r, ok
}

// Rewards returns the catalog in the order it is configured.
func (p *Program) Rewards() []Reward {
	out := make([]Reward, 0, len(p.rewards))
	for _, r := range p.rewards {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// AvailableAt reports why the reward cannot be redeemed at t, or nil when
// it can: the error wraps ErrRewardUnavailable.
func (r Reward) AvailableAt(t time.Time, loc *time.Location) error {
	const layout = "2006-01-02 15:04"
	switch {
	case !r.From.IsZero() && t.Before(r.From):
		return fmt.Errorf("%w: %s can be redeemed from %s", ErrRewardUnavailable, r.Name, r.From.In(loc).Format(layout))
	case !r.Until.IsZero() && !t.Before(r.Until):
		return fmt.Errorf("%w: %s could be redeemed until %s", ErrRewardUnavailable, r.Name, r.Until.In(loc).Format(layout))
	}
	return nil
}

// ForTier reports whether a member of tier may redeem the reward. A reward
// without tiers is for everyone, and so is any reward for a member whose
// tier is not known (an empty name).
func (r Reward) ForTier(tier string) bool {
	if len(r.Tiers) == 0 || strings.TrimSpace(tier) == "" {
		return true
	}
	for _, t := range r.Tiers {
		if strings.EqualFold(strings.TrimSpace(t), strings.TrimSpace(tier)) {
			return true
		}
	}
	return false
}

// Redeem spends the reward's cost from the member's points and records the
// redemption under redemptionID, which is also the event id of its ledger
// entry (see RedemptionID). It checks, in order: the reward's validity
// period, its tiers (only when the member's tier is known), the balance,
// and its stock. The points are consumed first-to-expire first. A pool or
// pattern reward gets its code at once and is confirmed, emitting
// reward.redeemed; an issuer's reward stays reserved until Confirm or
// Release.
func (p *Program) Redeem(a *Account, redemptionID string, reward Reward, now time.Time) error {
	if redemptionID == "" {
		return fmt.Errorf("%w: a redemption needs an id", ErrBadEvent)
	}
	if a.Redemptions.changed != nil {
		return fmt.Errorf("%w: one redemption per transaction", ErrBadEvent)
	}
	if err := reward.AvailableAt(now, p.Location); err != nil {
		return err
	}
	if tier := a.Member.Tier.Name; !reward.ForTier(tier) {
		return fmt.Errorf("%w: %s is for members of %s; this member is %s",
			ErrRewardUnavailable, reward.Name, strings.Join(reward.Tiers, ", "), tier)
	}
	if a.Member.Balance < reward.Cost {
		return fmt.Errorf("%w: %s costs %d points, balance is %d", ErrInsufficientPoints, reward.Name, reward.Cost, a.Member.Balance)
	}
	if reward.Stock > 0 && a.Redemptions.Redeemed != nil {
		n, err := a.Redemptions.Redeemed(reward.ID)
		if err != nil {
			return fmt.Errorf("reading the stock of reward %s: %w", reward.ID, err)
		}
		if n >= reward.Stock {
			return fmt.Errorf("%w: all %d of %s are redeemed", ErrOutOfStock, reward.Stock, reward.Name)
		}
	}
	r := &Redemption{
		ID: redemptionID, MemberID: a.Member.ID, RewardID: reward.ID, Cost: reward.Cost,
		Status: RedemptionReserved, CreatedAt: now, UpdatedAt: now,
	}
	switch reward.Codes {
	case CodesPool:
		if a.Redemptions.TakeCode == nil {
			return fmt.Errorf("reward %s takes its codes from a pool the account cannot reach", reward.ID)
		}
		code, err := a.Redemptions.TakeCode(reward.ID, redemptionID)
		if errors.Is(err, ErrOutOfStock) {
			return fmt.Errorf("%w: no code of %s is left", ErrOutOfStock, reward.Name)
		}
		if err != nil {
			return fmt.Errorf("taking a code of reward %s: %w", reward.ID, err)
		}
		r.Code = code
	case CodesPattern:
		code, err := a.newCode(reward)
		if err != nil {
			return fmt.Errorf("generating a code of reward %s: %w", reward.ID, err)
		}
		r.Code = code
	}
	spent, taken := a.spend(reward.Cost)
	if taken != reward.Cost {
		// The balance covers the cost, so the lots must too; they do not
		// when they could not be loaded.
		if err := a.Err(); err != nil {
			return err
		}
		return fmt.Errorf("the lots hold %d of the %d points of the balance", taken, reward.Cost)
	}
	r.Spent = spent
	a.append(Entry{
		Kind: EntryRedeem, Points: -reward.Cost, EventID: redemptionID, At: now,
		Reason: fmt.Sprintf("redeemed %s (%s) for %d points", reward.Name, reward.ID, reward.Cost),
	})
	if r.Code != "" {
		r.Status = RedemptionConfirmed
		a.emit(OutcomeRewardRedeemed, redeemedData(reward, r))
	}
	a.Redemptions.changed = r
	return nil
}

// Confirm completes a reserved redemption with the code its issuer gave,
// and emits reward.redeemed. Run it under ConfirmEventID.
func (p *Program) Confirm(a *Account, r Redemption, code string, now time.Time) error {
	if err := p.settle(a, r); err != nil {
		return err
	}
	if strings.TrimSpace(code) == "" {
		return fmt.Errorf("%w: confirming redemption %s without a code", ErrBadEvent, r.ID)
	}
	r.Status, r.Code, r.UpdatedAt = RedemptionConfirmed, code, now
	a.Redemptions.changed = &r
	a.emit(OutcomeRewardRedeemed, redeemedData(p.reward(r.RewardID), &r))
	return nil
}

// Release gives back the points of a reserved redemption whose code could
// not be obtained, and emits reward.released. Run it under ReleaseEventID.
//
// The points come back as new lots, one per expiry date of the points the
// redemption spent, each with that date: a release neither extends nor
// shortens the life of the points (points whose date passed meanwhile
// expire at the next sweep). Each lot has its entry, of kind redeem with
// positive points and the redemption as the event it takes back: the redeem
// entries of a member add up to the points spent on rewards, and a release
// is not mistaken for earned (tier-qualifying) points, as a reverse entry
// would be.
func (p *Program) Release(a *Account, r Redemption, reason string, now time.Time) error {
	if err := p.settle(a, r); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: releasing redemption %s needs a reason", ErrBadEvent, r.ID)
	}
	eventID := ReleaseEventID(r.ID)
	reward := p.reward(r.RewardID)
	var back int64
	for i, s := range r.Spent {
		if s.Points <= 0 {
			continue
		}
		l := &Lot{
			ID: LotID(p.Tenant, eventID, strconv.Itoa(i)), MemberID: a.Member.ID, Rule: "release",
			EventID: eventID, Points: s.Points, Remaining: s.Points, Status: LotActive,
			EarnedAt: now, ExpiresAt: s.ExpiresAt,
		}
		a.addLot(l, Entry{
			Kind: EntryRedeem, Points: s.Points, LotID: l.ID, RefEventID: r.ID, EventID: eventID, At: now,
			Reason: fmt.Sprintf("redemption of %s released, %d points given back: %s", reward.Name, s.Points, reason),
		})
		back += s.Points
	}
	r.Status, r.Reason, r.UpdatedAt = RedemptionReleased, reason, now
	a.Redemptions.changed = &r
	a.emit(OutcomeRewardReleased, map[string]any{
		"redemption_id": r.ID, "reward_id": r.RewardID, "name": reward.Name, "points": back, "reason": reason,
	})
	return nil
}

// settle checks that r can be confirmed or released on a.
func (p *Program) settle(a *Account, r Redemption) error {
	switch {
	case a.Redemptions.changed != nil:
		return fmt.Errorf("%w: one redemption per transaction", ErrBadEvent)
	case r.MemberID != a.Member.ID:
		return fmt.Errorf("%w: redemption %s is of member %s, not %s", ErrBadEvent, r.ID, r.MemberID, a.Member.ID)
	case r.Status != RedemptionReserved:
		return fmt.Errorf("%w: redemption %s is %s", ErrRedemptionSettled, r.ID, r.Status)
	}
	return nil
}

// reward returns the catalog's reward with id, or one named by its id when
// the catalog no longer has it.
func (p *Program) reward(id string) Reward {
	if r, ok := p.rewards[id]; ok {
		return r
	}
	return Reward{ID: id, Name: id}
}

func redeemedData(reward Reward, r *Redemption) map[string]any {
	return map[string]any{
		"redemption_id": r.ID, "reward_id": reward.ID, "name": reward.Name, "cost": r.Cost, "code": r.Code,
	}
}

// spend consumes n points first-to-expire first and returns what it took
// by expiry date, and how many points in all.
func (a *Account) spend(n int64) ([]Spent, int64) {
	lots := a.spendable()
	before := make([]int64, len(lots))
	for i, l := range lots {
		before[i] = l.Remaining
	}
	taken := a.consume(n)
	var out []Spent
	for i, l := range lots {
		k := before[i] - l.Remaining
		if k <= 0 {
			continue
		}
		if last := len(out) - 1; last >= 0 && sameTime(out[last].ExpiresAt, l.ExpiresAt) {
			out[last].Points += k
			continue
		}
		out = append(out, Spent{Points: k, ExpiresAt: l.ExpiresAt})
	}
	return out, taken
}

func sameTime(x, y *time.Time) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.Equal(*y)
}

// codeDraws bounds how many codes newCode draws before giving up: with at
// least six random characters, needing more means the pattern is nearly
// used up.
const codeDraws = 10

// newCode draws a code of a pattern reward that no redemption of it has.
func (a *Account) newCode(reward Reward) (string, error) {
	for range codeDraws {
		code, err := GenerateCode(reward.Pattern)
		if err != nil || a.Redemptions.CodeUsed == nil {
			return code, err
		}
		used, err := a.Redemptions.CodeUsed(reward.ID, code)
		if err != nil || !used {
			return code, err
		}
	}
	return "", fmt.Errorf("%d codes drawn from %s were all used: the pattern needs more random characters", codeDraws, reward.Pattern)
}

const (
	codeLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	codeDigits  = "0123456789"
)

// GenerateCode makes a code from a pattern (see config.RewardCodes): in
// braces, A becomes a random upper-case letter and 9 a random digit, drawn
// from a cryptographic source; the rest is kept.
func GenerateCode(pattern string) (string, error) {
	var b strings.Builder
	in := false
	for _, c := range pattern {
		var alphabet string
		switch {
		case c == '{':
			in = true
			continue
		case c == '}':
			in = false
			continue
		case in && c == 'A':
			alphabet = codeLetters
		case in && c == '9':
			alphabet = codeDigits
		default:
			b.WriteRune(c)
			continue
		}
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String(), nil
}
