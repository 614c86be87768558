package admin_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

const membersToken = "s3cret"

// membersAPI is the admin API over a fresh SQLite store, for tenant acme
// with default region ID; its clock is now.
func membersAPI(t testing.TB, now time.Time) (http.Handler, *sqlite.Store) {
	h, st, _ := membersAPIMetered(t, now)
	return h, st
}

// membersAPIMetered is membersAPI with its import counter.
func membersAPIMetered(t testing.TB, now time.Time) (http.Handler, *sqlite.Store, *prometheus.CounterVec) {
	t.Helper()
	st := sqlite.New(filepath.Join(t.TempDir(), "hub.db"))
	require.NoError(t, st.Migrate(context.Background()))
	t.Cleanup(func() { _ = st.Close() })
	program, err := loyalty.Compile("acme", config.Loyalty{Combine: config.CombineStack,
		Expiry: config.Expiry{Policy: config.ExpiryNever}}, time.UTC)
	require.NoError(t, err)
	api := &admin.API{
		Store: st, Token: membersToken, Now: func() time.Time { return now },
		Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Config: config.Tenant{DefaultRegion: "ID"}, Location: time.UTC,
			Program: program}}),
		Logger:          slog.New(slog.DiscardHandler),
		MembersImported: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imported"}, []string{"tenant", "result"}),
	}
	mux := http.NewServeMux()
	api.Routes(mux)
	return mux, st, api.MembersImported
}

func call(t testing.TB, h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/api/v1/tenants/acme"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+membersToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func importCSV(t *testing.T, h http.Handler, query, body string) admin.ImportResult {
	t.Helper()
	rec := call(t, h, http.MethodPost, "/members/import"+query, "text/csv", body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var res admin.ImportResult
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	return res
}

func counted(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

var importNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func TestImportMembers(t *testing.T) {
	h, st, imported := membersAPIMetered(t, importNow)
	ctx := context.Background()
	file := `phone,email,customer_id,name,birthday,consent,consent_at,consent_source,store,city,language,tags,attr.size
0812-3456-7890,sari@example.com,,Sari,1990-04-12,opted_in,2024-05-01T10:00:00+07:00,store signup form 2024-05,jkt-01,Jakarta,id,vip|staff,M
0813-1111-2222,,,Budi,,opted_out,,,,Bandung,,new,
,dewi@example.com,C-9,Dewi,,,,,,,,,
12,bad-phone@example.com,,Bad,,,,,,,,,
0814-0000-0001,not-an-email,,Bad,,,,,,,,,
0815-0000-0001,,,Bad,31-31,,,,,,,,
0816-0000-0001,,,No evidence,,opted_in,,,,,,,
,,,Nobody,,,,,,,,,
`
	res := importCSV(t, h, "?connector=shop", file)
	assert.Equal(t, 3, res.Imported)
	assert.Equal(t, 0, res.Updated)
	assert.Equal(t, 5, res.Skipped)
	assert.Equal(t, []*member.ImportError{
		{Row: 5, Column: "phone", Reason: `"12" is not a phone number`},
		{Row: 6, Column: "email", Reason: `"not-an-email" is not an email address`},
		{Row: 7, Column: "birthday", Reason: `"31-31" is not a date such as 1990-04-12 or 04-12`},
		{Row: 8, Column: "consent_source", Reason: "opting in needs evidence: where and how the consent was given"},
		{Row: 9, Column: "phone", Reason: "a phone, email or customer_id is required"},
	}, res.Errors)
	assert.Equal(t, 3.0, counted(t, imported.WithLabelValues("acme", "imported")))
	assert.Equal(t, 5.0, counted(t, imported.WithLabelValues("acme", "skipped")))

	sari, err := st.MemberByPhone(ctx, "acme", "+6281234567890")
	require.NoError(t, err)
	assert.Equal(t, "Sari", sari.Name)
	assert.Equal(t, "sari@example.com", sari.Email)
	assert.Equal(t, "04-12", sari.Birthday)
	assert.Zero(t, sari.Balance, "an import gives no points")
	assert.Equal(t, member.Profile{Source: "import", Store: "jkt-01", City: "Jakarta", Language: "id",
		Tags: []string{"vip", "staff"}, Attributes: map[string]any{"size": "M"}}, sari.Profile)

	t.Run("consent evidence", func(t *testing.T) {
		c, err := st.Contact(ctx, "acme", store.ContactRef{Phone: "+6281234567890"})
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedIn, c.Marketing)
		assert.Equal(t, "import: store signup form 2024-05", c.MarketingSource)
		assert.Equal(t, time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC), c.MarketingAt.UTC())
		c, err = st.Contact(ctx, "acme", store.ContactRef{Phone: "+6281311112222"})
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedOut, c.Marketing)
		assert.Equal(t, "import", c.MarketingSource)
		assert.Equal(t, importNow, c.MarketingAt.UTC(), "no consent_at: the time of the import")
	})

	t.Run("by customer id", func(t *testing.T) {
		m, err := st.MemberByIdentity(ctx, "acme", member.Identity{Kind: member.IdentityCustomer, Connector: "shop", Value: "C-9"})
		require.NoError(t, err)
		assert.Equal(t, "dewi@example.com", m.Email)
	})

	t.Run("again: updates, no duplicates", func(t *testing.T) {
		again := importCSV(t, h, "?connector=shop", file)
		assert.Equal(t, 0, again.Imported)
		assert.Equal(t, 3, again.Updated)
		assert.Equal(t, 5, again.Skipped)
		ids, err := st.MemberIDs(ctx, "acme", "", store.MaxLimit)
		require.NoError(t, err)
		assert.Len(t, ids, 3)

		more := importCSV(t, h, "", "phone,city,tags,attr.shoe\n+62 812 3456 7890,Bogor,vip;coffee,38\n")
		assert.Equal(t, 1, more.Updated)
		m, err := st.MemberByPhone(ctx, "acme", "+6281234567890")
		require.NoError(t, err)
		assert.Equal(t, member.Profile{Source: "import", Store: "jkt-01", City: "Bogor", Language: "id",
			Tags: []string{"vip", "staff", "coffee"}, Attributes: map[string]any{"size": "M", "shoe": "38"}}, m.Profile)
	})

	t.Run("a customer id needs a connector", func(t *testing.T) {
		res := importCSV(t, h, "", "customer_id,name\nC-10,Eko\n")
		assert.Equal(t, []*member.ImportError{{Row: 2, Column: "customer_id",
			Reason: "a customer id needs the query parameter connector: the connector the ids come from"}}, res.Errors)
	})

	t.Run("a row that is not CSV is skipped", func(t *testing.T) {
		res := importCSV(t, h, "", "phone,name\n0817-0000-0001,\"Bad\"x\n0817-0000-0002,Good\n")
		assert.Equal(t, 1, res.Imported)
		require.Len(t, res.Errors, 1)
		assert.Equal(t, 2, res.Errors[0].Row)
	})
}

