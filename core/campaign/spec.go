package campaign

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Spec is a broadcast as an operator writes it: who gets it (a saved
// segment), what they get (one template per variant, filled per member),
// when, and the limits it keeps.
type Spec struct {
	// Name identifies the campaign in its tenant: lower case letters,
	// digits, "-" and "_". It is part of every message's key, so a
	// member gets one message per campaign, ever.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Segment is the saved segment whose members are the audience.
	Segment string `json:"segment"`
	// Sender is the tenant's WhatsApp connector that sends it.
	Sender string `json:"sender"`
	// Category is marketing (the default) or utility: the template's
	// category as WhatsApp approved it.
	Category string `json:"category,omitempty"`
	// Start is when sending begins: empty or "now" for when the
	// campaign is started, or a local time in the tenant's time zone
	// ("2026-12-12T10:00"), or an RFC 3339 time.
	Start string `json:"start,omitempty"`
	// Holdout is the share of the audience, in percent, that gets
	// nothing and measures the campaign's lift.
	Holdout float64 `json:"holdout,omitempty"`
	// Variants are the messages of an A/B test, each with its weight;
	// one variant is a plain broadcast.
	Variants []Variant `json:"variants"`
	// Budget caps what the campaign may cost by the tenant's rate card,
	// a decimal in the card's currency ("150.00"): members past it are
	// not sent to. Empty: no cap but the tenant's monthly budget.
	Budget string `json:"budget,omitempty"`
	// Rate paces the campaign, in messages per second: its messages are
	// due one after another at that pace, so that the number's other
	// messages pass between them. Default 80, Meta's default throughput per number.
	Rate float64 `json:"rate,omitempty"`
	// Window is how long after a message an order counts as its
	// conversion (a Go duration, "72h"). Default 7 days.
	Window string `json:"window,omitempty"`
}

// Variant is one message of the campaign.
type Variant struct {
	// Name identifies the variant ("a", "b"); holdout is reserved.
	Name string `json:"name"`
	// Weight is the variant's relative share of the audience. Default 1.
	Weight int `json:"weight,omitempty"`
	// Template names an approved template and fills it per member, as a
	// notification's: every value is an expr expression over member (id,
	// phone, name, balance), data (tier, pending, first_name, birthday,
	// store, city, language, source, tags, attributes) and tenant.
	Template config.NotificationTmpl `json:"template"`
}

// HoldoutVariant names the held-out part of the audience in progress and
// comparisons.
const HoldoutVariant = "holdout"

// Defaults.
const (
	DefaultRate   = 80.0
	DefaultWindow = 7 * 24 * time.Hour
	MaxWindow     = 90 * 24 * time.Hour
	MaxVariants   = 10
)

// ErrInvalid is wrapped by every error of Validate.
var ErrInvalid = errors.New("invalid campaign")

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate reports what is wrong with the spec, each error naming its
// key ("variants[1].template.name"), and compiles its expressions.
func (s Spec) Validate() error {
	_, err := s.Compile("")
	return err
}

// fail collects errors at keys.
type fail []string

func (f *fail) add(key, format string, args ...any) {
	*f = append(*f, key+": "+fmt.Sprintf(format, args...))
}

func (f fail) err() error {
	if len(f) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(f, "; "))
}

// Compiled is a valid spec with its renderers, one per variant.
type Compiled struct {
	Spec      Spec
	Split     Split
	Window    time.Duration
	Rate      float64
	Budget    int64 // micros; 0 when uncapped
	renderers []*messaging.Renderer
}

