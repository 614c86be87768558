package csvdrop

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

var (
	sampleNames  = []string{"Sari Dewi", "Budi Santoso", "Siti Rahma", "Agus Pratama", "Dewi Lestari", "Rizky Maulana", "Putri Ayu", "Andi Wijaya"}
	sampleStores = []string{"JKT-01", "JKT-02", "BDG-01", "SBY-03"}
)

// WriteSample writes a CSV export of rows transactions, the same for the
// same seed, that the default settings read without a reject: a header of
// canonical columns, then sales from about 20,000 customers, every 50th
// row a refund of the row before it. It serves load tests and benchmarks.
func WriteSample(w io.Writer, rows int, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x637376))
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("transaction_id,occurred_at,amount,currency,customer_phone,customer_email,customer_name,store_id,type,original_transaction_id\n")
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	var prevID, prevAmount string
	for i := 1; i <= rows; i++ {
		at = at.Add(time.Duration(1+rng.IntN(30)) * time.Second)
		id := fmt.Sprintf("INV-%d-%08d", seed, i)
		customer := rng.IntN(20000)
		phone := fmt.Sprintf("0812%08d", customer)
		name := sampleNames[customer%len(sampleNames)]
		email := ""
		if customer%3 == 0 {
			email = fmt.Sprintf("member%d@example.com", customer)
		}
		if i%50 == 0 && prevID != "" {
			fmt.Fprintf(bw, "R-%s,%s,%s,IDR,%s,%s,%s,%s,refund,%s\n", id, at.Format("2006-01-02 15:04:05"),
				prevAmount, phone, email, name, sampleStores[customer%len(sampleStores)], prevID)
			continue
		}
		amount := fmt.Sprintf("%d.%02d", 5000+rng.IntN(500000), rng.IntN(100))
		fmt.Fprintf(bw, "%s,%s,%s,IDR,%s,%s,\"%s\",%s,sale,\n", id, at.Format("2006-01-02 15:04:05"),
			amount, phone, email, name, sampleStores[customer%len(sampleStores)])
		prevID, prevAmount = id, amount
	}
	return bw.Flush()
}
