package runtime

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// templateFetchTimeout bounds one listing of an account's templates.
const templateFetchTimeout = 20 * time.Second

// Templates is a sender's view of its account's templates. It is safe for
// concurrent use.
type Templates struct {
	lister  messaging.TemplateLister // nil: the sender cannot list them
	cat     atomic.Pointer[messaging.Catalog]
	fetched atomic.Int64 // unix nanoseconds of the last good listing
	stale   atomic.Bool
}

// NewTemplates returns the templates lister lists; lister is nil when the
// sender cannot list them.
func NewTemplates(lister messaging.TemplateLister) *Templates {
	return &Templates{lister: lister}
}

// Catalog returns the templates, or nil when they are not known (the
// sender cannot list them, or the listing failed so far).
func (t *Templates) Catalog() *messaging.Catalog { return t.cat.Load() }

// RefreshSoon asks for a new listing at the scheduler's next tick.
func (t *Templates) RefreshSoon() { t.stale.Store(true) }

// SetStatus gives the known listing's template name in language a new
// status (a template status webhook's), until the next listing.
func (t *Templates) SetStatus(name, language, status string) {
	if cat := t.cat.Load(); cat != nil {
		t.cat.Store(cat.WithStatus(name, language, status))
	}
}

// Due reports whether the sender can list its templates and the listing is
// to be fetched again at now: it was asked for (RefreshSoon), or the last
// good one is every old.
func (t *Templates) Due(now time.Time, every time.Duration) bool {
	if t.lister == nil {
		return false
	}
	age := now.Sub(time.Unix(0, t.fetched.Load()))
	return t.stale.Load() || age >= every
}

// Fetch lists the account's templates, fetched at now. ok is false when
// this sender cannot list them.
func (t *Templates) Fetch(ctx context.Context, now time.Time) (cat *messaging.Catalog, ok bool, err error) {
	if t.lister == nil {
		return nil, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, templateFetchTimeout)
	defer cancel()
	list, err := t.lister.Templates(ctx)
	if errors.Is(err, messaging.ErrTemplatesUnavailable) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	cat = messaging.NewCatalog(list)
	t.cat.Store(cat)
	t.fetched.Store(now.UnixNano())
	t.stale.Store(false)
	return cat, true, nil
}
