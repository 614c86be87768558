package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/store"
)

// Delivery reports are applied in groups, like loyalty transactions: the
// ApplyStatuses calls waiting at the same moment (each one webhook's
// reports) share one transaction and one commit. A group reads every
// message its reports name in one statement, locking them in key order
// (so that two groups never wait for each other), applies the reports in
// memory in the order of the calls and of their reports, exactly as
// ApplyStatus would one by one, and writes the messages and their
// timelines in one pipeline. When the group fails, each call runs again in
// a transaction of its own, which decides as if there had been no group.
const (
	// statusWorkers is how many groups of reports are in flight at once.
	statusWorkers = 2
	// maxStatusGroup caps the calls of one group.
	maxStatusGroup = 64
)

// statusOp is one ApplyStatuses call waiting for, or running in, a group.
type statusOp struct {
	ctx  context.Context
	us   []store.StatusUpdate
	done chan statusResult // buffered; receives the outcome once
}

type statusResult struct {
	missing []bool
	err     error
}

// statusGrouper applies delivery reports in groups.
type statusGrouper struct {
	pool  *pgxpool.Pool
	clock store.Clock
	*groups[*statusOp]
}

func startStatusGrouper(pool *pgxpool.Pool, clock store.Clock) *statusGrouper {
	g := &statusGrouper{pool: pool, clock: clock}
	g.groups = startGroups(statusWorkers, maxStatusGroup, 0, g.run)
	return g
}

// do applies us in a group and returns the outcome, or ctx.Err() once ctx
// is done (the reports may still be committed then).
func (g *statusGrouper) do(ctx context.Context, us []store.StatusUpdate) ([]bool, error) {
	op := &statusOp{ctx: ctx, us: us, done: make(chan statusResult, 1)}
	if err := g.submit(ctx, op); err != nil {
		return nil, err
	}
	r, err := await(ctx, op.done)
	if err != nil {
		return nil, err
	}
	return r.missing, r.err
}

// run answers every call of a group.
func (g *statusGrouper) run(group []*statusOp) {
	live := liveOps(group, func(op *statusOp) context.Context { return op.ctx },
		func(op *statusOp, err error) { op.done <- statusResult{err: err} })
	if len(live) == 0 {
		return
	}
	if len(live) > 1 {
		missing, err := applyReportGroup(context.Background(), g.pool, live, g.clock)
		if err == nil {
			for i, op := range live {
				op.done <- statusResult{missing: missing[i]}
			}
			return
		}
		// Nothing of the group was written: each call runs on its own.
	}
	for _, op := range live {
		missing, err := applyReportGroup(context.WithoutCancel(op.ctx), g.pool, []*statusOp{op}, g.clock)
		var m []bool
		if err == nil {
			m = missing[0]
		}
		op.done <- statusResult{missing: m, err: err}
	}
}

// reportKey names a message by tenant and one of its ids.
type reportKey struct{ tenant, id string }

