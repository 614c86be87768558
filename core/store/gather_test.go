package store

import (
	"testing"
	"time"
)

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
			Gather(ch, &batch, tt.limit, 0)
			if len(batch) != tt.want {
				t.Fatalf("gathered %d, want %d", len(batch), tt.want)
			}
			if len(ch) != tt.waiting-(tt.want-1) {
				t.Fatalf("%d left on the channel, want %d", len(ch), tt.waiting-(tt.want-1))
			}
		})
	}
}

func TestGatherWaitsForLateJoiners(t *testing.T) {
	ch := make(chan int)
	go func() {
		for i := range 3 {
			time.Sleep(5 * time.Millisecond)
			ch <- i
		}
	}()
	batch := []int{-1}
	Gather(ch, &batch, 4, 10*time.Second)
	if len(batch) != 4 {
		t.Fatalf("gathered %d, want 4: a batch waits for late joiners until it is full", len(batch))
	}
}

func TestGatherWaitEnds(t *testing.T) {
	ch := make(chan int)
	batch := []int{-1}
	start := time.Now()
	Gather(ch, &batch, 4, 20*time.Millisecond)
	if len(batch) != 1 {
		t.Fatalf("gathered %d, want 1", len(batch))
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Fatalf("returned after %s, before the wait of 20ms", waited)
	}
}

func TestGatherWithoutWaitDoesNotBlock(t *testing.T) {
	ch := make(chan int)
	done := make(chan struct{})
	go func() {
		batch := []int{-1}
		Gather(ch, &batch, 8, 0)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Gather without a wait blocked on an empty channel")
	}
}

func TestBatchingSizeOr(t *testing.T) {
	if got := (Batching{}).SizeOr(64); got != 64 {
		t.Fatalf("size %d without one set, want the default 64", got)
	}
	if got := (Batching{Size: 7}).SizeOr(64); got != 7 {
		t.Fatalf("size %d, want 7", got)
	}
}
