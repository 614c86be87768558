// Package queuetest helps integration tests use a shared NATS server
// without seeing each other's streams.
package queuetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSURL is the server integration tests use: LOYALHUB_TEST_NATS_URL, by
// default the local server.
func NATSURL() string {
	if u := os.Getenv("LOYALHUB_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// RequireNATS skips the test when the NATS server does not answer, or fails
// it if LOYALHUB_REQUIRE_SERVICES=1.
func RequireNATS(tb testing.TB) {
	tb.Helper()
	if err := dialNATS(tb); err != nil {
		tb.Skipf("skipping: %v (set LOYALHUB_REQUIRE_SERVICES=1 to fail instead)", err)
	}
}

// NATSAvailable reports whether the NATS server answers, for tests that run
// on several backends and leave this one out when it is absent; with
// LOYALHUB_REQUIRE_SERVICES=1 an absent server fails the test instead.
func NATSAvailable(tb testing.TB) bool {
	tb.Helper()
	if err := dialNATS(tb); err != nil {
		tb.Logf("leaving out the NATS backend: %v", err)
		return false
	}
	return true
}

func dialNATS(tb testing.TB) error {
	tb.Helper()
	host := "127.0.0.1:4222"
	if u, err := url.Parse(NATSURL()); err == nil && u.Host != "" {
		host = u.Host
	}
	c, err := net.DialTimeout("tcp", host, time.Second)
	if err == nil {
		c.Close()
		return nil
	}
	if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
		tb.Fatalf("NATS is unreachable at %s and LOYALHUB_REQUIRE_SERVICES=1: %v", host, err)
	}
	return fmt.Errorf("NATS is unreachable at %s: %w", host, err)
}

// StreamPrefix returns a stream prefix (queue.nats.stream_prefix) unique to
// one test and deletes the streams that carry it when the test ends.
func StreamPrefix(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		nc, err := nats.Connect(NATSURL())
		if err != nil {
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var doomed []string
		for name := range js.StreamNames(ctx).Name() {
			if strings.HasPrefix(name, prefix+"_") {
				doomed = append(doomed, name)
			}
		}
		for _, name := range doomed {
			if err := js.DeleteStream(ctx, name); err != nil {
				tb.Errorf("deleting stream %s: %v", name, err)
			}
		}
	})
	return prefix
}