// applyReportGroup applies the reports of ops in one transaction and
// returns, for each op, which of its reports matched no message.
func applyReportGroup(ctx context.Context, pool *pgxpool.Pool, ops []*statusOp, clock store.Clock) ([][]bool, error) {
	var tenants, pmids, keyTenants, keys []string
	for _, op := range ops {
		for _, u := range op.us {
			if u.ProviderMessageID != "" {
				tenants, pmids = append(tenants, u.Tenant), append(pmids, u.ProviderMessageID)
			}
			if u.Key != "" {
				keyTenants, keys = append(keyTenants, u.Tenant), append(keys, u.Key)
			}
		}
	}
	missing := make([][]bool, len(ops))
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE key IN (
				SELECT m.key FROM messages m JOIN unnest($1::text[], $2::text[]) AS r(tenant, pmid)
					ON m.tenant = r.tenant AND m.provider_message_id = r.pmid AND m.provider_message_id <> ''
				UNION
				SELECT m.key FROM messages m JOIN unnest($3::text[], $4::text[]) AS r(tenant, key)
					ON m.tenant = r.tenant AND m.key = r.key)
			ORDER BY key FOR UPDATE`, tenants, pmids, keyTenants, keys)
		if err != nil {
			return fmt.Errorf("reading the messages: %w", err)
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Message, error) { return scanMessage(r) })
		if err != nil {
			return fmt.Errorf("reading the messages: %w", err)
		}
		byPMID := make(map[reportKey]*store.Message, len(found))
		byKey := make(map[reportKey]*store.Message, len(found))
		for i := range found {
			m := &found[i]
			byKey[reportKey{m.Tenant, m.Key}] = m
			pk := reportKey{m.Tenant, m.ProviderMessageID}
			if _, seen := byPMID[pk]; m.ProviderMessageID != "" && !seen {
				byPMID[pk] = m // the first by key, of messages sharing an id
			}
		}
		var steps timelineRows
		var pricing pricingRows
		changed := map[string]*store.Message{}
		for i, op := range ops {
			missing[i] = make([]bool, len(op.us))
			for j, u := range op.us {
				var cur *store.Message
				if u.ProviderMessageID != "" {
					cur = byPMID[reportKey{u.Tenant, u.ProviderMessageID}]
				}
				if cur == nil && u.Key != "" {
					cur = byKey[reportKey{u.Tenant, u.Key}]
				}
				if cur == nil {
					missing[i][j] = true
					continue
				}
				at := clock.Stamp(u.At)
				pricing.add(cur.Key, u, at)
				if !store.Advances(cur.Status, u.Status) {
					continue
				}
				if cur.ProviderMessageID == "" && u.ProviderMessageID != "" {
					cur.ProviderMessageID = u.ProviderMessageID
					byPMID[reportKey{u.Tenant, u.ProviderMessageID}] = cur
				}
				cur.Status, cur.ErrorCode, cur.Error, cur.UpdatedAt = u.Status, "", "", at
				if u.Status == store.MessageFailed {
					cur.ErrorCode, cur.Error = u.ErrorCode, u.Error
				}
				changed[cur.Key] = cur
				steps.add(cur.Key, u.Status, u.ErrorCode, u.Error, at)
			}
		}
		var ms messageRows
		for _, m := range changed {
			ms.add(m)
		}
		var writes writeBatch
		queueMessageWrites(&writes, ms, steps)
		pricing.queue(&writes)
		return writes.send(ctx, tx, "writing the reports")
	})
	if err != nil {
		return nil, err
	}
	return missing, nil
}

// timelineRows are timeline steps as columns, for one INSERT.
type timelineRows struct {
	keys, statuses, codes, errors []string
	ats                           []time.Time
}

func (t *timelineRows) add(key, status, code, reason string, at time.Time) {
	t.keys, t.statuses = append(t.keys, key), append(t.statuses, status)
	t.codes, t.errors, t.ats = append(t.codes, code), append(t.errors, reason), append(t.ats, at)
}

// messageRows are messages' reported state as columns, for one UPDATE.
type messageRows struct {
	timelineRows
	pmids []string
}

func (r *messageRows) add(m *store.Message) {
	r.timelineRows.add(m.Key, m.Status, m.ErrorCode, m.Error, m.UpdatedAt)
	r.pmids = append(r.pmids, m.ProviderMessageID)
}

// queueMessageWrites queues the writes of messages' new state and of
// their timelines' new steps, in order, each one statement.
func queueMessageWrites(w *writeBatch, ms messageRows, steps timelineRows) {
	if len(ms.keys) > 0 {
		w.queue("updating the messages", `UPDATE messages AS m SET status = v.status,
			provider_message_id = v.pmid, error_code = v.code, error = v.error, updated_at = v.at
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
				AS v(key, status, pmid, code, error, at)
			WHERE m.key = v.key`, ms.keys, ms.statuses, ms.pmids, ms.codes, ms.errors, ms.ats)
	}
	if len(steps.keys) > 0 {
		w.queue("adding to the timelines", `INSERT INTO message_statuses (message_key, status, error_code, error, at)
			SELECT key, status, code, error, at
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY
				AS v(key, status, code, error, at, n)
			ORDER BY n`, steps.keys, steps.statuses, steps.codes, steps.errors, steps.ats)
	}
}
