package csvdrop_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/csvdrop"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

const salesCSV = "\ufeffNo Struk;Tanggal;Jumlah;No HP;Nama;Outlet;Type;Refund For\r\n" +
	"S-1001;23/11/2026 10:00;Rp 257.500,00;0812-3456-7890;Sari;JKT-01;;\r\n" +
	"S-1002;23/11/2026 10:05;Rp 46.000;81298765432;Budi;JKT-01;sale;\r\n" +
	"R-1;23/11/2026 12:00;-50.000;0812-3456-7890;Sari;JKT-01;refund;S-1001\r\n" +
	"V-1;23/11/2026 12:30;;;;JKT-01;void;S-1002\r\n"

// runUntilDone runs a source over dir until name has moved to done/, and
// returns what it accepted.
func runUntilDone(t *testing.T, dir, name string) ([]connectors.Delivery, [][]byte) {
	t.Helper()
	c := csvdrop.NewConfig()
	c.Dir, c.Settle, c.PollInterval = dir, 0, 10*time.Millisecond
	c.DecimalSeparator, c.ThousandsSeparator = ",", "."
	c.Timezone, c.DefaultCurrency, c.DefaultRegion = "Asia/Jakarta", "IDR", "ID"
	s, err := csvdrop.NewSource(c, connectors.Deps{Tenant: "acme", Name: "drop"})
	require.NoError(t, err)
	var mu sync.Mutex
	var ds []connectors.Delivery
	var bodies [][]byte
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(_ context.Context, d connectors.Delivery, body []byte) error {
			mu.Lock()
			defer mu.Unlock()
			ds, bodies = append(ds, d), append(bodies, body)
			return nil
		})
	}()
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, csvdrop.DoneDir, name))
		return err == nil
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	mu.Lock()
	defer mu.Unlock()
	return ds, bodies
}

// The bundled mapping turns a dropped file's rows into order events, and
// the same file dropped again yields the same events.
func TestDroppedFileMaps(t *testing.T) {
	src, ok := mappings.Bundled("csv_drop")
	require.True(t, ok)
	prog, err := mappings.Compile("csv_drop", src)
	require.NoError(t, err)

	dir := t.TempDir()
	var runs [][]event.Event
	for range 2 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sales.csv"), []byte(salesCSV), 0o644))
		ds, bodies := runUntilDone(t, dir, "sales.csv")
		require.Len(t, ds, 1)
		var events []event.Event
		for i, d := range ds {
			evs, err := prog.Run(context.Background(), event.Delivery{
				Tenant: "acme", Connector: "drop", Kind: csvdrop.Name, DeliveryID: d.ID,
				ReceivedAt: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), Meta: d.Meta,
			}, bodies[i])
			require.NoError(t, err)
			events = append(events, evs...)
		}
		runs = append(runs, events)
		require.NoError(t, os.Remove(filepath.Join(dir, csvdrop.DoneDir, "sales.csv")))
	}
	assert.Equal(t, runs[0], runs[1])

	events := runs[0]
	require.Len(t, events, 4)
	var paid event.OrderPaid
	require.NoError(t, json.Unmarshal(events[0].Data, &paid))
	assert.Equal(t, event.OrderPaid{OrderID: "S-1001", Phone: "+6281234567890", Name: "Sari", Total: "257500.00",
		Currency: "IDR", StoreID: "JKT-01"}, paid)
	assert.Equal(t, event.ID("acme", "drop", "order.paid/S-1001"), events[0].ID)
	assert.Equal(t, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), events[0].OccurredAt)

	require.NoError(t, json.Unmarshal(events[1].Data, &paid))
	assert.Equal(t, "+6281298765432", paid.Phone, "the zero Excel dropped is recovered with the region")
	assert.Equal(t, "46000", paid.Total)

	var refund event.OrderRefunded
	assert.Equal(t, event.TypeOrderRefunded, events[2].Type)
	require.NoError(t, json.Unmarshal(events[2].Data, &refund))
	assert.Equal(t, event.OrderRefunded{OrderID: "S-1001", RefundID: "R-1", Amount: "50000", Currency: "IDR"}, refund)

	assert.Equal(t, event.TypeOrderCancelled, events[3].Type)
	assert.JSONEq(t, `{"order_id": "S-1002"}`, string(events[3].Data))
}
