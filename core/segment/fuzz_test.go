package segment_test

import (
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/segment"
)

// FuzzCompile compiles any text as a condition: it must fail or compile,
// never panic, and a compiled condition must evaluate on a member.
func FuzzCompile(f *testing.F) {
	for _, c := range []string{
		`tier == "gold" && days_since_purchase > 60 && opted_in`,
		`spend(90) > 100`,
		`"vip" in tags`,
		`attributes.segment == "b2b"`,
		`spend(balance) > 1`,
		`tier ==`,
	} {
		f.Add(c)
	}
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, condition string) {
		c, err := segment.Compile(condition)
		if err != nil {
			return
		}
		env := segment.NewEnv()
		env.Fill(facts(), now)
		_, _ = c.Match(env) // a runtime error is an answer too
	})
}
