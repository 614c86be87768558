package fault

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClassification(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		permanent bool
		class     Class
		after     time.Duration
	}{
		{"unclassified is retryable and transient", base, false, ClassTransient, 0},
		{"permanent", Permanent(ClassRecipient, base), true, ClassRecipient, 0},
		{"retryable with delay", Retryable(ClassThrottle, base, 3*time.Second), false, ClassThrottle, 3 * time.Second},
		{"wrapped permanent stays permanent", fmt.Errorf("sending: %w", Permanent(ClassTemplate, base)), true, ClassTemplate, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.permanent, IsPermanent(tt.err))
			require.Equal(t, tt.class, ClassOf(tt.err))
			require.Equal(t, tt.after, RetryAfter(tt.err))
			require.ErrorIs(t, tt.err, base)
		})
	}
	require.NoError(t, Permanent(ClassRequest, nil))
	require.NoError(t, Retryable(ClassRequest, nil, 0))
	require.Equal(t, "131026", CodeOf(&Error{Err: base, Code: "131026"}))
}
