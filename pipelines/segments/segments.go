// Package segments evaluates tenants' member segments on the store: the
// members a saved segment or an unsaved condition selects, a preview (a
// count and a sample), and an export as CSV or JSON. Campaigns pick their
// audience with Members.
package segments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
)

// Store is what segments read and write.
type Store interface {
	store.Segments
}

// Segments evaluates segments on a store by a clock. It is safe for
// concurrent use.
type Segments struct {
	Store
	// Now is the hub's clock: the time windows and horizons end and start
	// at.
	Now func() time.Time
	// Metrics are optional.
	Metrics Metrics
}

// Metrics count segment evaluations; each may be nil.
type Metrics struct {
	// Evaluations counts evaluations by tenant and result (ok, failed).
	Evaluations *prometheus.CounterVec
	// Members counts members by tenant and what became of them: scanned,
	// matched, failed (the condition could not be evaluated).
	Members *prometheus.CounterVec
	// Seconds observes how long each evaluation took.
	Seconds prometheus.Observer
}

// record counts one evaluation of tenant that took d.
func (m Metrics) record(tenant string, res Result, matched int64, d time.Duration, err error) {
	if m.Evaluations != nil {
		result := "ok"
		if err != nil {
			result = "failed"
		}
		m.Evaluations.WithLabelValues(tenant, result).Inc()
	}
	if m.Members != nil {
		m.Members.WithLabelValues(tenant, "scanned").Add(float64(res.Scanned))
		m.Members.WithLabelValues(tenant, "matched").Add(float64(matched))
		m.Members.WithLabelValues(tenant, "failed").Add(float64(res.Failed))
	}
	if m.Seconds != nil {
		m.Seconds.Observe(d.Seconds())
	}
}

// Save validates a segment and saves it for tenant; a segment that does
// not validate returns its *segment.FieldError.
func (s *Segments) Save(ctx context.Context, tenant string, seg segment.Segment) (store.SavedSegment, error) {
	if err := seg.Validate(); err != nil {
		return store.SavedSegment{}, err
	}
	return s.SaveSegment(ctx, tenant, seg, s.Now())
}

// Members calls fn with each member of tenant's saved segment name, in
// the order of their ids, until fn returns an error, which Members
// returns. An unknown name returns an error wrapping store.ErrNotFound.
// A member the condition cannot be evaluated for (an attribute of
// another type than the condition compares it with) is not in the
// segment.
func (s *Segments) Members(ctx context.Context, tenant, name string, fn func(member.Member) error) error {
	c, err := s.Condition(ctx, tenant, name)
	if err != nil {
		return err
	}
	_, err = s.Match(ctx, tenant, c, fn)
	return err
}

// Condition compiles tenant's saved segment name. An unknown name
// returns an error wrapping store.ErrNotFound.
func (s *Segments) Condition(ctx context.Context, tenant, name string) (*segment.Condition, error) {
	seg, err := s.Segment(ctx, tenant, name)
	if err != nil {
		return nil, fmt.Errorf("reading segment %s: %w", name, err)
	}
	c, err := segment.Compile(seg.Condition)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", name, err)
	}
	return c, nil
}

// Evaluate calls fn with each member of tenant that condition selects,
// as Members does for a saved segment; a condition that does not compile
// returns its error.
func (s *Segments) Evaluate(ctx context.Context, tenant, condition string, fn func(member.Member) error) error {
	c, err := segment.Compile(condition)
	if err != nil {
		return err
	}
	_, err = s.Match(ctx, tenant, c, fn)
	return err
}

// Result is what a whole evaluation saw: how many members it read, and
// how many of them the condition could not be evaluated for, with the
// first such error.
type Result struct {
	Scanned int64 `json:"scanned"`
	Failed  int64 `json:"failed,omitempty"`
	// FirstError is the first evaluation error, to show the operator.
	FirstError string `json:"first_error,omitempty"`
}

// Match calls fn with each member of tenant that c selects, in one scan
// of the members with the facts c reads, and returns what it saw.
func (s *Segments) Match(ctx context.Context, tenant string, c *segment.Condition, fn func(member.Member) error) (Result, error) {
	var res Result
	var matched int64
	now := s.Now()
	start := time.Now() // for the duration metric only: nothing is decided by it
	env := segment.NewEnv()
	err := s.ScanMembers(ctx, tenant, store.MemberScan{Needs: c.Needs(), Now: now}, func(f store.MemberFacts) error {
		res.Scanned++
		env.Fill(&f, now)
		ok, err := c.Match(env)
		if err != nil {
			res.Failed++
			if res.FirstError == "" {
				res.FirstError = fmt.Sprintf("member %s: %v", f.Member.ID, err)
			}
			return nil
		}
		if !ok {
			return nil
		}
		matched++
		return fn(f.Member)
	})
	s.Metrics.record(tenant, res, matched, time.Since(start), err)
	if err != nil {
		return res, fmt.Errorf("evaluating segment: %w", err)
	}
	return res, nil
}

// DefaultSample and MaxSample are the default and the largest number of
// members a preview shows.
const (
	DefaultSample = 10
	MaxSample     = 100
)

// Preview is how many members a condition selects, with the first of
// them (by id).
type Preview struct {
	Count  int64           `json:"count"`
	Sample []member.Member `json:"sample"`
	Result
}

// Preview counts the members of tenant that c selects and keeps the first
// sample of them (DefaultSample when 0, at most MaxSample).
func (s *Segments) Preview(ctx context.Context, tenant string, c *segment.Condition, sample int) (Preview, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	sample = min(sample, MaxSample)
	p := Preview{Sample: []member.Member{}}
	res, err := s.Match(ctx, tenant, c, func(m member.Member) error {
		p.Count++
		if len(p.Sample) < sample {
			p.Sample = append(p.Sample, m)
		}
		return nil
	})
	p.Result = res
	return p, err
}

// ErrBadFormat is returned for an export format other than csv or json.
var ErrBadFormat = errors.New("format must be csv or json")
