package segment

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Segment is a named condition a tenant saves to pick members by.
type Segment struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Condition   string `json:"condition"`
}

// MaxNameLength is the longest segment name.
const MaxNameLength = 64

// MaxConditionLength is the longest condition, in bytes.
const MaxConditionLength = 4096

var namePattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// ErrInvalid is wrapped by every error of Validate.
var ErrInvalid = errors.New("invalid segment")

// FieldError is a segment field that is not valid.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap lets errors.Is find ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate reports the first field of s that is not valid, as a
// *FieldError naming it: a name of lower-case letters, digits, "_" and
// "-", and a condition that compiles.
func (s Segment) Validate() error {
	switch {
	case s.Name == "":
		return &FieldError{Field: "name", Msg: "is empty"}
	case len(s.Name) > MaxNameLength:
		return &FieldError{Field: "name", Msg: fmt.Sprintf("is longer than %d characters", MaxNameLength)}
	case !namePattern.MatchString(s.Name):
		return &FieldError{Field: "name", Msg: fmt.Sprintf("%q may hold only lower-case letters, digits, _ and -", s.Name)}
	case len(s.Description) > 1000:
		return &FieldError{Field: "description", Msg: "is longer than 1000 characters"}
	}
	if _, err := Compile(s.Condition); err != nil {
		return &FieldError{Field: "condition", Msg: strings.TrimPrefix(err.Error(), "compiling condition: ")}
	}
	return nil
}
