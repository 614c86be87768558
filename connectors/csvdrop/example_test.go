package csvdrop_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/csvdrop"
)

func Example() {
	dir, err := os.MkdirTemp("", "drops")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "sales.csv"), []byte(
		"No Struk;Tanggal;Jumlah;No HP;Nama\r\n"+
			"S-1001;23/11/2026 10:00;Rp 257.500,00;0812-3456-7890;Sari\r\n"+
			"S-1002;23/11/2026 10:05;Rp 46.000;6.28123E+12;Budi\r\n"), 0o644)

	cfg := csvdrop.NewConfig()
	cfg.Dir, cfg.Settle, cfg.PollInterval = dir, 0, 10*time.Millisecond
	cfg.DecimalSeparator, cfg.ThousandsSeparator = ",", "."
	cfg.Timezone, cfg.DefaultCurrency = "Asia/Jakarta", "IDR"
	src, err := csvdrop.NewSource(cfg, connectors.Deps{Tenant: "acme", Name: "pos_export"})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = src.Run(ctx, func(_ context.Context, d connectors.Delivery, body []byte) error {
			fmt.Println(d.Meta["file"], string(body)) // the hub stores it durably here
			return nil
		})
	}()
	for {
		if _, err := os.Stat(filepath.Join(dir, csvdrop.DoneDir, "sales.csv")); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-stopped
	rejects, _ := os.ReadFile(filepath.Join(dir, csvdrop.RejectsDir, "sales.csv.rejects.csv"))
	fmt.Print(string(rejects))
	// Output:
	// sales.csv {"file":"sales.csv","rows":[{"line":2,"transaction_id":"S-1001","type":"sale","occurred_at":"2026-11-23T10:00:00+07:00","amount":"257500.00","customer_phone":"0812-3456-7890","customer_name":"Sari"}]}
	// line;reason;No Struk;Tanggal;Jumlah;No HP;Nama
	// 3;customer_phone was turned into scientific notation by a spreadsheet and lost digits (format the column as Text);S-1002;23/11/2026 10:05;Rp 46.000;6.28123E+12;Budi
}
