package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// The checkpointer copies committed pages from the WAL into the database
// file while the store stays open, long before the WAL reaches the size at
// which the writer would checkpoint by itself.
func TestCheckpointerCopiesTheWALInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })

	// Let the migrations' pages reach the file first.
	size := func() int64 {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		return fi.Size()
	}
	time.Sleep(500 * time.Millisecond)
	before := size()

	for i := range 500 {
		_, err := storetest.Credit(ctx, s, "t", fmt.Sprintf("e-%d", i), fmt.Sprintf("+62812%07d", i), 10)
		require.NoError(t, err)
	}
	fi, err := os.Stat(path + "-wal")
	require.NoError(t, err)
	require.Positive(t, fi.Size(), "the awards were written to the WAL")

	require.Eventually(t, func() bool { return size() > before }, 5*time.Second, 50*time.Millisecond,
		"the database file did not grow while the store stayed open: the WAL was not checkpointed")
}
