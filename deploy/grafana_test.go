package deploy_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasourceRef  `json:"datasource"`
			IncludeAll bool            `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	// Panels are a collapsed row's.
	Panels []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("grafana/loyalhub.json")
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(b, &d))
	require.NotEmpty(t, d.Panels)
	return d
}

// allPanels lists the panels with those of collapsed rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// exportedSeries lists the series names the hub's registry exports, each
// with its label names: counters as named (with _total), histograms as
// _bucket (with le), _sum and _count, summaries as named (with quantile),
// _sum and _count.
func exportedSeries(t *testing.T) map[string][]string {
	t.Helper()
	m := pipelines.NewMetrics()
	// A vector exports nothing until it has a child: give each one.
	variable := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		with := f.MethodByName("WithLabelValues")
		if !with.IsValid() {
			continue
		}
		descs := make(chan *prometheus.Desc, 8)
		f.Interface().(prometheus.Collector).Describe(descs)
		close(descs)
		for d := range descs {
			match := variable.FindStringSubmatch(d.String())
			require.NotNil(t, match, "%s", d)
			var args []reflect.Value
			for range strings.Split(match[1], ",") {
				args = append(args, reflect.ValueOf("x"))
			}
			with.Call(args)
		}
	}
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	out := map[string][]string{}
	for _, fam := range families {
		var labels []string
		for _, lp := range fam.GetMetric()[0].GetLabel() {
			labels = append(labels, lp.GetName())
		}
		name := fam.GetName()
		switch fam.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[name+"_bucket"] = append(slices.Clone(labels), "le")
			out[name+"_sum"], out[name+"_count"] = labels, labels
		case dto.MetricType_SUMMARY:
			out[name] = append(slices.Clone(labels), "quantile")
			out[name+"_sum"], out[name+"_count"] = labels, labels
		default:
			out[name] = labels
		}
	}
	return out
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promSelector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*(""|"[^"]*")`)
	promGrouping = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// promWords are the functions, aggregations and keywords the
	// dashboard's queries may use.
	promWords = []string{"sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "by", "without"}
)

// selector is one series selector of a query.
type selector struct {
	metric   string
	matchers map[string]string // label → quoted value
}

// parseQuery splits a PromQL query into its selectors, the metric names it
// reads and the labels it groups by. It knows the forms the dashboard uses,
// not the whole language.
func parseQuery(expr string) (sels []selector, metrics, grouping []string) {
	for _, m := range promSelector.FindAllStringSubmatch(expr, -1) {
		s := selector{metric: m[1], matchers: map[string]string{}}
		for _, mm := range promMatcher.FindAllStringSubmatch(m[2], -1) {
			s.matchers[mm[1]] = mm[2]
		}
		sels = append(sels, s)
	}
	for _, m := range promGrouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			grouping = append(grouping, strings.TrimSpace(l))
		}
	}
	rest := promString.ReplaceAllString(expr, " ")
	rest = promSelector.ReplaceAllString(rest, " $1 ")
	rest = promGrouping.ReplaceAllString(rest, " ")
	rest = promRange.ReplaceAllString(rest, " ")
	for _, id := range promIdent.FindAllString(rest, -1) {
		if !slices.Contains(promWords, id) {
			metrics = append(metrics, id)
		}
	}
	return sels, metrics, grouping
}

func TestParseQuery(t *testing.T) {
	sels, metrics, grouping := parseQuery(`60 * sum by (tenant, code) (rate(loyalhub_x_total{job=~"$job",tenant=~"$tenant"}[$__rate_interval])) / go_y{quantile="1"}`)
	assert.Equal(t, []string{"loyalhub_x_total", "go_y"}, metrics)
	assert.Equal(t, []string{"tenant", "code"}, grouping)
	require.Len(t, sels, 2)
	assert.Equal(t, map[string]string{"job": `"$job"`, "tenant": `"$tenant"`}, sels[0].matchers)
	assert.Equal(t, map[string]string{"quantile": `"1"`}, sels[1].matchers)
	_, metrics, _ = parseQuery(`histogram_quantile(0.99, sum by (le) (rate(loyalhb_typo_bucket[5m])))`)
	assert.Equal(t, []string{"loyalhb_typo_bucket"}, metrics, "an unknown name is a metric")
}

