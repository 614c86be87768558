package programtest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/process"
	"github.com/loyalhub/loyalhub/pipelines/programtest"
)

// shopConfig is a one-tenant config with secrets: 1 point per Rp10,000, 5
// points per visit, 10 for joining, a rule with a returns window, and
// points that expire at the end of the month they were earned, announced
// a week before.
const shopConfig = `
server:
  admin_token: ${ADMIN_TOKEN}
tenants:
  shop:
    default_region: ID
    timezone: Asia/Jakarta
    connectors:
      pos:
        type: pos_webhook
        secret: ${SHOP_POS_SECRET}
      whatsapp:
        type: whatsapp_cloud
        phone_number_id: ${SHOP_WA_PHONE_NUMBER_ID}
        access_token: ${SHOP_WA_ACCESS_TOKEN}
        app_secret: ${SHOP_WA_APP_SECRET:-unused}
    loyalty:
      currency: IDR
      event_types: [store.visited]
      rules:
        - name: spend
          on: order.paid
          spend: {unit: "10000", points: 1}
        - name: held
          on: order.paid
          when: float(event.total) >= 1000000
          points: "100"
          pending_days: 2
        - name: visit
          on: store.visited
          points: "5"
        - name: welcome
          on: member.joined
          points: "10"
          caps: {per_member: 10}
      expiry:
        policy: end_of_month
        months: 0
        remind_days_before: 7
`

// writeSuite writes the shop config and a test file whose cases are
// casesYAML, and returns the test file's path.
func writeSuite(t *testing.T, casesYAML string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(shopConfig), 0o600))
	path := filepath.Join(dir, "shop.test.yaml")
	require.NoError(t, os.WriteFile(path, []byte("config: shop.yaml\ntenant: shop\n"+casesYAML), 0o600))
	return path
}

func load(t *testing.T, casesYAML string) *programtest.Suite {
	t.Helper()
	s, err := programtest.Load(writeSuite(t, casesYAML))
	require.NoError(t, err)
	return s
}

func run(t *testing.T, casesYAML string) programtest.Report {
	t.Helper()
	return load(t, casesYAML).Run(context.Background())
}

