package store

import (
	"context"
	"errors"
	"time"
)

// Link is a short link the hub serves at /r/{Code}: the URL one message
// carried, replaced by the link before the message went out.
type Link struct {
	Code       string    `json:"code"`
	Tenant     string    `json:"tenant"`
	MessageKey string    `json:"message_key"`
	URL        string    `json:"url"`
	CreatedAt  time.Time `json:"created_at"`
}

// Click is a counted visit of a short link: a person who opened it, not a
// link preview.
type Click struct {
	Code string
	At   time.Time
	// Agent is the class of the visitor's user agent: "mobile",
	// "desktop" or "other".
	Agent string
}

// ErrLinkTaken is returned when a short link's code is already stored for
// another tenant, message or URL.
var ErrLinkTaken = errors.New("short link code taken by another link")

// Links keeps the short links of sent messages and their clicks.
type Links interface {
	// SaveLinks stores links, in one transaction. A link stored already,
	// with the same tenant, message and URL, is kept as it is, so saving
	// a message's links again (a resend) changes nothing; a code stored
	// for another link fails the whole call with ErrLinkTaken.
	SaveLinks(ctx context.Context, links []Link) error
	// Link returns the link with code, or ErrNotFound.
	Link(ctx context.Context, code string) (Link, error)
	// RecordClick records a click on the link with code and returns the
	// link, in one statement; ErrNotFound when no link has the code, and
	// nothing is recorded.
	RecordClick(ctx context.Context, c Click) (Link, error)
}
