// Package fault is the project's one error classification: every failure is
// either permanent (retrying cannot help: dead-letter it with the reason) or
// retryable (back off and try again, honouring RetryAfter when known).
// Errors that carry no classification are retryable.
package fault

import (
	"errors"
	"time"
)

// Class groups failures for metrics and handling decisions.
type Class string

// Classes used across connectors and stages.
const (
	ClassTransient Class = "transient" // network, 5xx, timeouts: retry
	ClassThrottle  Class = "throttle"  // rate limited by the other side: retry later
	ClassRecipient Class = "recipient" // this recipient cannot be reached: permanent
	ClassTemplate  Class = "template"  // template missing, unapproved or mismatched: permanent
	ClassAuth      Class = "auth"      // credentials rejected: permanent, needs an operator
	ClassRequest   Class = "request"   // malformed or invalid input: permanent
	ClassPolicy    Class = "policy"    // refused by a messaging policy (window, opt-out): permanent
	ClassWindow    Class = "window"    // free-form message outside the 24-hour window: permanent
	ClassAccount   Class = "account"   // the business account or number cannot send (locked, unregistered, unpaid): permanent, needs an operator
)

// Error carries a classification for the error it wraps.
type Error struct {
	Err        error
	Permanent  bool
	Class      Class
	Code       string        // vendor code when there is one, such as "131026"
	RetryAfter time.Duration // zero when unknown
	// Requeue asks for the retry to come from the queue, later, rather
	// than from the worker now: the cause is another message not processed
	// yet (a refund before its order), which a worker waiting in place
	// would keep from being processed.
	Requeue bool
}

func (e *Error) Error() string {
	if e.Err == nil {
		return string(e.Class)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as permanent: retrying it cannot succeed.
func Permanent(class Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Permanent: true, Class: class}
}

// Retryable marks err as retryable after the given delay (zero: use backoff).
func Retryable(class Class, err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Class: class, RetryAfter: after}
}

// Requeue marks err as retryable through the queue: the worker hands the
// message back at once, and the queue delivers it again after its own
// backoff.
func Requeue(class Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Class: class, Requeue: true}
}

// IsRequeue reports whether err, or any error it wraps, asks for a retry
// through the queue.
func IsRequeue(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Requeue && !fe.Permanent
}

// IsPermanent reports whether err, or any error it wraps, is marked permanent.
func IsPermanent(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Permanent
}

// ClassOf returns the class of err; unclassified errors are transient.
func ClassOf(err error) Class {
	var fe *Error
	if errors.As(err, &fe) && fe.Class != "" {
		return fe.Class
	}
	return ClassTransient
}

// RetryAfter returns the delay requested by the other side, or zero.
func RetryAfter(err error) time.Duration {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.RetryAfter
	}
	return 0
}

// CodeOf returns the vendor code carried by err, or "".
func CodeOf(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}
