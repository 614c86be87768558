// Package journey holds what a journey decides without I/O: whether an
// outcome enters a member into it or ends it for them (Effects), and what
// a member's next steps do once they are due (Advance): messages to send,
// points to award, tags to change and surveys to invite to, with keys
// derived from the member's entry so that a repeated run does nothing
// twice, and where a branch on the member's reply or order goes.
package journey
