package store

import "testing"

func TestGather(t *testing.T) {
	for _, tt := range []struct {
		name    string
		waiting int
		limit   int
		want    int
	}{
		{"takes every waiting value", 5, 10, 6},
		{"stops at the limit", 20, 8, 8},
		{"nothing waiting", 0, 8, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := make(chan int, tt.waiting)
			for i := range tt.waiting {
				ch <- i
			}
			batch := []int{-1}
			Gather(ch, &batch, tt.limit, 4)
			if len(batch) != tt.want {
				t.Fatalf("gathered %d, want %d", len(batch), tt.want)
			}
			if len(ch) != tt.waiting-(tt.want-1) {
				t.Fatalf("%d left on the channel, want %d", len(ch), tt.waiting-(tt.want-1))
			}
		})
	}
}
