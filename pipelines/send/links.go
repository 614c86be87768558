package send

import (
	"context"
	"errors"
	"strings"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// LinkPath is the path of the hub's short links: the tenant's
// links.base_url, LinkPath and the link's code.
const LinkPath = "/r/"

// shortenLinks replaces the URLs of a message about to be sent by the
// tenant's short links (links.base_url; messaging.Command.ShortenURLs),
// and stores the links first, so that a sent message never carries a
// code the hub does not know. Codes derive from the message's key and
// the URL, so sending the message again gives the same links, stored
// again as they were. It returns the command unchanged when the tenant
// has no short links or the message no URL; and, with a warning, when
// one of its codes belongs to another link, which no realistic number of
// messages makes happen.
func (s *Sender) shortenLinks(ctx context.Context, t *runtime.Tenant, cmd messaging.Command) (messaging.Command, error) {
	base := strings.TrimRight(t.Config.Links.BaseURL, "/")
	if base == "" {
		return cmd, nil
	}
	prefix := base + LinkPath
	short, used := cmd.ShortenURLs(func(u string) (string, bool) {
		if strings.HasPrefix(u, prefix) {
			return u, false
		}
		return prefix + messaging.LinkCode(cmd.Tenant, cmd.Key, u), true
	})
	if len(used) == 0 {
		return cmd, nil
	}
	now := s.Now()
	links := make([]store.Link, len(used))
	for i, u := range used {
		links[i] = store.Link{Code: messaging.LinkCode(cmd.Tenant, cmd.Key, u), Tenant: cmd.Tenant, MessageKey: cmd.Key,
			URL: u, CreatedAt: now}
	}
	if err := s.Store.SaveLinks(ctx, links); errors.Is(err, store.ErrLinkTaken) {
		s.Logger.Warn("a short link's code is taken: the message's URLs go out as written", "tenant", cmd.Tenant,
			"key", cmd.Key, "error", err)
		return cmd, nil
	} else if err != nil {
		return cmd, err
	}
	s.Metrics.LinksShortened.WithLabelValues(cmd.Tenant).Add(float64(len(used)))
	return short, nil
}
