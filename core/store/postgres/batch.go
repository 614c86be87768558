package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// Loyalty transactions are committed in groups. Every round trip to the
// server and every commit costs more than the statements of one event, so
// the events waiting at the same moment share them: a group's reads go out
// as one pipeline, its writes as another, and one commit makes them all
// durable. The group is all or nothing; when any statement of it fails (a
// concurrent replica wrote the same event or member, a deadlock), it is
// rolled back and each of its events runs again in a transaction of its
// own, which decides what happens exactly as if there had been no group.
// Events a group cannot take (a replay, a second event on a member already
// in the group) also run on their own, after the group commits.
//
// Within a group the events run one after another; their reads go to the
// server at once and their writes wait for the group's write pipeline,
// except two kinds of write that a later event of the group must see: a
// redemption and the codes and stock it takes are written as the event
// runs, inside a savepoint that a failing event rolls back; and a new
// member linked to a referrer counts toward that referrer's monthly cap for
// the rest of the group.
const (
	// groupWorkers is how many groups are in flight at once, each on its
	// own connection.
	groupWorkers = 2
	// DefaultGroupSize caps the events of one group when WithBatching
	// does not.
	DefaultGroupSize = 64
)

// txOp is one Transact call waiting for, or running in, a group.
type txOp struct {
	ctx  context.Context
	t    store.Transaction
	done chan txResult // buffered; receives the outcome once
}

type txResult struct {
	res store.AccountResult
	err error
}

// grouper runs loyalty transactions in groups.
type grouper struct {
	pool  *pgxpool.Pool
	clock store.Clock
	*groups[*txOp]
}

func startGrouper(pool *pgxpool.Pool, b store.Batching, clock store.Clock) *grouper {
	g := &grouper{pool: pool, clock: clock}
	g.groups = startGroups(groupWorkers, b.SizeOr(DefaultGroupSize), b.Wait, g.run)
	return g
}

// do runs op in a group and returns its outcome, or ctx.Err() once ctx is
// done (the event may still be committed then).
func (g *grouper) do(op *txOp) (store.AccountResult, error) {
	op.done = make(chan txResult, 1)
	if err := g.submit(op.ctx, op); err != nil {
		return store.AccountResult{}, err
	}
	r, err := await(op.ctx, op.done)
	if err != nil {
		return store.AccountResult{}, err
	}
	return r.res, r.err
}

// run answers every call of a group.
func (g *grouper) run(group []*txOp) {
	live := liveOps(group, func(op *txOp) context.Context { return op.ctx },
		func(op *txOp, err error) { op.done <- txResult{err: err} })
	if len(live) == 0 {
		return
	}
	later, err := g.together(live)
	if err != nil {
		// Nothing of the group was written: each event runs on its own.
		later = live
	}
	for _, op := range later {
		g.alone(op)
	}
}

// alone runs op in a transaction of its own.
func (g *grouper) alone(op *txOp) {
	ctx := context.WithoutCancel(op.ctx)
	res, err := transactAlone(ctx, g.pool, op.t, g.clock)
	op.done <- txResult{res: res, err: err}
}

// member keys of a group: the ways an event names its member.
func refKey(tenant string, ref store.AccountRef) string {
	switch {
	case ref.MemberID != "":
		return tenant + "\x00id\x00" + ref.MemberID
	case ref.Phone != "":
		return tenant + "\x00phone\x00" + ref.Phone
	}
	if ids := shopIdentities(ref); len(ids) > 0 {
		return identityKey(tenant, ids[0])
	}
	return tenant + "\x00order\x00" + ref.OrderID
}

// identityKey is the group key of a customer id or an email.
func identityKey(tenant string, id member.Identity) string {
	return tenant + "\x00" + id.Kind + "\x00" + id.Connector + "\x00" + id.Value
}