func TestLoadReportsErrorsWithFileLineAndKey(t *testing.T) {
	tests := []struct {
		name string
		file string // the whole test file; {config} is the shop config's path
		want []string
	}{
		{
			name: "invalid YAML",
			file: "config: {config}\ncases: [\n",
			want: []string{"shop.test.yaml: yaml: line"},
		},
		{
			name: "no config",
			file: "cases: []\n",
			want: []string{"shop.test.yaml:1: config: required"},
		},
		{
			name: "missing config file",
			file: "config: nowhere.yaml\ncases: []\n",
			want: []string{"shop.test.yaml:1: config:", "nowhere.yaml"},
		},
		{
			name: "unknown top-level key",
			file: "config: {config}\ncasez: []\n",
			want: []string{"shop.test.yaml:2: casez: unknown key (known: config, tenant, env, cases)"},
		},
		{
			name: "unknown tenant",
			file: "config: {config}\ntenant: nope\ncases: []\n",
			want: []string{`tenant: "nope" is not a tenant of config`, "(tenants: shop)"},
		},
		{
			name: "config with errors",
			file: "config: {config}\nenv: {SHOP_WA_PHONE_NUMBER_ID: not-a-number}\ncases: []\n",
			want: []string{"has 1 error(s)", "tenants.shop.connectors.whatsapp.phone_number_id"},
		},
		{
			name: "no cases",
			file: "config: {config}\ncases: []\n",
			want: []string{"shop.test.yaml:2: cases: must be a non-empty list of test cases"},
		},
		{
			name: "case without a name",
			file: "config: {config}\ncases:\n  - steps: []\n",
			want: []string{"shop.test.yaml:3: cases[0].name: required"},
		},
		{
			name: "duplicate case names",
			file: `config: {config}
cases:
  - name: a
    steps: [{sweep: "2026-01-01"}]
    expect: {phone: "0812-3456-7890", balance: 0}
  - name: a
    steps: [{sweep: "2026-01-01"}]
    expect: {phone: "0812-3456-7890", balance: 0}
`,
			want: []string{`shop.test.yaml:6: cases[1].name: "a" is already the name of cases[0]`},
		},
		{
			name: "misspelt step key",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - evnt: {type: order.paid}
    expect: {balance: 1}
`,
			want: []string{"shop.test.yaml:5: cases[0] (sale).steps[0].evnt: unknown key (known: event, sweep, adjust, error)"},
		},
		{
			name: "two kinds in a step",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid}
        sweep: "2026-01-01"
    expect: {balance: 1}
`,
			want: []string{"shop.test.yaml:5: cases[0] (sale).steps[0]: a step is exactly one of event, sweep or adjust; got event and sweep"},
		},
		{
			name: "id outside the event",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - id: A1
        event: {type: order.paid}
    expect: {balance: 1}
`,
			want: []string{"shop.test.yaml:5: cases[0] (sale).steps[0].id: belongs inside the step's event or adjust"},
		},
		{
			name: "event without a type",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {data: {phone: "0812-3456-7890"}}
    expect: {balance: 1}
`,
			want: []string{"cases[0] (sale).steps[0].event.type: required"},
		},
		{
			name: "data that is not a map",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid, data: [1, 2]}
    expect: {balance: 1}
`,
			want: []string{"cases[0] (sale).steps[0].event.data: must be a map"},
		},
		{
			name: "a time that is not one",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid, at: yesterday, data: {phone: "0812-3456-7890"}}
    expect: {balance: 1}
`,
			want: []string{`shop.test.yaml:5: cases[0] (sale).steps[0].event.at: "yesterday" is not a time`},
		},
		{
			name: "adjust with phone and member id",
			file: `config: {config}
cases:
  - name: adjust
    steps:
      - adjust: {phone: "0812-3456-7890", member_id: mem_1, points: 5, reason: x}
    expect: {balance: 1}
`,
			want: []string{"cases[0] (adjust).steps[0].adjust: give exactly one of phone and member_id"},
		},
		{
			name: "points that are not an integer",
			file: `config: {config}
cases:
  - name: adjust
    steps:
      - adjust: {phone: "0812-3456-7890", points: 1.5, reason: x}
    expect: {balance: 1}
`,
			want: []string{`cases[0] (adjust).steps[0].adjust.points: must be an integer, got "1.5"`},
		},
		{
			name: "nothing to check",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid, data: {phone: "0812-3456-7890"}}
    expect: {phone: "0812-3456-7890"}
`,
			want: []string{"shop.test.yaml:6: cases[0] (sale).expect: nothing to check: give balance, pending, tier, outcomes or entries"},
		},
		{
			name: "no member to check",
			file: `config: {config}
cases:
  - name: sweep
    steps:
      - sweep: "2026-01-01"
    expect: {balance: 0}
`,
			want: []string{"cases[0] (sweep).expect.phone: required: no step names a member by phone"},
		},
		{
			name: "outcomes that are not a list",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid, data: {phone: "0812-3456-7890"}}
    expect: {outcomes: points.earned}
`,
			want: []string{"cases[0] (sale).expect.outcomes: must be a list of outcome types"},
		},
		{
			name: "a balance that is not a number",
			file: `config: {config}
cases:
  - name: sale
    steps:
      - event: {type: order.paid, data: {phone: "0812-3456-7890"}}
    expect: {balance: many}
`,
			want: []string{`cases[0] (sale).expect.balance: must be an integer, got "many"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(shopConfig), 0o600))
			path := filepath.Join(dir, "shop.test.yaml")
			require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(tt.file, "{config}", "shop.yaml")), 0o600))
			_, err := programtest.Load(path)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestLoadResolvesTimesAndIDs(t *testing.T) {
	s := load(t, `
cases:
  - name: times
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "10000"}}
      - event: {id: mine, type: order.paid, data: {order_id: A2, phone: "0812-3456-7890", total: "10000"}}
      - event: {type: order.paid, at: "2026-11-23T08:00", data: {order_id: A3, phone: "0812-3456-7890", total: "10000"}}
      - sweep: 2026-12-01
      - sweep: "2026-12-01T00:00:00Z"
      - adjust: {phone: "0812-3456-7890", points: 5, reason: goodwill}
    expect: {balance: 0}