func TestImportMembersRefusesABadFile(t *testing.T) {
	h, _ := membersAPI(t, importNow)
	tests := []struct {
		name, contentType, body, want string
		code                          int
	}{
		{"empty", "text/csv", "", "the file is empty: a header row is required", 400},
		{"unknown column", "text/csv", "phone,points\n", `import header: unknown column \"points\"`, 400},
		{"no identity column", "text/csv", "name\nSari\n", "a phone, email or customer_id column is required", 400},
		{"not CSV", "application/json", `{"phone": "1"}`, "the body must be text/csv", 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(t, h, http.MethodPost, "/members/import", tt.contentType, tt.body)
			assert.Equal(t, tt.code, rec.Code)
			assert.Contains(t, rec.Body.String(), tt.want)
		})
	}
}

// The example file of docs/members.md imports without errors.
func TestImportExampleFile(t *testing.T) {
	h, _ := membersAPI(t, importNow)
	b, err := os.ReadFile("../../core/member/testdata/import_example.csv")
	require.NoError(t, err)
	res := importCSV(t, h, "", string(b))
	assert.Equal(t, admin.ImportResult{Imported: 3, Errors: []*member.ImportError{}}, res)
}

// A file larger than one batch imports whole.
func TestImportMembersInBatches(t *testing.T) {
	h, st := membersAPI(t, importNow)
	var b strings.Builder
	b.WriteString("phone,name,tags\n")
	n := admin.ImportBatch + 37
	for i := range n {
		fmt.Fprintf(&b, "+62812%08d,Member %d,bulk\n", i, i)
	}
	res := importCSV(t, h, "", b.String())
	assert.Equal(t, n, res.Imported)
	ms, err := st.ListMembers(context.Background(), "acme", store.MemberFilter{Tag: "bulk", Limit: store.MaxMemberPage})
	require.NoError(t, err)
	assert.Len(t, ms, store.MaxMemberPage, "a full first page")
}

