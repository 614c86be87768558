package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// Batch reads of TransactMembers (queryLots orders the lots by id). The ids go in as one JSON array, so
// that every batch size runs the same prepared statement; the lots query
// repeats the condition of the partial index lots_member_open.
const (
	queryBatchMembers = `SELECT ` + memberColumns + ` FROM members
		WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))`
	queryBatchOpenLots = `SELECT ` + lotColumns + ` FROM lots
		WHERE member_id IN (SELECT value FROM json_each(?))
			AND (status = 'pending' OR (status = 'active' AND remaining > 0))`
)

// TransactMembers runs scheduled work on many members in one transaction;
// see store.Accounts. The members and their open lots are read with one
// query each, every op runs on its account in memory, and the changes
// scheduled work makes (lots, entries, points) are written with one
// statement per table for the whole batch.
func (s *Store) TransactMembers(ctx context.Context, tenant string, ops []store.MemberOp) ([]store.MemberResult, error) {
	if tenant == "" {
		return nil, errors.New("loyalty batch: tenant is required")
	}
	if len(ops) == 0 {
		return []store.MemberResult{}, nil
	}
	var results []store.MemberResult
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		results, err = transactMembers(ctx, tx, tenant, ops, s.clock.Now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty batch: %w", err)
	}
	return results, nil
}

func transactMembers(ctx context.Context, tx *wtx, tenant string, ops []store.MemberOp, now time.Time) ([]store.MemberResult, error) {
	members, err := batchMembers(ctx, tx, tenant, ops)
	if err != nil {
		return nil, err
	}
	list, err := json.Marshal(store.MemberIDsOf(members))
	if err != nil {
		return nil, fmt.Errorf("encoding member ids: %w", err)
	}
	open, err := queryLots(ctx, tx, queryBatchOpenLots, string(list))
	if err != nil {
		return nil, err
	}
	var w store.PlainWrites
	results := store.RunOps(ops, members, store.LotsByMember(open), func(op store.MemberOp, m member.Member, lots []*loyalty.Lot) (store.AccountResult, error) {
		return runMember(ctx, tx, tenant, op, m, lots, &w, now)
	})
	for _, r := range results {
		if errors.Is(r.Err, errWroteEarly) {
			// What the op wrote before it failed cannot be taken back
			// alone: the batch fails, and its members run one by one.
			return nil, r.Err
		}
	}
	return results, flushPlain(ctx, tx, tenant, &w, now)
}