func TestGrafanaDashboard(t *testing.T) {
	d := readDashboard(t)
	series := exportedSeries(t)
	require.Contains(t, series, "loyalhub_campaign_messages", "every vector is exported")
	require.Contains(t, series, "loyalhub_stage_handle_duration_seconds_bucket")
	require.Contains(t, series, "go_goroutines")

	t.Run("variables", func(t *testing.T) {
		vars := map[string]int{}
		for i, v := range d.Templating.List {
			vars[v.Name] = i
		}
		require.Contains(t, vars, "datasource")
		ds := d.Templating.List[vars["datasource"]]
		assert.Equal(t, "datasource", ds.Type)
		assert.JSONEq(t, `"prometheus"`, string(ds.Query))
		for _, name := range []string{"job", "tenant"} {
			require.Contains(t, vars, name)
			v := d.Templating.List[vars[name]]
			assert.Equal(t, "query", v.Type, name)
			require.NotNil(t, v.Datasource, name)
			assert.Equal(t, "${datasource}", v.Datasource.UID, name)
			assert.True(t, v.IncludeAll, name)
			var q struct{ Query string }
			require.NoError(t, json.Unmarshal(v.Query, &q), name)
			m := regexp.MustCompile(`^label_values\((.*),\s*` + name + `\)$`).FindStringSubmatch(q.Query)
			require.NotNil(t, m, "%s lists the values of its label: %s", name, q.Query)
			_, metrics, _ := parseQuery(m[1])
			for _, metric := range metrics {
				assert.Contains(t, series, metric, "variable %s", name)
			}
		}
	})

	panels := allPanels(d.Panels)
	t.Run("panel ids are unique", func(t *testing.T) {
		seen := map[int]string{}
		for _, p := range panels {
			assert.Positive(t, p.ID, p.Title)
			if prev, dup := seen[p.ID]; dup {
				t.Errorf("panel id %d is %q's and %q's", p.ID, prev, p.Title)
			}
			seen[p.ID] = p.Title
		}
	})

	read := map[string]bool{}
	for _, p := range panels {
		if p.Type == "row" {
			continue
		}
		t.Run(p.Title, func(t *testing.T) {
			require.NotNil(t, p.Datasource)
			assert.Equal(t, "${datasource}", p.Datasource.UID)
			assert.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, "fits the grid")
			require.NotEmpty(t, p.Targets)
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				assert.False(t, refs[tg.RefID], "refId %s once", tg.RefID)
				refs[tg.RefID] = true
				sels, metrics, grouping := parseQuery(tg.Expr)
				require.NotEmpty(t, metrics, tg.Expr)
				var labels []string
				for _, m := range metrics {
					require.Contains(t, series, m, "the hub exports %s: %s", m, tg.Expr)
					labels = append(labels, series[m]...)
					read[m] = true
				}
				for _, l := range grouping {
					assert.Contains(t, append(labels, "job", "instance"), l, "grouped by a label of the series: %s", tg.Expr)
				}
				for _, s := range sels {
					require.NotEmpty(t, s.metric, tg.Expr)
					for l := range s.matchers {
						assert.Contains(t, append(slices.Clone(series[s.metric]), "job", "instance"), l, "%s has label %s", s.metric, l)
					}
					assert.Equal(t, `"$job"`, s.matchers["job"], "the job variable filters %s", s.metric)
					if slices.Contains(series[s.metric], "tenant") {
						assert.Equal(t, `"$tenant"`, s.matchers["tenant"], "the tenant variable filters %s", s.metric)
					}
				}
				if len(sels) < len(metrics) {
					t.Errorf("every series is selected with the job variable: %s", tg.Expr)
				}
			}
		})
	}

	t.Run("what it shows", func(t *testing.T) {
		for _, m := range []string{
			"loyalhub_connector_requests_total", "loyalhub_connector_signature_failures_total",
			"loyalhub_stage_messages_processed_total", "loyalhub_stage_messages_failed_total",
			"loyalhub_deadletters_stored_total", "loyalhub_sender_sends_total", "loyalhub_sender_errors_total",
			"loyalhub_sender_paused", "loyalhub_sender_quality_paused", "loyalhub_sender_messaging_limit",
			"loyalhub_messages_skipped_total", "loyalhub_messages_deferred_total", "loyalhub_delivery_failures_total",
			"loyalhub_campaign_messages", "loyalhub_journey_steps_total", "loyalhub_survey_responses_total",
			"loyalhub_link_clicks_total", "go_goroutines", "process_cpu_seconds_total",
		} {
			assert.True(t, read[m], "a panel shows %s", m)
		}
	})
}
