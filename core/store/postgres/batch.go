package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"sync"
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
	// maxGroup caps the events of one group.
	maxGroup = 64
	// maxGatherRounds bounds how often a worker yields for late joiners.
	maxGatherRounds = 4
)

// txOp is one Transact call waiting for, or running in, a group.
type txOp struct {
	ctx     context.Context
	tenant  string
	eventID string
	ref     store.AccountRef
	at      time.Time
	fn      func(a *loyalty.Account) error
	done    chan txResult // buffered; receives the outcome once
}

type txResult struct {
	res store.AccountResult
	err error
}

// grouper owns the workers that run groups.
type grouper struct {
	pool *pgxpool.Pool
	ops  chan *txOp
	quit chan struct{}
	wg   sync.WaitGroup
}

func startGrouper(pool *pgxpool.Pool) *grouper {
	g := &grouper{pool: pool, ops: make(chan *txOp), quit: make(chan struct{})}
	for range groupWorkers {
		g.wg.Add(1)
		go g.loop()
	}
	return g
}

// stop ends the workers after their current group. Calls not yet taken
// fail with errClosed.
func (g *grouper) stop() {
	close(g.quit)
	g.wg.Wait()
}

// do runs op in a group and returns its outcome, or ctx.Err() once ctx is
// done (the event may still be committed then).
func (g *grouper) do(op *txOp) (store.AccountResult, error) {
	op.done = make(chan txResult, 1)
	select {
	case g.ops <- op:
	case <-g.quit:
		return store.AccountResult{}, errClosed
	case <-op.ctx.Done():
		return store.AccountResult{}, op.ctx.Err()
	}
	select {
	case r := <-op.done:
		return r.res, r.err
	case <-op.ctx.Done():
		return store.AccountResult{}, op.ctx.Err()
	}
}

func (g *grouper) loop() {
	defer g.wg.Done()
	group := make([]*txOp, 0, maxGroup)
	for {
		select {
		case op := <-g.ops:
			group = append(group[:0], op)
		case <-g.quit:
			return
		}
		store.Gather(g.ops, &group, maxGroup, maxGatherRounds)
		g.run(group)
		clear(group)
	}
}