`)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	require.Len(t, s.Cases, 1)
	c := s.Cases[0]
	assert.Equal(t, "shop", s.Tenant)
	assert.Equal(t, "0812-3456-7890", c.Expect.Phone, "the phone of the first event")

	assert.True(t, programtest.DefaultStart.Equal(c.Steps[0].Event.OccurredAt))
	assert.True(t, programtest.DefaultStart.Add(time.Minute).Equal(c.Steps[1].Event.OccurredAt))
	assert.True(t, time.Date(2026, 11, 23, 8, 0, 0, 0, jakarta).Equal(c.Steps[2].Event.OccurredAt), "a local time is in the tenant's zone")
	assert.True(t, time.Date(2026, 12, 1, 0, 0, 0, 0, jakarta).Equal(*c.Steps[3].Sweep), "a date is its local midnight")
	assert.True(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Equal(*c.Steps[4].Sweep))
	assert.True(t, programtest.DefaultStart.Add(5*time.Minute).Equal(c.Steps[5].Adjust.At))

	assert.Equal(t, "mine", c.Steps[1].Event.ID)
	assert.NotEqual(t, c.Steps[0].Event.ID, c.Steps[2].Event.ID, "derived ids differ by step")
	assert.NotEqual(t, c.Steps[0].Event.ID, c.Steps[5].Adjust.ID)
	assert.JSONEq(t, `{"order_id": "A1", "phone": "0812-3456-7890", "total": "10000"}`, string(c.Steps[0].Event.Data))
	assert.Equal(t, []string{"order.paid", "order.paid", "order.paid", "sweep", "sweep", "adjust"},
		[]string{c.Steps[0].Kind(), c.Steps[1].Kind(), c.Steps[2].Kind(), c.Steps[3].Kind(), c.Steps[4].Kind(), c.Steps[5].Kind()})
}

func TestEnvironGivesPlaceholdersToVariablesWithoutDefaults(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		overrides map[string]string
		want      []string
	}{
		{name: "none", text: "a: b", want: []string{}},
		{name: "one", text: "secret: ${POS_SECRET}", want: []string{"POS_SECRET=1"}},
		{name: "inside a string", text: `dsn: "postgres://${USER}@db/${DB:-loyalhub}"`, want: []string{"USER=1"}},
		{name: "default only", text: "level: ${LEVEL:-info}", want: []string{}},
		{name: "escaped", text: "x: $${NOT_A_VAR} ${REAL}", want: []string{"REAL=1"}},
		{name: "not a name", text: "x: ${1ABC} ${}", want: []string{}},
		{name: "unterminated", text: "x: ${OPEN", want: []string{}},
		{
			name: "overrides win and may add variables", text: "a: ${A}\nb: ${B}",
			overrides: map[string]string{"A": "real", "LOYALHUB_LOG__LEVEL": "debug"},
			want:      []string{"A=real", "B=1", "LOYALHUB_LOG__LEVEL=debug"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, programtest.Environ([]byte(tt.text), tt.overrides))
		})
	}
}

func TestAConfigWithSecretsLoadsWithoutThem(t *testing.T) {
	t.Setenv("LOYALHUB_TENANTS__SHOP__DEFAULT_REGION", "nowhere")
	s := load(t, `
cases:
  - name: sale
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "10000"}}
    expect: {balance: 11}
`)
	rep := s.Run(context.Background())
	require.Len(t, rep.Cases, 1)
	assert.True(t, rep.Cases[0].Passed(), "the process environment is not read: %v", rep.Cases[0].Failures)
}

func TestRunReportsPassesAndEveryMismatch(t *testing.T) {
	rep := run(t, `
cases:
  - name: passes
    steps:
      # 257500 / 10000 -> 25, plus 10 for joining.
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "257500", currency: IDR}}
    expect:
      balance: 35
      pending: 0
      outcomes: [member.joined, points.earned]
      entries: 2
  - name: fails
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "257500", currency: IDR}}
      - event: {type: order.refunded, data: {order_id: A9, amount: "1000"}}
      - adjust: {phone: "0812-3456-7899", points: 5, reason: unknown member}
    expect:
      balance: 36
      pending: 1
      outcomes: [member.joined]
      entries: 3
  - name: no such member
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "257500"}}
    expect: {phone: "0812-3456-7891", balance: 0}
`)
	assert.Equal(t, "passes", rep.Cases[0].Name)
	assert.True(t, rep.Cases[0].Passed(), "%v", rep.Cases[0].Failures)
	assert.Equal(t, []string{
		"step 2 (order.refunded): order not found: A9",
		"step 3 (adjust): no such member: +6281234567899",
		"balance: want 36, got 35",
		"pending: want 1, got 0",
		"outcomes: want [member.joined], got [member.joined, points.earned]",
		"entries: want 3, got 2",
	}, rep.Cases[1].Failures)
	assert.Equal(t, []string{"member +6281234567891: not found: no step created a member with this phone"}, rep.Cases[2].Failures)
	assert.Equal(t, 2, rep.Failed())
}

func TestExpectedErrors(t *testing.T) {
	rep := run(t, `