// Compile validates the spec and compiles each variant's template for
// tenant. Errors name the spec's keys.
func (s Spec) Compile(tenant string) (*Compiled, error) {
	var f fail
	if !namePattern.MatchString(s.Name) {
		f.add("name", "%q is not a name of lower case letters, digits, - and _ (up to 63)", s.Name)
	}
	if s.Segment == "" {
		f.add("segment", "a saved segment is required")
	}
	if s.Sender == "" {
		f.add("sender", "the WhatsApp connector that sends the campaign is required")
	}
	switch s.Category {
	case "", messaging.CategoryMarketing, messaging.CategoryUtility:
	default:
		f.add("category", "%q is not marketing or utility", s.Category)
	}
	if s.Rate < 0 || s.Rate > 10_000 {
		f.add("rate", "%v is not between 0 and 10000 messages per second", s.Rate)
	}
	c := &Compiled{Spec: s, Window: DefaultWindow, Rate: s.Rate}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if s.Window != "" {
		w, err := time.ParseDuration(s.Window)
		switch {
		case err != nil:
			f.add("window", "%q is not a duration such as 72h", s.Window)
		case w <= 0 || w > MaxWindow:
			f.add("window", "%s is not between 0 and %s", w, MaxWindow)
		default:
			c.Window = w
		}
	}
	if s.Budget != "" {
		b, err := config.ParseMicros(s.Budget)
		if err != nil || b <= 0 {
			f.add("budget", "%q is not a positive amount such as 150.00", s.Budget)
		}
		c.Budget = b
	}
	if len(s.Variants) == 0 {
		f.add("variants", "at least one variant is needed")
	}
	if len(s.Variants) > MaxVariants {
		f.add("variants", "%d variants are more than %d", len(s.Variants), MaxVariants)
	}
	c.Split = Split{Holdout: s.Holdout}
	seen := map[string]bool{}
	for i, v := range s.Variants {
		at := fmt.Sprintf("variants[%d]", i)
		switch {
		case !namePattern.MatchString(v.Name):
			f.add(at+".name", "%q is not a name of lower case letters, digits, - and _", v.Name)
		case v.Name == HoldoutVariant:
			f.add(at+".name", "%q is reserved for the holdout", v.Name)
		case seen[v.Name]:
			f.add(at+".name", "%q is used twice", v.Name)
		}
		seen[v.Name] = true
		w := v.Weight
		if w == 0 {
			w = 1
		}
		c.Split.Weights = append(c.Split.Weights, w)
		if v.Template.Name == "" {
			f.add(at+".template.name", "the approved template's name is required")
		}
		if v.Template.Language == "" {
			f.add(at+".template.language", "the template's language code is required")
		}
		r, err := messaging.NewRenderer(tenant, s.notification(v))
		if err != nil {
			var errs config.Errors
			if errors.As(err, &errs) {
				for _, e := range errs {
					f.add(at+"."+e.Path, "%s", e.Msg)
				}
			} else {
				f.add(at+".template", "%v", err)
			}
		}
		c.renderers = append(c.renderers, r)
	}
	if err := c.Split.Validate(); err != nil && len(s.Variants) > 0 {
		f = append(f, strings.TrimPrefix(err.Error(), ErrSplit.Error()+": "))
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// notification is a variant as the notification renderer knows it.
func (s Spec) notification(v Variant) config.Notification {
	cat := s.Category
	if cat == "" {
		cat = messaging.CategoryMarketing
	}
	return config.Notification{Name: s.Name + "/" + v.Name, Sender: s.Sender, Category: cat, Template: v.Template}
}

// Category is the campaign's messages' category.
func (c *Compiled) Category() string {
	if c.Spec.Category == "" {
		return messaging.CategoryMarketing
	}
	return c.Spec.Category
}

// Origin is the message log's origin of a variant's messages.
func Origin(campaign, variant string) string { return "campaign:" + campaign + "/" + variant }

// OriginPrefix is what every origin of a campaign's messages starts with.
func OriginPrefix(campaign string) string { return "campaign:" + campaign + "/" }

// Key is the idempotency key of a campaign's message to a member: one
// per campaign and member, whatever the variant, replica or run.
func Key(tenant, campaign, memberID string) string {
	return event.DerivedID("msg_", "campaign", tenant, campaign, memberID)
}

// Placement is where a member of the audience falls.
type Placement struct {
	Variant string
	Holdout bool
	index   int
}

// Place places a member: in the holdout, or in a variant.
func (c *Compiled) Place(tenant, memberID string) Placement {
	i, held := c.Split.Assign(tenant+"/"+c.Spec.Name, memberID)
	if held {
		return Placement{Variant: HoldoutVariant, Holdout: true}
	}
	return Placement{Variant: c.Spec.Variants[i].Name, index: i}
}

// Message renders the message of a placed member. It fails for a member
// without a phone, whom a template cannot reach, and for an expression
// that fails on the member's data.
func (c *Compiled) Message(tenant string, p Placement, m member.Member) (messaging.Command, error) {
	if p.Holdout {
		return messaging.Command{}, errors.New("a held-out member gets no message")
	}
	if m.Phone == "" {
		return messaging.Command{}, ErrNoPhone
	}
	o := event.Outcome{ID: c.Spec.Name, Tenant: tenant, Type: "campaign",
		Member: event.MemberRef{ID: m.ID, Phone: m.Phone, Name: m.Name, Balance: m.Balance},
		Data:   Data(m)}
	cmd, ok, err := c.renderers[p.index].Render(o)
	if err != nil {
		return messaging.Command{}, err
	}
	if !ok {
		return messaging.Command{}, errors.New("the variant rendered no message")
	}
	cmd.Key = Key(tenant, c.Spec.Name, m.ID)
	cmd.OutcomeID = ""
	cmd.Rule = ""
	cmd.Origin = Origin(c.Spec.Name, p.Variant)
	return cmd, nil
}

// ErrNoPhone is returned for a member a WhatsApp campaign cannot reach.
var ErrNoPhone = errors.New("member has no phone number")

// Data is what a campaign's expressions see of a member as data.
func Data(m member.Member) map[string]any {
	first, _, _ := strings.Cut(strings.TrimSpace(m.Name), " ")
	tags := make([]any, len(m.Profile.Tags))
	for i, t := range m.Profile.Tags {
		tags[i] = t
	}
	attrs := m.Profile.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return map[string]any{
		"tier": m.Tier.Name, "pending": m.Pending, "first_name": first, "birthday": m.Birthday,
		"store": m.Profile.Store, "city": m.Profile.City, "language": m.Profile.Language,
		"source": m.Profile.Source, "tags": tags, "attributes": attrs,
	}
}

// StartAt reads the spec's start in zone: zero for now.
func (s Spec) StartAt(zone *time.Location) (time.Time, error) {
	switch s.Start {
	case "", "now":
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s.Start); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s.Start, zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: start: %q is not now, a local time such as 2026-12-12T10:00 or an RFC 3339 time", ErrInvalid, s.Start)
}

// CheckTemplates checks each variant's template against the sender's
// catalog: it exists in its language, is approved, takes the parameters
// the variant fills, and is of the campaign's category (a marketing
// template sent as utility would pass by members' marketing consent).
func (c *Compiled) CheckTemplates(cat *messaging.Catalog) error {
	var f fail
	for i, v := range c.Spec.Variants {
		at := fmt.Sprintf("variants[%d].template", i)
		info, ok := cat.Lookup(v.Template.Name, v.Template.Language)
		if ok && info.Category != "" && info.Category != c.Category() {
			f.add(at+".name", "template %q is a %s template, the campaign's category is %s", v.Template.Name, info.Category, c.Category())
			continue
		}
		if err := cat.Check(shape(v.Template)); err != nil {
			f.add(at, "%v", err)
		}
	}
	return f.err()
}

// shape is a template message with the parameters a variant fills, their
// values left out.
func shape(t config.NotificationTmpl) *messaging.Template {
	out := &messaging.Template{Name: t.Name, Language: t.Language}
	if h := t.Header; h != nil {
		out.Header = &messaging.Header{Type: h.Type, Name: h.Name, Text: "x", Link: "https://example.com/x", Filename: h.Filename}
	}
	for range t.Body {
		out.Body = append(out.Body, messaging.Param{Text: "x"})
	}
	for name := range t.Params {
		out.Body = append(out.Body, messaging.Param{Name: name, Text: "x"})
	}
	for _, b := range t.Buttons {
		out.Buttons = append(out.Buttons, messaging.Button{Index: b.Index, SubType: b.SubType, Value: "x"})
	}
	return out
}