// run answers every call of a group.
func (g *grouper) run(group []*txOp) {
	live := group[:0:0]
	for _, op := range group {
		if err := op.ctx.Err(); err != nil {
			op.done <- txResult{err: err}
			continue
		}
		live = append(live, op)
	}
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
	res, err := transactAlone(ctx, g.pool, op.tenant, op.eventID, op.ref, op.at, op.fn)
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
	// openLots, when preloaded, are all of the member's open lots (read
	// for a batch of scheduled work), so the account need not load them.
	openLots  []*loyalty.Lot
	preloaded bool
	// plain, when set, takes the event's changes when they are plain
	// (store.PlainWrites), to be written with the batch's set statements.
	plain *store.PlainWrites
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
		return refKey(group[i].tenant, group[i].ref) < refKey(group[j].tenant, group[j].ref)
	})
	seen := make(map[string]bool, len(group))
	var reads []*groupRead
	for _, op := range group {
		key, ev := refKey(op.tenant, op.ref), op.tenant+"\x00"+op.eventID
		idents := shopIdentities(op.ref)
		var keys []string
		for _, id := range idents {
			keys = append(keys, identityKey(op.tenant, id))
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

	now := store.Stamp(time.Now())
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
		if r.processed || (r.found && members[r.m.ID]) || (!r.found && op.ref.MemberID != "") || !r.joinable() {
			// A replay reads the member it recorded; a second event on a
			// member must see what the first wrote; a member id not found
			// may be that of a merged member; identities of other members
			// merge them.
			later = append(later, op)
			continue
		}
		if !r.found && !(op.ref.Create && (op.ref.Phone != "" || len(r.idents) > 0) && op.ref.MemberID == "") {
			answers = append(answers, answer{op, txResult{err: store.ErrNoMember}})
			continue
		}
		m, isNew := r.m, !r.found
		if isNew {
			m = member.Member{ID: store.NewMemberID(), Tenant: op.tenant, Phone: op.ref.Phone,
				CreatedAt: store.Stamp(op.at), UpdatedAt: now, Referral: member.Referral{Code: member.NewReferralCode()}}
		}
		members[m.ID] = true
		res, err := applyInGroup(ctx, tx, &writes, op, m, isNew, r, referred, now)
		switch {
		case err != nil:
			answers = append(answers, answer{op, txResult{err: err}})
		default:
			// Identities nobody held: one another transaction takes
			// meanwhile fails the group, whose events then run alone.
			for i, id := range r.idents {
				if r.holders[i] == "" {
					writes.queue("saving the member's "+id.Kind, `INSERT INTO member_identities
						(tenant, kind, connector, value, member_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
						op.tenant, id.Kind, id.Connector, id.Value, m.ID, now)
				}
			}
			answers = append(answers, answer{op, txResult{res: res}})
		}
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
		case op.ref.MemberID != "":
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2 FOR NO KEY UPDATE`, op.ref.MemberID
		case op.ref.Phone != "":
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND phone = $2 FOR NO KEY UPDATE`, op.ref.Phone
		case len(r.idents) > 0:
			id := r.idents[0]
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = (
				SELECT member_id FROM member_identities WHERE tenant = $1 AND kind = $3 AND connector = $4 AND value = $2)
				FOR NO KEY UPDATE`, id.Value
		default:
			q, arg = `SELECT `+memberColumns+` FROM members WHERE tenant = $1
				AND id = (SELECT member_id FROM orders WHERE tenant = $1 AND id = $2) FOR NO KEY UPDATE`, op.ref.OrderID
		}
		args := []any{op.tenant, arg}
		if op.ref.MemberID == "" && op.ref.Phone == "" && len(r.idents) > 0 {
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
				op.tenant, id.Kind, id.Connector, id.Value).QueryRow(func(row pgx.Row) error {
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
		if !op.ref.Unrecorded {
			b.Queue(`SELECT EXISTS (SELECT 1 FROM processed_events WHERE tenant = $1 AND event_id = $2)`,
				op.tenant, op.eventID).QueryRow(func(row pgx.Row) error { return row.Scan(&r.processed) })
		}
		if op.ref.OrderID == "" {
			continue
		}
		b.Queue(`SELECT member_id, event_id, total, refunded, currency FROM orders
			WHERE tenant = $1 AND id = $2 FOR UPDATE`, op.tenant, op.ref.OrderID).QueryRow(func(row pgx.Row) error {
			o := &loyalty.Order{ID: op.ref.OrderID}
			err := row.Scan(&o.MemberID, &o.EventID, &o.Total, &o.Refunded, &o.Currency)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return nil
			case err != nil:
				return fmt.Errorf("looking up order %s: %w", op.ref.OrderID, err)
			}
			r.order = o
			return nil
		})
		b.Queue(`SELECT `+lotColumns+` FROM lots WHERE tenant = $1 AND order_id = $2 AND order_id <> '' ORDER BY id`,
			op.tenant, op.ref.OrderID).Query(func(rows pgx.Rows) error {
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

// applyInGroup runs one event of a group on its member's account and
// queues its writes. Nothing is queued when it fails.
func applyInGroup(ctx context.Context, tx pgx.Tx, writes *writeBatch, op *txOp,
	m member.Member, isNew bool, r *groupRead, referred map[string]int, now time.Time) (store.AccountResult, error) {
	stored := m
	fillMember(&m, op.ref)
	if m.Referral.Code == "" {
		var err error
		if m.Referral.Code, err = newReferralCode(ctx, tx, op.tenant); err != nil {
			return store.AccountResult{}, err
		}
	}
	var lots []*loyalty.Lot
	if r.order != nil {
		for _, l := range r.lots {
			if l.MemberID == m.ID {
				lots = append(lots, l)
			}
		}
	}
	a := newAccount(ctx, tx, op.tenant, m, isNew, r.order, lots)
	if r.preloaded {
		a.Lots, a.LoadLots = r.openLots, nil
	}
	// The first write of a redemption ability opens a savepoint, so that
	// a failing event takes back only its own.
	saved := false
	save := func() error {
		if saved {
			return nil
		}
		if _, err := tx.Exec(ctx, `SAVEPOINT grouped_event`); err != nil {
			return fmt.Errorf("opening a savepoint: %w", err)
		}
		saved = true
		return nil
	}
	rd := a.Redemptions
	a.Redemptions.TakeCode = func(rewardID, redemptionID string) (string, error) {
		if err := save(); err != nil {
			return "", err
		}
		return rd.TakeCode(rewardID, redemptionID)
	}
	a.Redemptions.Redeemed = func(rewardID string) (int64, error) {
		if err := save(); err != nil {
			return 0, err
		}
		return rd.Redeemed(rewardID)
	}
	referrals := a.ReferralsThisMonth
	a.ReferralsThisMonth = func(referrerID string, since time.Time) (int, error) {
		n, err := referrals(referrerID, since)
		return n + referred[referrerID], err
	}
	ch, err := runInGroup(ctx, tx, a, op, m.ID, save)
	if saved {
		q := `RELEASE SAVEPOINT grouped_event`
		if err != nil {
			q = `ROLLBACK TO SAVEPOINT grouped_event; RELEASE SAVEPOINT grouped_event`
		}
		if _, serr := tx.Exec(ctx, q); serr != nil {
			return store.AccountResult{}, errors.Join(err, fmt.Errorf("closing a savepoint: %w", serr))
		}
	}
	if err != nil {
		return store.AccountResult{}, err
	}
	if by := ch.Member.Referral.ReferredBy; isNew && by != "" {
		referred[by]++
	}
	res := store.AccountResult{Member: ch.Member, Outcomes: ch.Outcomes, FollowUps: ch.FollowUps}
	if r.plain != nil && !isNew && r.plain.Add(m.ID, stored, r.openLots, ch) {
		return res, nil
	}
	processed := processedInsert
	if op.ref.Unrecorded {
		processed = processedNone
	}
	if isNew {
		t, rf := ch.Member.Tier, ch.Member.Referral
		writes.queue("creating the member", `INSERT INTO members (`+memberColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
			m.ID, m.Tenant, store.StoredPhone(m), m.Name, m.Email, ch.Member.Balance, ch.Member.Pending, m.CreatedAt, now,
			t.Name, dbTimePtr(t.Since), dbTimePtr(t.ReviewAt), t.Manual, dbTimePtr(t.ManualUntil),
			rf.Code, rf.ReferredBy, rf.Status, rf.Order, m.Birthday, ch.Member.BirthdayYear)
	}
	if err := queueChanges(writes, op.tenant, op.eventID, m, stored, !isNew, processed, a.NewOrder, ch, now); err != nil {
		return store.AccountResult{}, err
	}
	return res, nil
}

// runInGroup runs the event's program on a and writes its redemption, if
// any, at once (after save), as a later event of the group may read it.
func runInGroup(ctx context.Context, tx pgx.Tx, a *loyalty.Account, op *txOp, memberID string,
	save func() error) (loyalty.Changes, error) {
	if err := op.fn(a); err != nil {
		return loyalty.Changes{}, err
	}
	if err := a.Err(); err != nil {
		return loyalty.Changes{}, err
	}
	ch := a.Changes()
	if ch.Redemption != nil {
		if err := save(); err != nil {
			return loyalty.Changes{}, err
		}
		if err := writeRedemption(ctx, tx, op.tenant, memberID, ch.Redemption); err != nil {
			return loyalty.Changes{}, err
		}
	}
	return ch, nil
}

// fillMember fills a member's empty name, email and birthday from ref.
func fillMember(m *member.Member, ref store.AccountRef) {
	if m.Name == "" {
		m.Name = ref.Name
	}
	if m.Email == "" {
		m.Email = ref.Email
	}
	if m.Birthday == "" {
		m.Birthday = ref.Birthday
	}
}

// newAccount is the account of member m inside tx, its store abilities
// reading through tx.
func newAccount(ctx context.Context, tx pgx.Tx, tenant string, m member.Member, isNew bool,
	order *loyalty.Order, lots []*loyalty.Lot) *loyalty.Account {
	return &loyalty.Account{
		Member: store.LoyaltyMember(m), New: isNew, Lots: lots, Order: order,
		LoadLots: func() ([]*loyalty.Lot, error) {
			return queryLots(ctx, tx, `SELECT `+lotColumns+` FROM lots
				WHERE member_id = $1 AND (status = 'pending' OR (status = 'active' AND remaining > 0))`, m.ID)
		},
		Counters: func(keys []string) (map[string]int64, error) {
			return counters(ctx, tx, tenant, m.ID, keys)
		},
		Qualifying: func(basis string, since time.Time) (*big.Rat, error) {
			return qualifying(ctx, tx, tenant, m.ID, basis, since)
		},
		Redemptions: redemptions(ctx, tx, tenant),
		Referrer: func(code string) (string, string, bool, error) {
			return referrer(ctx, tx, tenant, code)
		},
		ReferralsThisMonth: func(referrerID string, since time.Time) (int, error) {
			return referralsSince(ctx, tx, tenant, referrerID, since)
		},
	}
}
