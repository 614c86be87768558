package sourcetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/event"
)

// CheckWriters checks a BSP delivery's Writers against the events its
// mapping made of it: every customer who wrote (a message.received) is
// among the writers, so that marketing to them waits until the BSP lane
// has applied their words; and every writer is a customer the lane reads
// back when it applies the delivery (a message.received or a
// consent.changed naming them), or marketing to them would wait for
// nothing.
func CheckWriters(t *testing.T, name string, d connectors.Delivery, events []event.Event) {
	t.Helper()
	writers := map[string]bool{}
	for _, w := range d.Writers {
		writers[strings.TrimPrefix(w, "+")] = true
	}
	read := map[string]bool{}
	for _, ev := range events {
		forms := event.Writer(ev)
		noted := false
		for _, f := range forms {
			read[f] = true
			noted = noted || writers[f]
		}
		if ev.Type == event.TypeMessageReceived {
			assert.True(t, noted, "%s: the writer of a customer's message (%v) is not among the delivery's writers %v", name, forms, d.Writers)
		}
	}
	for w := range writers {
		assert.True(t, read[w], "%s: writer %s is never read back by the BSP lane", name, w)
	}
}