// shopIdentities are the customer id and email ref names its member by,
// as stores keep them.
func shopIdentities(ref store.AccountRef) []member.Identity {
	var out []member.Identity
	for _, id := range ref.Identities() {
		if id.Kind == member.IdentityPhone {
			continue
		}
		if id, err := store.LookupIdentity(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// groupRead is what the group's read pipeline found for one event.
type groupRead struct {
	op        *txOp
	processed bool
	m         member.Member
	found     bool
	order     *loyalty.Order
	lots      []*loyalty.Lot
	// idents are the event's customer id and email; holders the member
	// holding each ("" for nobody).
	idents  []member.Identity
	holders []string
}

// joinable reports whether a group can run r's event: its customer id and
// email are held by its member or by nobody, and when it has no member yet,
// by nobody. Anything else would merge members, which an event does on its
// own.
func (r *groupRead) joinable() bool {
	for _, h := range r.holders {
		if h != "" && (!r.found || h != r.m.ID) {
			return false
		}
	}
	return true
}

// together runs the events of group that it can in one transaction and
// answers them once it commits. It returns the events left to run on their
// own, or an error when the group was rolled back; the events are not
// answered then.
func (g *grouper) together(group []*txOp) (later []*txOp, err error) {
	ctx := context.Background()
	// Rows are locked in one order in every group, so that two groups
	// never wait for each other.
	sort.SliceStable(group, func(i, j int) bool {
		return refKey(group[i].t.Tenant, group[i].t.Ref) < refKey(group[j].t.Tenant, group[j].t.Ref)
	})
	seen := make(map[string]bool, len(group))
	var reads []*groupRead
	for _, op := range group {
		key, ev := refKey(op.t.Tenant, op.t.Ref), op.t.Tenant+"\x00"+op.t.EventID
		idents := shopIdentities(op.t.Ref)
		var keys []string
		for _, id := range idents {
			keys = append(keys, identityKey(op.t.Tenant, id))
		}
		if seen[key] || seen[ev] || slices.ContainsFunc(keys, func(k string) bool { return seen[k] }) {
			later = append(later, op)
			continue
		}
		seen[key], seen[ev] = true, true
		for _, k := range keys {
			seen[k] = true
		}
		reads = append(reads, &groupRead{op: op, idents: idents})
	}

	tx, err := g.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning a group: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := readGroup(ctx, tx, reads); err != nil {
		return nil, err
	}

	now := g.clock.Now()
	var writes writeBatch
	type answer struct {
		op  *txOp
		res txResult
	}
	var answers []answer
	members := make(map[string]bool, len(reads))
	referred := map[string]int{} // referrer id → new members linked in this group
	for _, r := range reads {
		op := r.op
		if r.processed || (r.found && members[r.m.ID]) || (!r.found && op.t.Ref.MemberID != "") || !r.joinable() {
			// A replay reads the member it recorded; a second event on a
			// member must see what the first wrote; a member id not found
			// may be that of a merged member; identities of other members
			// merge them.
			later = append(later, op)
			continue
		}
		if r.found {
			members[r.m.ID] = true
		}
		res, err := runInGroup(ctx, &groupTx{accountTx: accountTx{tx}, read: r, writes: &writes, referred: referred}, op.t, now)
		answers = append(answers, answer{op, txResult{res: res, err: err}})
	}
	if err := writes.send(ctx, tx, "writing a group"); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("committing a group: %w", err)
	}
	for _, a := range answers {
		a.op.done <- a.res
	}
	return later, nil
}

// readGroup sends the reads of every event in one pipeline: its member
// (locked), whether the event was processed, and the order it names with
// the order's lots (the order locked).
func readGroup(ctx context.Context, tx pgx.Tx, reads []*groupRead) error {
	b := &pgx.Batch{}
	for _, r := range reads {
		op := r.op
		var q string
		var arg any
		switch {
		case op.t.Ref.MemberID != "":
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2 FOR NO KEY UPDATE`, op.t.Ref.MemberID
		case op.t.Ref.Phone != "":
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND phone = $2 FOR NO KEY UPDATE`, op.t.Ref.Phone
		case len(r.idents) > 0:
			id := r.idents[0]
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = (
				SELECT member_id FROM member_identities WHERE tenant = $1 AND kind = $3 AND connector = $4 AND value = $2)
				FOR NO KEY UPDATE`, id.Value
		default:
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1
				AND id = (SELECT member_id FROM orders WHERE tenant = $1 AND id = $2) FOR NO KEY UPDATE`, op.t.Ref.OrderID
		}
		args := []any{op.t.Tenant, arg}
		if op.t.Ref.MemberID == "" && op.t.Ref.Phone == "" && len(r.idents) > 0 {
			args = append(args, r.idents[0].Kind, r.idents[0].Connector)
		}
		b.Queue(q, args...).QueryRow(func(row pgx.Row) error {
			m, err := scanMember(row)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return nil
			case err != nil:
				return fmt.Errorf("looking up the member: %w", err)
			}
			r.m, r.found = m, true
			return nil
		})
		r.holders = make([]string, len(r.idents))
		for i, id := range r.idents {
			b.Queue(`SELECT member_id FROM member_identities WHERE tenant = $1 AND kind = $2 AND connector = $3 AND value = $4`,
				op.t.Tenant, id.Kind, id.Connector, id.Value).QueryRow(func(row pgx.Row) error {
				if err := row.Scan(&r.holders[i]); err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return fmt.Errorf("looking up the member's %s: %w", id.Kind, err)
				}
				return nil
			})
		}
		// Read under the member's lock, so that another group's
		// transaction of the same event has committed or not begun. (A
		// transaction of its own claims the event before the member; one
		// that races a group fails the group, or waits for it.)
		if !op.t.Ref.Unrecorded {
			b.Queue(`SELECT EXISTS (SELECT 1 FROM processed_events WHERE tenant = $1 AND event_id = $2)`,
				op.t.Tenant, op.t.EventID).QueryRow(func(row pgx.Row) error { return row.Scan(&r.processed) })
		}
		if op.t.Ref.OrderID == "" {
			continue
		}
		b.Queue(`SELECT member_id, event_id, total, refunded, currency FROM orders
			WHERE tenant = $1 AND id = $2 FOR UPDATE`, op.t.Tenant, op.t.Ref.OrderID).QueryRow(func(row pgx.Row) error {
			o := &loyalty.Order{ID: op.t.Ref.OrderID}
			err := row.Scan(&o.MemberID, &o.EventID, &o.Total, &o.Refunded, &o.Currency)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return nil
			case err != nil:
				return fmt.Errorf("looking up order %s: %w", op.t.Ref.OrderID, err)
			}
			r.order = o
			return nil
		})
		b.Queue(`SELECT `+lotColumns+` FROM lots WHERE tenant = $1 AND order_id = $2 AND order_id <> '' ORDER BY id`,
			op.t.Tenant, op.t.Ref.OrderID).Query(func(rows pgx.Rows) error {
			lots, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*loyalty.Lot, error) { return scanLot(r) })
			if err != nil {
				return fmt.Errorf("loading lots: %w", err)
			}
			r.lots = lots
			return nil
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("reading a group: %w", err)
	}
	return nil
}

