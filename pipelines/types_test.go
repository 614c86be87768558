package pipelines

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/event"
)

// TestOutcomeTypesKnown keeps the outcomes this package decides in
// core/event's list, so that notifications may send on them.
func TestOutcomeTypesKnown(t *testing.T) {
	assert.True(t, event.KnownOutcome(OutcomeCheckoutAbandoned))
}