cases:
  - name: expected
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
      - adjust: {phone: "0812-3456-7890", points: -21, reason: too much}
        error: not enough points
      - event: {type: order.cancelled, data: {order_id: A2}}
        error: "order not found: A2"
    expect: {balance: 20}
  - name: wrong or missing
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
      - adjust: {phone: "0812-3456-7890", points: -20, reason: fine}
        error: not enough points
      - event: {type: order.cancelled, data: {order_id: A2}}
        error: no order
    expect: {balance: 0}
`)
	assert.True(t, rep.Cases[0].Passed(), "%v", rep.Cases[0].Failures)
	assert.Equal(t, []string{
		`step 2 (adjust): want an error containing "not enough points", got none`,
		`step 3 (order.cancelled): want an error containing "no order", got: order not found: A2`,
	}, rep.Cases[1].Failures)
}

func TestReplays(t *testing.T) {
	rep := run(t, `
cases:
  - name: a step with the id of an earlier one is a replay
    steps:
      - event: {id: V1, type: store.visited, data: {phone: "0812-3456-7890"}}
      - event: {id: V1, type: store.visited, data: {phone: "0812-3456-7890"}}
    expect:
      balance: 15
      outcomes: [member.joined, points.earned]
      entries: 2
  - name: steps without ids are distinct events
    steps:
      - event: {type: store.visited, data: {phone: "0812-3456-7890"}}
      - event: {type: store.visited, data: {phone: "0812-3456-7890"}}
    expect:
      balance: 20
      outcomes: [member.joined, points.earned, points.earned]
      entries: 3
  - name: a replayed refund takes nothing more back
    steps:
      - event: {type: order.paid, data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
      - event: {id: R1, type: order.refunded, data: {order_id: A1, amount: "50000"}}
      - event: {id: R1, type: order.refunded, data: {order_id: A1, amount: "50000"}}
    expect:
      balance: 15
      outcomes: [member.joined, points.earned, points.reversed]
  - name: a replayed adjustment adds nothing
    steps:
      - event: {type: store.visited, data: {phone: "0812-3456-7890"}}
      - adjust: {id: ADJ-1, phone: "0812-3456-7890", points: 7, reason: goodwill}
      - adjust: {id: ADJ-1, phone: "0812-3456-7890", points: 7, reason: goodwill}
    expect:
      balance: 22
      entries: 3
`)
	for _, c := range rep.Cases {
		assert.True(t, c.Passed(), "%s: %v", c.Name, c.Failures)
	}
}

func TestSweeps(t *testing.T) {
	rep := run(t, `
cases:
  - name: pending points activate and points expire
    steps:
      # 1,000,000: 100 spend, 100 held for two days (until 2026-11-26),
      # 10 for joining; everything expires at the end of November.
      - event: {type: order.paid, at: "2026-11-23T10:00", data: {order_id: A1, phone: "0812-3456-7890", total: "1000000"}}
      # Nothing is due, and the end of the month is more than a week away.
      - sweep: "2026-11-23T23:59"
      # The held points activate, and all 210 are announced.
      - sweep: "2026-11-26"
      # Announced once.
      - sweep: "2026-11-26T00:01"
      - sweep: "2026-12-01"
    expect:
      balance: 0
      pending: 0
      outcomes: [member.joined, points.earned, points.pending, points.activated, points.expiring, points.expired]
      entries: 7
  - name: a second sweep at one instant expires what fell due since
    steps:
      - event: {type: order.paid, at: "2026-11-20T10:00", data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
      - sweep: "2026-12-01"
      - event: {type: order.paid, at: "2026-11-21T10:00", data: {order_id: A2, phone: "0812-3456-7890", total: "100000"}}
      - sweep: "2026-12-01"
      - sweep: "2026-12-01"
    expect:
      # The late sale's points were due at that instant; the third sweep
      # finds nothing left.
      balance: 0
      outcomes: [member.joined, points.earned, points.expired, points.earned, points.expired]
  - name: points earned after their expiry date was announced
    steps:
      - event: {type: order.paid, at: "2026-11-20T10:00", data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
      - sweep: "2026-11-25"
      - event: {type: order.paid, at: "2026-11-28T10:00", data: {order_id: A2, phone: "0812-3456-7890", total: "100000"}}
      - sweep: "2026-11-29"
    expect:
      balance: 30
      outcomes: [member.joined, points.earned, points.expiring, points.earned]
`)
	for _, c := range rep.Cases {
		// Points earned after their date was announced are not announced
		// again, and the sweep ends.
		assert.True(t, c.Passed(), "%s: %v", c.Name, c.Failures)
	}
}

func TestEventsTheProgramIgnores(t *testing.T) {
	rep := run(t, `
cases:
  - name: a typo
    steps:
      - event: {type: order.payed, data: {order_id: A1, phone: "0812-3456-7890", total: "100000"}}
    expect: {balance: 10}
`)
	require.Len(t, rep.Cases, 1)
	assert.Equal(t, []string{"member +6281234567890: not found: no step created a member with this phone"}, rep.Cases[0].Failures)
	assert.Equal(t, []string{"step 1 (order.payed): the program has no rule for order.payed events, so the hub ignores them"}, rep.Cases[0].Notes)
}

func TestAccountRefNamesTheMemberAsTheHubDoes(t *testing.T) {
	tests := []struct {
		name    string
		typ     string
		data    string
		want    store.AccountRef
		wantErr string
	}{
		{
			name: "a sale creates its buyer by normalized phone",
			typ:  event.TypeOrderPaid, data: `{"order_id": "A1", "phone": "0812-3456-7890", "name": "Sari", "email": "sari@example.com"}`,
			want: store.AccountRef{Phone: "+6281234567890", OrderID: "A1", Name: "Sari", Email: "sari@example.com", Create: true},
		},
		{
			name: "a member id wins over the phone",
			typ:  "store.visited", data: `{"member_id": "mem_1", "phone": "not a phone"}`,
			want: store.AccountRef{MemberID: "mem_1", Create: true},
		},
		{
			name: "a refund finds the member of its order",
			typ:  event.TypeOrderRefunded, data: `{"order_id": "A1", "phone": "0812-3456-7890"}`,
			want: store.AccountRef{OrderID: "A1"},
		},
		{
			name: "a cancellation too",
			typ:  event.TypeOrderCancelled, data: `{"order_id": "A1"}`,
			want: store.AccountRef{OrderID: "A1"},
		},
		{name: "a refund without its order", typ: event.TypeOrderRefunded, data: `{}`, wantErr: "order.refunded E1 has no order_id"},
		{name: "nothing names the member", typ: event.TypeOrderPaid, data: `{"order_id": "A1"}`, wantErr: "order.paid E1: no phone number, customer id, email or member id"},
		{name: "not an object", typ: event.TypeOrderPaid, data: `[]`, wantErr: "decoding order.paid data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := process.AccountRef("ID", event.Event{ID: "E1", Type: tt.typ, Data: json.RawMessage(tt.data)})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ref)
		})
	}
}

// A shop's customer without a phone is checked by email, as the hub
// finds them; a later sale with their phone makes one member of the two.
func TestCustomersWithoutPhoneAreCheckedByEmail(t *testing.T) {
	rep := run(t, `
cases:
  - name: a customer known by email
    steps:
      - event: {type: order.paid, data: {order_id: E1, customer_id: "77", email: "Dewi@example.com", total: "257500"}}
      - event: {type: order.paid, data: {order_id: E2, customer_id: "77", total: "100000"}}
    expect: {email: dewi@example.com, balance: 45, outcomes: [member.joined, points.earned, points.earned]}
  - name: joined with the phone
    steps:
      - event: {type: order.paid, data: {order_id: E1, customer_id: "77", total: "257500"}}
      - event: {type: order.paid, data: {order_id: E2, phone: "0812-3456-7890", total: "100000"}}
      - event: {type: order.paid, data: {order_id: E3, phone: "0812-3456-7890", customer_id: "77", email: "dewi@example.com", total: "100000"}}
    expect: {email: dewi@example.com, balance: 65, entries: 6}
  - name: nobody by that email
    steps:
      - event: {type: order.paid, data: {order_id: E1, phone: "0812-3456-7890", total: "257500"}}
    expect: {email: nobody@example.com, balance: 0}
`)
	require.Len(t, rep.Cases, 3)
	assert.True(t, rep.Cases[0].Passed(), "%v", rep.Cases[0].Failures)
	assert.True(t, rep.Cases[1].Passed(), "%v", rep.Cases[1].Failures)
	assert.Equal(t, []string{"member nobody@example.com: not found: no step created a member with this email"}, rep.Cases[2].Failures)

	_, err := programtest.Load(writeSuite(t, `
cases:
  - name: both
    steps:
      - event: {type: order.paid, data: {order_id: E1, email: "a@example.com", total: "1"}}
    expect: {phone: "0812-3456-7890", email: a@example.com, balance: 0}
`))
	require.ErrorContains(t, err, "give phone or email, not both")
	_, err = programtest.Load(writeSuite(t, `
cases:
  - name: no address
    steps:
      - event: {type: order.paid, data: {order_id: E1, email: "a@example.com", total: "1"}}
    expect: {email: not-an-address, balance: 0}
`))
	require.ErrorContains(t, err, "is not an email address")
}
