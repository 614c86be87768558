package runtime

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestActivity(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	t.Run("counts and remembers the last of each", func(t *testing.T) {
		var a Activity
		a.Succeeded(t0)
		a.Failed(t0.Add(time.Minute), "answered 401 Unauthorized")
		a.Succeeded(t0.Add(2 * time.Minute))
		a.Succeeded(t0.Add(3 * time.Minute))
		s := a.Stats()
		assert.Equal(t, ActivityStats{OK: 3, Failed: 1, LastOK: t0.Add(3 * time.Minute), LastFailed: t0.Add(time.Minute),
			LastError: "answered 401 Unauthorized"}, s)
		assert.InDelta(t, 0.25, s.ErrorRate(), 1e-9)
	})
	t.Run("nothing seen", func(t *testing.T) {
		var a Activity
		assert.Zero(t, a.Stats().ErrorRate())
	})
	t.Run("nil records nothing", func(t *testing.T) {
		var a *Activity
		a.Succeeded(t0)
		a.Failed(t0, "x")
		assert.Equal(t, ActivityStats{}, a.Stats())
	})
	t.Run("a long error is cut", func(t *testing.T) {
		var a Activity
		a.Failed(t0, strings.Repeat("e", 1000))
		assert.Len(t, a.Stats().LastError, maxActivityError)
		a.Failed(t0, strings.Repeat("e", maxActivityError-1)+"é…")
		assert.Equal(t, strings.Repeat("e", maxActivityError-1), a.Stats().LastError, "not half a character")
	})
}
