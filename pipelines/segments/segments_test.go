package segments_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines/segments"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

const tenant = "acme"

// fixture is a store with three members: gold-ish big spender A (opted
// in, bought 70 days ago), B (bought yesterday), C (never bought).
func fixture(t *testing.T) (*segments.Segments, map[string]string) {
	t.Helper()
	ctx := context.Background()
	clock := now
	st := sqlite.New(":memory:").WithClock(func() time.Time { return clock })
	require.NoError(t, st.Migrate(ctx))
	t.Cleanup(func() { _ = st.Close() })
	p := storetest.SpendProgram(t, tenant, nil)
	ids := map[string]string{}
	buy := func(name, phone, order, total string, at time.Time) {
		clock = at
		data, _ := json.Marshal(event.OrderPaid{OrderID: order, Phone: phone, Total: total, Currency: "IDR"})
		ev := event.Event{ID: event.ID(tenant, "pos", order), Tenant: tenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: data}
		res, err := st.Transact(ctx, tenant, ev.ID, store.AccountRef{Phone: phone, Name: name, OrderID: order, Create: true}, at,
			func(a *loyalty.Account) error { return p.Apply(a, ev) })
		require.NoError(t, err)
		ids[name] = res.Member.ID
	}
	buy("A", "+6281200000001", "O1", "500", now.Add(-70*24*time.Hour))
	buy("B", "+6281200000002", "O2", "20", now.Add(-24*time.Hour))
	clock = now
	res, err := st.Transact(ctx, tenant, "join-c", store.AccountRef{Phone: "+6281200000003", Name: "C", Create: true}, now,
		func(*loyalty.Account) error { return nil })
	require.NoError(t, err)
	ids["C"] = res.Member.ID
	_, err = st.UpdateContact(ctx, tenant, store.ContactRef{Phone: "+6281200000001"}, member.SetConsent(member.ConsentOptedIn, "test", now))
	require.NoError(t, err)
	return &segments.Segments{Store: st, Now: func() time.Time { return now }}, ids
}

func names(t *testing.T, ids map[string]string, run func(fn func(member.Member) error) error) []string {
	t.Helper()
	byID := map[string]string{}
	for n, id := range ids {
		byID[id] = n
	}
	var out []string
	require.NoError(t, run(func(m member.Member) error {
		out = append(out, byID[m.ID])
		return nil
	}))
	return out
}

func TestMembers(t *testing.T) {
	s, ids := fixture(t)
	ctx := context.Background()
	_, err := s.Save(ctx, tenant, segment.Segment{Name: "lapsed", Condition: `days_since_purchase > 60 && opted_in`})
	require.NoError(t, err)
	_, err = s.Save(ctx, tenant, segment.Segment{Name: "recent", Condition: `spend(7) > 10 && visits(7) == 1`})
	require.NoError(t, err)

	got := names(t, ids, func(fn func(member.Member) error) error { return s.Members(ctx, tenant, "lapsed", fn) })
	assert.Equal(t, []string{"A"}, got)
	got = names(t, ids, func(fn func(member.Member) error) error { return s.Members(ctx, tenant, "recent", fn) })
	assert.Equal(t, []string{"B"}, got)
	got = names(t, ids, func(fn func(member.Member) error) error {
		return s.Evaluate(ctx, tenant, `orders == 0`, fn)
	})
	assert.Equal(t, []string{"C"}, got)

	err = s.Members(ctx, tenant, "missing", func(member.Member) error { return nil })
	require.ErrorIs(t, err, store.ErrNotFound)
	err = s.Evaluate(ctx, tenant, `tier ==`, func(member.Member) error { return nil })
	require.Error(t, err)

	_, err = s.Save(ctx, tenant, segment.Segment{Name: "Bad Name", Condition: `true`})
	var fe *segment.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "name", fe.Field)
}

func TestPreview(t *testing.T) {
	s, _ := fixture(t)
	ctx := context.Background()
	c, err := segment.Compile(`balance >= 0`)
	require.NoError(t, err)
	p, err := s.Preview(ctx, tenant, c, 2)
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.Count)
	assert.EqualValues(t, 3, p.Scanned)
	require.Len(t, p.Sample, 2)
	assert.Less(t, p.Sample[0].ID, p.Sample[1].ID, "the first by id")

	// A member the condition cannot be evaluated for is not in it, and
	// the preview says so.
	c, err = segment.Compile(`attributes.size > 3`)
	require.NoError(t, err)
	p, err = s.Preview(ctx, tenant, c, 0)
	require.NoError(t, err)
	assert.Zero(t, p.Count)
	assert.EqualValues(t, 3, p.Failed)
	assert.Contains(t, p.FirstError, "member ")
	assert.Empty(t, p.Sample)
}

func TestExport(t *testing.T) {
	s, ids := fixture(t)
	ctx := context.Background()
	c, err := segment.Compile(`orders > 0`)
	require.NoError(t, err)

	var buf bytes.Buffer
	res, err := s.Export(ctx, &buf, tenant, c, "csv")
	require.NoError(t, err)
	assert.EqualValues(t, 3, res.Scanned)
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, segments.ExportHeader, rows[0])
	assert.ElementsMatch(t, []string{ids["A"], ids["B"]}, []string{rows[1][0], rows[2][0]})
	for _, r := range rows[1:] {
		if r[0] == ids["A"] {
			assert.Equal(t, []string{ids["A"], "+6281200000001", "A", "", "", "50", "", "", "", ""}, r)
		}
	}

	buf.Reset()
	_, err = s.Export(ctx, &buf, tenant, c, "json")
	require.NoError(t, err)
	var out []map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &out), buf.String())
	require.Len(t, out, 2)
	assert.Equal(t, []any{}, out[0]["tags"])

	none, err := segment.Compile(`false`)
	require.NoError(t, err)
	buf.Reset()
	_, err = s.Export(ctx, &buf, tenant, none, "json")
	require.NoError(t, err)
	assert.JSONEq(t, `[]`, buf.String())

	_, err = s.Export(ctx, &buf, tenant, c, "xml")
	require.ErrorIs(t, err, segments.ErrBadFormat)
}

func TestMetrics(t *testing.T) {
	s, _ := fixture(t)
	evaluations := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e"}, []string{"tenant", "result"})
	members := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "m"}, []string{"tenant", "what"})
	seconds := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "s"})
	s.Metrics = segments.Metrics{Evaluations: evaluations, Members: members, Seconds: seconds}
	c, err := segment.Compile(`orders > 0 || attributes.size > 3`)
	require.NoError(t, err)
	_, err = s.Preview(context.Background(), tenant, c, 1)
	require.NoError(t, err)
	value := func(c prometheus.Metric) *dto.Metric {
		var m dto.Metric
		require.NoError(t, c.Write(&m))
		return &m
	}
	assert.Equal(t, 1.0, value(evaluations.WithLabelValues(tenant, "ok")).GetCounter().GetValue())
	assert.Equal(t, 3.0, value(members.WithLabelValues(tenant, "scanned")).GetCounter().GetValue())
	assert.Equal(t, 2.0, value(members.WithLabelValues(tenant, "matched")).GetCounter().GetValue())
	assert.Equal(t, 1.0, value(members.WithLabelValues(tenant, "failed")).GetCounter().GetValue(), "C never bought and has no size")
	assert.EqualValues(t, 1, value(seconds).GetHistogram().GetSampleCount())
}
