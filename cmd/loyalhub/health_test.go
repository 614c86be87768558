package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadyURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"", "http://127.0.0.1:8080/readyz"},
		{":8080", "http://127.0.0.1:8080/readyz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/readyz"},
		{"[::]:9000", "http://127.0.0.1:9000/readyz"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/readyz"},
		{"10.1.2.3:8080", "http://10.1.2.3:8080/readyz"},
		{"[::1]:8080", "http://[::1]:8080/readyz"},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			assert.Equal(t, tt.want, readyURL(tt.listen))
		})
	}
}