// runInGroup runs one event of a group and queues its writes. Nothing is
// queued when it fails.
func runInGroup(ctx context.Context, gt *groupTx, t store.Transaction, now time.Time) (store.AccountResult, error) {
	t.Now = now
	res, err := store.RunTransact(ctx, gt, t)
	return gt.end(ctx, res, err)
}

// groupTx is one event of a group, run by store.RunTransact: what the
// group's read pipeline found stands for its lookups, and its writes join
// the group's write pipeline but for a redemption and a referral, which a
// later event of the group must see (see the top of this file).
type groupTx struct {
	accountTx
	read     *groupRead
	writes   *writeBatch
	referred map[string]int // referrer id → new members linked in the group
	saved    bool           // the event's savepoint is open
}

var _ store.AccountTx = (*groupTx)(nil)

// save opens the event's savepoint, once.
func (g *groupTx) save(ctx context.Context) error {
	if g.saved {
		return nil
	}
	if _, err := g.tx.Exec(ctx, `SAVEPOINT grouped_event`); err != nil {
		return fmt.Errorf("opening a savepoint: %w", err)
	}
	g.saved = true
	return nil
}

// end closes the event's savepoint, if it opened one, once the event ran
// with outcome res, err: a failing event takes back what it wrote there.
func (g *groupTx) end(ctx context.Context, res store.AccountResult, err error) (store.AccountResult, error) {
	if !g.saved {
		return res, err
	}
	q := `RELEASE SAVEPOINT grouped_event`
	if err != nil {
		q = `ROLLBACK TO SAVEPOINT grouped_event; RELEASE SAVEPOINT grouped_event`
	}
	if _, serr := g.tx.Exec(ctx, q); serr != nil {
		return store.AccountResult{}, errors.Join(err, fmt.Errorf("closing a savepoint: %w", serr))
	}
	return res, err
}

