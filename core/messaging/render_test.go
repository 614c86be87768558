package messaging_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func pointsEarned() config.Notification {
	return config.Notification{
		Name:     "points-earned",
		On:       event.OutcomePointsEarned,
		When:     "data.points > 0",
		Sender:   "wa",
		Category: messaging.CategoryUtility,
		Template: config.NotificationTmpl{
			Name:     "points_earned",
			Language: "id",
			Body:     []string{"member.name", "string(data.points)", "string(member.balance)"},
		},
	}
}

func outcome() event.Outcome {
	return event.Outcome{
		ID:         "out_1",
		Tenant:     "acme",
		Type:       event.OutcomePointsEarned,
		EventID:    "ev_1",
		OccurredAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		Member:     event.MemberRef{ID: "mem_1", Phone: "+6281234567890", Name: "Sari", Balance: 1250},
		Data:       map[string]any{"points": 250, "order_id": "A-1", "total": 257500.5},
	}
}

func TestRenderCommand(t *testing.T) {
	r, err := messaging.NewRenderer("acme", pointsEarned())
	require.NoError(t, err)

	cmd, ok, err := r.Render(outcome())
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, messaging.Command{
		Key:       event.DerivedID("msg_", "out_1", "points-earned"),
		Tenant:    "acme",
		Sender:    "wa",
		MemberID:  "mem_1",
		To:        "+6281234567890",
		Kind:      messaging.KindTemplate,
		Category:  messaging.CategoryUtility,
		Template:  &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "250", "1250")},
		OutcomeID: "out_1",
		Rule:      "points-earned",
		Origin:    "rule:points-earned",
	}, cmd)
	require.NoError(t, cmd.Validate())

	again, _, err := r.Render(outcome())
	require.NoError(t, err)
	assert.Equal(t, cmd.Key, again.Key, "the key is deterministic")
}

func TestRenderParams(t *testing.T) {
	tests := []struct {
		name string
		expr string
		data map[string]any
		want string
	}{
		{name: "string as is", expr: "data.s", data: map[string]any{"s": "héllo 1e5"}, want: "héllo 1e5"},
		{name: "int", expr: "data.n", data: map[string]any{"n": 42}, want: "42"},
		{name: "int64", expr: "member.balance", want: "1250"},
		{name: "whole float without decimals", expr: "data.f", data: map[string]any{"f": 250.0}, want: "250"},
		{name: "big float without exponent", expr: "data.f", data: map[string]any{"f": 1e21}, want: "1000000000000000000000"},
		{name: "fraction", expr: "data.f", data: map[string]any{"f": 0.1}, want: "0.1"},
		{name: "json number", expr: "data.j", data: map[string]any{"j": json.Number("12.50")}, want: "12.50"},
		{name: "arithmetic", expr: "data.n * 2", data: map[string]any{"n": 21}, want: "42"},
		{name: "missing key is sent as -", expr: "data.nope", want: messaging.EmptyParam},
		{name: "nil is sent as -", expr: "nil", want: messaging.EmptyParam},
		{name: "blank is sent as -", expr: "' \\t '", want: messaging.EmptyParam},
		{name: "bool", expr: "data.n > 1", data: map[string]any{"n": 2}, want: "true"},
		{name: "tenant", expr: "tenant", want: "acme"},
		{name: "outcome fields", expr: "outcome.type + ' ' + outcome.event_id", want: "points.earned ev_1"},
		{name: "outcome data", expr: "outcome.data.order_id", data: map[string]any{"order_id": "A-1"}, want: "A-1"},
		{name: "occurred_at is a time", expr: "outcome.occurred_at.Format('2006-01-02')", want: "2025-03-01"},
		{name: "phone", expr: "member.phone", want: "+6281234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := pointsEarned()
			n.When = ""
			n.Template.Body = []string{tt.expr}
			r, err := messaging.NewRenderer("acme", n)
			require.NoError(t, err)
			o := outcome()
			o.Data = tt.data
			cmd, ok, err := r.Render(o)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, messaging.Positional(tt.want), cmd.Template.Body)
		})
	}
}