// batchMembers reads the members the ops name, by the ids the ops use: a
// merged member's id maps to the member it was merged into.
func batchMembers(ctx context.Context, tx *wtx, tenant string, ops []store.MemberOp) (map[string]member.Member, error) {
	ids := store.OpMemberIDs(ops)
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("encoding member ids: %w", err)
	}
	rows, err := tx.QueryContext(ctx, queryBatchMembers, tenant, string(list))
	if err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	defer rows.Close()
	out := make(map[string]member.Member, len(ops))
	for rows.Next() {
		m, err := scanMember(rows)
		switch {
		case errors.Is(err, store.ErrNotFound): // merged: AddMerged finds it
		case err != nil:
			return nil, fmt.Errorf("reading members: %w", err)
		default:
			out[m.ID] = m
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	return out, store.AddMerged(out, ids, func(id string) (member.Member, error) { return memberByID(ctx, tx, tenant, id) })
}

// errWroteEarly marks the failure of an op that had written through its
// account's redemption abilities, or written its changes in part, before
// it failed.
var errWroteEarly = errors.New("a failing op of the batch had written already")

// runMember runs one op of a batch on member m, whose open lots are lots
// (store.RunMember). Its changes join w's set statements when they are the
// kind scheduled work makes (lots changed, entries added, points moved);
// anything else is written at once, as Transact writes it.
func runMember(ctx context.Context, tx *wtx, tenant string, op store.MemberOp, m member.Member, lots []*loyalty.Lot,
	w *store.PlainWrites, now time.Time) (store.AccountResult, error) {
	wrote := false
	res, err := store.RunMember(ctx, batchOpTx{accountTx: accountTx{tx}, wrote: &wrote}, tenant, op, m, lots, w, now)
	if err != nil && wrote {
		return store.AccountResult{}, errors.Join(errWroteEarly, err)
	}
	return res, err
}

// batchOpTx is the transaction of one op of a batch: it notes whether the
// op wrote anything, which the op cannot take back alone when it fails.
type batchOpTx struct {
	accountTx
	wrote *bool
}

// TakeCode takes a reward code for the op.
func (b batchOpTx) TakeCode(ctx context.Context, tenant, rewardID, redemptionID string) (string, error) {
	*b.wrote = true
	return b.accountTx.TakeCode(ctx, tenant, rewardID, redemptionID)
}

// WriteChanges writes the op's changes that are not plain.
func (b batchOpTx) WriteChanges(ctx context.Context, w store.AccountWrite) error {
	*b.wrote = true
	return b.accountTx.WriteChanges(ctx, w)
}

// The set statements of a batch's plain writes. Their rows are bound as
// parameters of a VALUES list (the columns of a VALUES row are named
// column1, column2, …): decoding JSON rows in SQL cost more than the
// writes themselves. The updates are OR FAIL: a failing statement fails
// its whole op, which is rolled back with everything else it wrote, so
// SQLite need not copy every page the statement changes into a statement
// journal to undo the statement alone (ABORT, the default, does).
var (
	batchUpdateMembers = newRowsStatement("saving members", 3, `UPDATE OR FAIL members
		SET balance = v.column2, pending = v.column3, updated_at = ?
		FROM (VALUES %s) AS v WHERE members.id = v.column1`)
	batchUpdateLots = newRowsStatement("saving lots", 7, `UPDATE OR FAIL lots
		SET remaining = v.column2, reversed = v.column3, status = v.column4,
			activates_at = v.column5, expires_at = v.column6, reminded = v.column7
		FROM (VALUES %s) AS v WHERE lots.id = v.column1`)
	batchInsertEntries = newRowsStatement("inserting entries", 15, `INSERT INTO ledger_entries
		(tenant, member_id, event_id, rule, kind, points, pending_points, balance_after, pending_after,
		 lot_id, order_id, ref_event_id, actor, reason, created_at)
		VALUES %s`)
)

// maxStatementRows caps the rows of one rowsStatement.
const maxStatementRows = 256

// rowsStatement is a statement over rows bound as parameters. It has a
// text for every row count that is a power of two up to maxStatementRows,
// so that the rows of any batch go out in a few statements, each prepared
// once.
type rowsStatement struct {
	what  string
	width int      // parameters of a row
	texts []string // texts[i] takes 1<<i rows
}

// newRowsStatement makes the texts of a statement whose rows of width
// parameters go where format has its %s.
func newRowsStatement(what string, width int, format string) rowsStatement {
	row := "(?" + strings.Repeat(", ?", width-1) + ")"
	s := rowsStatement{what: what, width: width}
	for n := 1; n <= maxStatementRows; n *= 2 {
		s.texts = append(s.texts, fmt.Sprintf(format, row+strings.Repeat(", "+row, n-1)))
	}
	return s
}

// exec runs the statement over rows, the rows' parameters one after the
// other, each statement with lead's parameters before its rows'.
func (s rowsStatement) exec(ctx context.Context, tx *wtx, lead, rows []any) error {
	var args []any
	for len(rows) > 0 {
		i := bits.Len(uint(min(len(rows)/s.width, maxStatementRows))) - 1
		n := s.width << i
		args = append(append(args[:0], lead...), rows[:n]...)
		if _, err := tx.ExecContext(ctx, s.texts[i], args...); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		rows = rows[n:]
	}
	return nil
}

// flushPlain runs a batch's plain writes, and writes their effects.
func flushPlain(ctx context.Context, tx *wtx, tenant string, w *store.PlainWrites, now time.Time) error {
	members := make([]any, 0, len(w.Members)*batchUpdateMembers.width)
	for _, m := range w.Members {
		members = append(members, m.MemberID, m.Balance, m.Pending)
	}
	lots := make([]any, 0, len(w.Lots)*batchUpdateLots.width)
	for _, l := range w.Lots {
		lots = append(lots, l.ID, l.Remaining, l.Reversed, l.Status, dbTime(l.ActivatesAt), dbTime(l.ExpiresAt), l.Reminded)
	}
	entries := make([]any, 0, len(w.Entries)*batchInsertEntries.width)
	for _, e := range w.Entries {
		entries = append(entries, tenant, e.MemberID, e.EventID, e.Rule, e.Kind, e.Points, e.PendingPoints,
			e.BalanceAfter, e.PendingAfter, e.LotID, e.OrderID, e.RefEventID, e.Actor, e.Reason, toDB(store.StampOr(e.At, now)))
	}
	if err := batchUpdateMembers.exec(ctx, tx, []any{toDB(now)}, members); err != nil {
		return err
	}
	if err := batchUpdateLots.exec(ctx, tx, nil, lots); err != nil {
		return err
	}
	if err := batchInsertEntries.exec(ctx, tx, nil, entries); err != nil {
		return err
	}
	return writeEffects(ctx, tx, tenant, w.Effects, now)
}