// ClaimEvent finds nothing: the group read the event as not processed,
// under its member's lock, and WriteChanges inserts its record.
func (g *groupTx) ClaimEvent(context.Context, string, string, time.Time) (*store.ProcessedEvent, error) {
	return nil, nil
}

// ResolveMember returns the member the group read, or a new one. The
// group takes only events whose identities are their member's or nobody's,
// so that there is nothing to merge.
func (g *groupTx) ResolveMember(_ context.Context, tenant, _ string, ref store.AccountRef, at, now time.Time) (
	member.Member, bool, []string, error) {
	r := g.read
	if r.found {
		return r.m, false, nil, nil
	}
	if !ref.Create || ref.MemberID != "" || (ref.Phone == "" && len(r.idents) == 0) {
		return member.Member{}, false, nil, store.ErrNotFound
	}
	return member.Member{ID: store.NewMemberID(), Tenant: tenant, Phone: ref.Phone, CreatedAt: store.StampOr(at, now),
		UpdatedAt: now, Referral: member.Referral{Code: member.NewReferralCode()}}, true, nil, nil
}

// Order returns the order the group read.
func (g *groupTx) Order(context.Context, string, string) (*loyalty.Order, error) {
	return g.read.order, nil
}

// OrderLots returns the lots of the order the group read that are the
// member's.
func (g *groupTx) OrderLots(_ context.Context, _, _, memberID string) ([]*loyalty.Lot, error) {
	var lots []*loyalty.Lot
	for _, l := range g.read.lots {
		if l.MemberID == memberID {
			lots = append(lots, l)
		}
	}
	return lots, nil
}

// TakeCode takes a code inside the event's savepoint.
func (g *groupTx) TakeCode(ctx context.Context, tenant, rewardID, redemptionID string) (string, error) {
	if err := g.save(ctx); err != nil {
		return "", err
	}
	return g.accountTx.TakeCode(ctx, tenant, rewardID, redemptionID)
}

// Redeemed locks and reads a reward's stock inside the event's savepoint.
func (g *groupTx) Redeemed(ctx context.Context, tenant, rewardID string) (int64, error) {
	if err := g.save(ctx); err != nil {
		return 0, err
	}
	return g.accountTx.Redeemed(ctx, tenant, rewardID)
}

// ReferralsSince counts the referrer's members as stored and the ones the
// group linked so far.
func (g *groupTx) ReferralsSince(ctx context.Context, tenant, referrerID string, since time.Time) (int, error) {
	n, err := g.accountTx.ReferralsSince(ctx, tenant, referrerID, since)
	return n + g.referred[referrerID], err
}

// WriteChanges writes the event's redemption at once and queues the rest,
// with the identities nobody held: one another transaction takes
// meanwhile fails the group, whose events then run alone.
func (g *groupTx) WriteChanges(ctx context.Context, w store.AccountWrite) error {
	if w.Changes.Redemption != nil {
		if err := g.save(ctx); err != nil {
			return err
		}
		if err := writeRedemption(ctx, g.tx, w.Tenant, w.Member.ID, w.Changes.Redemption, w.Now); err != nil {
			return err
		}
	}
	processed := processedNone
	if w.Record {
		processed = processedInsert
	}
	if err := queueChanges(g.writes, w, w.IsNew, processed); err != nil {
		return err
	}
	queueEffects(g.writes, w.Tenant, w.Effects, w.Now)
	for i, id := range g.read.idents {
		if g.read.holders[i] == "" {
			g.writes.queue("saving the member's "+id.Kind, `INSERT INTO member_identities
				(tenant, kind, connector, value, member_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				w.Tenant, id.Kind, id.Connector, id.Value, w.Member.ID, w.Now)
		}
	}
	if by := w.Changes.Member.Referral.ReferredBy; w.IsNew && by != "" {
		g.referred[by]++
	}
	return nil
}
