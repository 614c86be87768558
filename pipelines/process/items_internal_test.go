package process

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The labels of ignored parts come from outside input: each is logged
// once, and past maxIgnoredLabels new ones count as "other", so a sender
// inventing field names cannot grow the metric without bound.
func TestIgnoredLabelsAreBounded(t *testing.T) {
	var l ignoredLabels
	label, first := l.see("whatsapp_cloud", "calls")
	assert.Equal(t, "calls", label)
	assert.True(t, first)
	_, first = l.see("whatsapp_cloud", "calls")
	assert.False(t, first, "a label is logged once")
	_, first = l.see("pos_webhook", "calls")
	assert.True(t, first, "per connector kind")

	for i := range maxIgnoredLabels - 2 { // two labels are known already
		l.see("whatsapp_cloud", fmt.Sprintf("field_%d", i))
	}
	label, first = l.see("whatsapp_cloud", "one_more")
	assert.Equal(t, "other", label)
	assert.True(t, first, "the first label counted as other is logged")
	label, first = l.see("whatsapp_cloud", "and_another")
	assert.Equal(t, "other", label)
	assert.False(t, first)
	label, _ = l.see("whatsapp_cloud", "calls")
	assert.Equal(t, "calls", label, "a label known before the bound keeps its own series")
}
