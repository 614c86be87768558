package survey

import (
	"sort"
	"time"
)

// Score is one response as the summary reads it.
type Score struct {
	Score int
	Store string
	At    time.Time
}

// Stats summarise a set of responses. For NPS, Promoters (9–10),
// Passives (7–8) and Detractors (0–6) count them and NPS is the percent of
// promoters minus the percent of detractors, from −100 to 100. For CSAT,
// Average is the mean score and Satisfied the percent of 4 and 5.
type Stats struct {
	Responses  int     `json:"responses"`
	Promoters  int     `json:"promoters,omitempty"`
	Passives   int     `json:"passives,omitempty"`
	Detractors int     `json:"detractors,omitempty"`
	NPS        float64 `json:"nps"`
	Average    float64 `json:"average,omitempty"`
	Satisfied  float64 `json:"satisfied_percent,omitempty"`
}

// Summary is a survey's stats overall, by month (yyyy-mm in loc) and by
// store ("" for responses without one), months and stores in order.
type Summary struct {
	Kind    string       `json:"kind"`
	Overall Stats        `json:"overall"`
	Months  []GroupStats `json:"by_month"`
	Stores  []GroupStats `json:"by_store"`
}

// GroupStats are the stats of one month or store.
type GroupStats struct {
	Key string `json:"key"`
	Stats
}

// Stat computes the stats of a kind's scores.
func Stat(kind string, scores []int) Stats {
	s := Stats{Responses: len(scores)}
	if len(scores) == 0 {
		return s
	}
	sum, satisfied := 0, 0
	for _, v := range scores {
		sum += v
		switch {
		case v >= 9:
			s.Promoters++
		case v >= 7:
			s.Passives++
		default:
			s.Detractors++
		}
		if v >= 4 {
			satisfied++
		}
	}
	n := float64(len(scores))
	if kind == KindCSAT {
		s.Promoters, s.Passives, s.Detractors = 0, 0, 0
		s.Average = round(float64(sum) / n)
		s.Satisfied = round(100 * float64(satisfied) / n)
		return s
	}
	s.NPS = round(100*float64(s.Promoters)/n - 100*float64(s.Detractors)/n)
	return s
}

// Summarize computes a survey's summary of responses; months are in loc.
func Summarize(kind string, rs []Score, loc *time.Location) Summary {
	all := make([]int, 0, len(rs))
	months, stores := map[string][]int{}, map[string][]int{}
	for _, r := range rs {
		all = append(all, r.Score)
		m := r.At.In(loc).Format("2006-01")
		months[m] = append(months[m], r.Score)
		stores[r.Store] = append(stores[r.Store], r.Score)
	}
	return Summary{Kind: kind, Overall: Stat(kind, all), Months: groups(kind, months), Stores: groups(kind, stores)}
}

func groups(kind string, by map[string][]int) []GroupStats {
	out := make([]GroupStats, 0, len(by))
	for k, scores := range by {
		out = append(out, GroupStats{Key: k, Stats: Stat(kind, scores)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// round rounds to one decimal.
func round(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*10+0.5)) / 10
	}
	return float64(int64(f*10+0.5)) / 10
}
