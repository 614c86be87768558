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
		requeue   bool
	}{
		{"unclassified is retryable and transient", base, false, ClassTransient, 0, false},
		{"permanent", Permanent(ClassRecipient, base), true, ClassRecipient, 0, false},
		{"retryable with delay", Retryable(ClassThrottle, base, 3*time.Second), false, ClassThrottle, 3 * time.Second, false},
		{"wrapped permanent stays permanent", fmt.Errorf("sending: %w", Permanent(ClassTemplate, base)), true, ClassTemplate, 0, false},
		{"requeue is retryable through the queue", fmt.Errorf("applying: %w", Requeue(ClassRequest, base)), false, ClassRequest, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.permanent, IsPermanent(tt.err))
			require.Equal(t, tt.class, ClassOf(tt.err))
			require.Equal(t, tt.after, RetryAfter(tt.err))
			require.Equal(t, tt.requeue, IsRequeue(tt.err))
			require.ErrorIs(t, tt.err, base)
		})
	}
	require.NoError(t, Permanent(ClassRequest, nil))
	require.NoError(t, Retryable(ClassRequest, nil, 0))
	require.NoError(t, Requeue(ClassRequest, nil))
	require.Equal(t, "131026", CodeOf(&Error{Err: base, Code: "131026"}))
}