func TestRenderWhen(t *testing.T) {
	tests := []struct {
		name   string
		when   string
		typ    string
		points any
		want   bool
	}{
		{name: "true", when: "data.points >= 100", points: 250, want: true},
		{name: "false", when: "data.points >= 100", points: 50, want: false},
		{name: "empty means always", when: "", points: 0, want: true},
		{name: "member and tenant", when: "member.balance > 1000 && tenant == 'acme'", points: 1, want: true},
		{name: "other outcome type", when: "", typ: "tier.changed", points: 1, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := pointsEarned()
			n.When = tt.when
			r, err := messaging.NewRenderer("acme", n)
			require.NoError(t, err)
			o := outcome()
			if tt.typ != "" {
				o.Type = tt.typ
			}
			o.Data = map[string]any{"points": tt.points}
			cmd, ok, err := r.Render(o)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ok)
			if !ok {
				assert.Zero(t, cmd)
			}
		})
	}
}

func TestNewRendererErrors(t *testing.T) {
	tests := []struct {
		name  string
		when  string
		body  []string
		paths []string
	}{
		{name: "when not bool", when: "data.points + 1 > 'x' ? 1 : 2", body: []string{"member.name"}, paths: []string{"when"}},
		{name: "when syntax", when: "data.points >", body: []string{"member.name"}, paths: []string{"when"}},
		{name: "unknown variable", body: []string{"member.name", "memberr.name"}, paths: []string{"template.body[1]"}},
		{name: "empty body expression", body: []string{""}, paths: []string{"template.body[0]"}},
		{name: "all collected", when: "1 +", body: []string{"(", "member.name", ")"}, paths: []string{"when", "template.body[0]", "template.body[2]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := pointsEarned()
			n.When = tt.when
			n.Template.Body = tt.body
			_, err := messaging.NewRenderer("acme", n)
			require.Error(t, err)
			var errs config.Errors
			require.ErrorAs(t, err, &errs)
			var paths []string
			for _, e := range errs {
				paths = append(paths, e.Path)
				assert.NotContains(t, e.Msg, "\n")
			}
			assert.Equal(t, tt.paths, paths)
		})
	}
}

func TestRenderErrorsArePermanent(t *testing.T) {
	tests := []struct {
		name string
		when string
		body string
		data map[string]any
		key  string
	}{
		{name: "when yields non-bool", when: "data.flag", body: "member.name", data: map[string]any{"flag": "yes"}, key: "when"},
		{name: "body evaluation fails", body: "data.items[5]", data: map[string]any{"items": []any{1}}, key: "template.body[0]"},
		{name: "body yields a map", body: "data", data: map[string]any{"a": 1}, key: "template.body[0]"},
		{name: "body yields NaN", body: "data.f", data: map[string]any{"f": math.NaN()}, key: "template.body[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := pointsEarned()
			n.When = tt.when
			n.Template.Body = []string{tt.body}
			r, err := messaging.NewRenderer("acme", n)
			require.NoError(t, err)
			o := outcome()
			o.Data = tt.data
			_, ok, err := r.Render(o)
			require.Error(t, err)
			assert.False(t, ok)
			assert.True(t, fault.IsPermanent(err))
			assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
			assert.Contains(t, err.Error(), tt.key)
		})
	}
}

func TestRenderConcurrent(t *testing.T) {
	r, err := messaging.NewRenderer("acme", pointsEarned())
	require.NoError(t, err)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			o := outcome()
			o.ID = fmt.Sprintf("out_%d", i)
			o.Data = map[string]any{"points": i + 1}
			cmd, ok, err := r.Render(o)
			if err == nil && (!ok || cmd.Template.Body[1].Text != fmt.Sprint(i+1)) {
				err = errors.New("wrong command for " + o.ID)
			}
			errs <- err
		}()
	}
	for range 16 {
		require.NoError(t, <-errs)
	}
}

func BenchmarkRender(b *testing.B) {
	r, err := messaging.NewRenderer("acme", pointsEarned())
	require.NoError(b, err)
	o := outcome()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Render(o); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleRenderer_Render() {
	r, err := messaging.NewRenderer("acme", config.Notification{
		Name:     "points-earned",
		On:       "points.earned",
		When:     "data.points > 0",
		Sender:   "wa",
		Category: "utility",
		Template: config.NotificationTmpl{
			Name:     "points_earned",
			Language: "en",
			Body:     []string{"member.name", "string(data.points)", "string(member.balance)"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cmd, ok, err := r.Render(event.Outcome{
		ID:     "out_1",
		Type:   "points.earned",
		Member: event.MemberRef{ID: "mem_1", Phone: "+6281234567890", Name: "Sari", Balance: 1250},
		Data:   map[string]any{"points": 250},
	})
	fmt.Println(ok, err)
	fmt.Println(cmd.To, cmd.Template.Name, cmd.Template.Body)
	// Output:
	// true <nil>
	// +6281234567890 points_earned [{ Sari} { 250} { 1250}]
}
