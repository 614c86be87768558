package pos

import "testing"

// FuzzCustomerIDs feeds customerIDs, which reads webhook bodies before
// mapping, with arbitrary bodies.
func FuzzCustomerIDs(f *testing.F) {
	f.Add([]byte(`{"type":"payment.updated","data":{"object":{"payment":{"status":"COMPLETED","customer_id":"C1"}}}}`))
	f.Add([]byte(`{"type":"receipts.update","receipts":[{"receipt_type":"SALE","customer_id":"c-1","cancelled_at":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, preset := range []string{PresetSquare, PresetLoyverse} {
			ids, ok := customerIDs(preset, body)
			if !ok && ids != nil {
				t.Fatalf("%s: ids %q with ok false", preset, ids)
			}
			if len(ids) > maxLookups {
				t.Fatalf("%s: %d ids", preset, len(ids))
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if id == "" || seen[id] {
					t.Fatalf("%s: empty or repeated id in %q", preset, ids)
				}
				seen[id] = true
			}
		}
	})
}