func TestListAndExportMembers(t *testing.T) {
	h, _ := membersAPI(t, importNow)
	importCSV(t, h, "", `phone,email,name,consent,consent_source,store,city,tags,source
0812-0000-0001,sari@example.com,Sari,opted_in,counter form,jkt-01,Jakarta,vip,pos
0812-0000-0002,budi@example.com,Budi,,,bdg-02,Bandung,,
0812-0000-0003,,Dewi,opted_out,,jkt-01,jakarta,vip|staff,
`)

	list := func(query string) (names []string, next string) {
		t.Helper()
		rec := call(t, h, http.MethodGet, "/members"+query, "", "")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var body struct {
			Members []store.ListedMember `json:"members"`
			Next    string               `json:"next"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		for _, m := range body.Members {
			names = append(names, m.Name)
		}
		return names, body.Next
	}

	t.Run("filters", func(t *testing.T) {
		for query, want := range map[string][]string{
			"?q=bud":                    {"Budi"},
			"?q=0812-0000-0003":         {"Dewi"},
			"?tag=vip":                  {"Sari", "Dewi"},
			"?store=jkt-01":             {"Sari", "Dewi"},
			"?city=Jakarta":             {"Sari", "Dewi"},
			"?source=pos":               {"Sari"},
			"?source=import":            {"Budi", "Dewi"},
			"?tag=vip&q=sari":           {"Sari"},
			"?joined_after=2026-12-08":  nil,
			"?joined_before=2026-12-08": {"Sari", "Budi", "Dewi"},
		} {
			names, next := list(query)
			assert.ElementsMatch(t, want, names, query)
			assert.Empty(t, next, query)
		}
	})

	t.Run("pages", func(t *testing.T) {
		first, next := list("?limit=2")
		require.Len(t, first, 2)
		require.NotEmpty(t, next)
		second, next := list("?limit=2&after=" + next)
		assert.Len(t, second, 1)
		assert.Empty(t, next)
		assert.ElementsMatch(t, []string{"Sari", "Budi", "Dewi"}, append(first, second...))
	})

	t.Run("an identity parameter looks one member up", func(t *testing.T) {
		rec := call(t, h, http.MethodGet, "/members?phone=0812-0000-0002", "", "")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), `"name":"Budi"`)
		rec = call(t, h, http.MethodGet, "/members?email=nobody@example.com", "", "")
		assert.Equal(t, http.StatusNotFound, rec.Code)
	})

	t.Run("bad parameters", func(t *testing.T) {
		for query, want := range map[string]string{
			"?limit=501":           "limit must be an integer from 1 to 500",
			"?joined_after=monday": "joined_after must be an RFC 3339 time",
			"/export?format=xlsx":  "format must be csv",
		} {
			rec := call(t, h, http.MethodGet, "/members"+query, "", "")
			assert.Equal(t, http.StatusBadRequest, rec.Code, query)
			assert.Contains(t, rec.Body.String(), want, query)
		}
	})

	t.Run("export", func(t *testing.T) {
		rec := call(t, h, http.MethodGet, "/members/export?format=csv&city=jakarta", "", "")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
		records, err := csv.NewReader(rec.Body).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 3)
		assert.Equal(t, []string{"id", "phone", "email", "name", "tier", "balance", "pending", "birthday",
			"source", "store", "city", "language", "tags", "joined_at", "consent"}, records[0])
		rows := map[string][]string{}
		for _, r := range records[1:] {
			rows[r[3]] = r
		}
		assert.Equal(t, []string{"+6281200000001", "sari@example.com", "Sari", "", "0", "0", "",
			"pos", "jkt-01", "Jakarta", "", "vip", "2026-12-07T10:00:00Z", "opted_in"}, rows["Sari"][1:])
		assert.Equal(t, "vip|staff", rows["Dewi"][12])
		assert.Equal(t, "opted_out", rows["Dewi"][14])
	})
}

// An export longer than a page streams every member.
func TestExportMembersPages(t *testing.T) {
	h, _ := membersAPI(t, importNow)
	var b strings.Builder
	b.WriteString("phone\n")
	n := store.MaxMemberPage + 3
	for i := range n {
		fmt.Fprintf(&b, "+62813%08d\n", i)
	}
	importCSV(t, h, "", b.String())
	rec := call(t, h, http.MethodGet, "/members/export", "", "")
	require.Equal(t, http.StatusOK, rec.Code)
	records, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	assert.Len(t, records, n+1)
}

// BenchmarkImportMembers imports a file of 5,000 new members into SQLite
// per op: rows/s is the import's throughput.
func BenchmarkImportMembers(b *testing.B) {
	const rows = 5000
	n := 0
	for b.Loop() {
		n++
		b.StopTimer()
		h, _ := membersAPI(b, importNow)
		var f strings.Builder
		f.WriteString("phone,name,city,tags,consent,consent_source\n")
		for r := range rows {
			fmt.Fprintf(&f, "+62815%08d,Member %d,Jakarta,bulk|vip,opted_in,counter form\n", r, r)
		}
		body := f.String()
		b.StartTimer()
		rec := call(b, h, http.MethodPost, "/members/import", "text/csv", body)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"imported":5000`) {
			b.Fatalf("import: %d %s", rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
}

// An import slower than the server's timeouts still completes: the file's
// length, not a fixed timeout, bounds it.
func TestImportOutlastsServerTimeouts(t *testing.T) {
	h, st := membersAPI(t, importNow)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	srv.Start()
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "phone,name\n0812-0000-0101,Slow\n")
		time.Sleep(500 * time.Millisecond)
		_, _ = io.WriteString(pw, "0812-0000-0102,Slower\n")
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/tenants/acme/members/import", pr)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+membersToken)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `"imported":2`)
	_, err = st.MemberByPhone(context.Background(), "acme", "+6281200000102")
	assert.NoError(t, err)
}
