package messaging_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestDecide(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	// 14:00 in Jakarta, outside the quiet hours.
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	optIn := messaging.NewPolicy(config.Messaging{MarketingConsent: config.ConsentOptIn, MarketingDailyCap: 2,
		QuietHours: config.QuietHours{Start: "21:00", End: "08:00"}}, jakarta)
	notOptedOut := optIn
	notOptedOut.OptInRequired = false

	const phone = "+6281234567890"
	points := &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "120")}
	thanks := &messaging.Template{Name: "thanks", Language: "id"}
	text := func(category string, fallback *messaging.Template) messaging.Command {
		return messaging.Command{Key: "k1", Tenant: "acme", Sender: "wa", To: phone, Kind: messaging.KindText,
			Category: category, Text: "Hi Sari", Fallback: fallback}
	}
	template := func(category string) messaging.Command {
		return messaging.Command{Key: "k1", Tenant: "acme", Sender: "wa", To: phone, Kind: messaging.KindTemplate,
			Category: category, Template: points}
	}
	asFallback := func(cmd messaging.Command) messaging.Command {
		cmd.Kind, cmd.Template, cmd.Fallback, cmd.Text = messaging.KindTemplate, cmd.Fallback, nil, ""
		return cmd
	}
	to := func(cmd messaging.Command, addr string) messaging.Command {
		cmd.To = addr
		return cmd
	}

	windowOnly := func(cmd messaging.Command) messaging.Command {
		cmd.WindowOnly = true
		return cmd
	}

	unknown := member.Contact{Tenant: "acme", Phone: phone}
	writing := unknown
	writing.LastInboundAt = now.Add(-time.Hour)
	optedIn := unknown
	optedIn.Marketing, optedIn.MarketingSource = member.ConsentOptedIn, "store signup"
	optedOut := unknown
	optedOut.Marketing, optedOut.MarketingSource = member.ConsentOptedOut, "whatsapp:131050"
	held := optedIn
	held.HoldUntil, held.HoldReason = now.Add(time.Hour), "131049"
	heldBefore := optedIn
	heldBefore.HoldUntil, heldBefore.HoldReason = now, "131049"
	heldOptedOut := optedOut
	heldOptedOut.HoldUntil, heldOptedOut.HoldReason = now.Add(time.Hour), "131049"
	brazil := member.Contact{Tenant: "acme", Phone: "+5541988887777", WAID: "554188887777", LastInboundAt: now.Add(-time.Hour)}
	bsuid := member.Contact{Tenant: "acme", UserID: "ID.1", LastInboundAt: now.Add(-time.Hour)}
	catalog := messaging.NewCatalog([]messaging.TemplateInfo{
		{Name: "points_earned", Language: "id", Category: "marketing", Status: messaging.TemplateApproved, BodyParams: []string{"1", "2"}},
		{Name: "thanks", Language: "id", Category: "utility", Status: messaging.TemplatePaused},
	})
	withCatalog := messaging.Facts{Templates: catalog}

	windowClosed := messaging.Decision{Verdict: messaging.Hold, Command: text(messaging.CategoryUtility, nil), Code: messaging.CodeWindowClosed,
		Reason: "the customer's 24-hour window is closed and the message has no fallback template"}
	skip := func(cmd messaging.Command, code, reason string) messaging.Decision {
		return messaging.Decision{Verdict: messaging.Skip, Command: cmd, Code: code, Reason: reason}
	}
	send := func(cmd messaging.Command) messaging.Decision {
		return messaging.Decision{Verdict: messaging.Send, Command: cmd}
	}
	// initiated is a decision that opens a business-initiated conversation:
	// a template outside the customer's window.
	initiated := func(d messaging.Decision) messaging.Decision {
		d.Initiated = true
		return d
	}

	tests := []struct {
		name   string
		c      member.Contact
		cmd    messaging.Command
		p      messaging.Policy
		f      messaging.Facts
		now    time.Time // default now
		want   messaging.Decision
		errCls fault.Class // a held message's class
	}{
		// The window.
		{name: "free-form inside the window", c: writing, cmd: text(messaging.CategoryUtility, nil), p: optIn,
			want: send(text(messaging.CategoryUtility, nil))},
		{name: "free-form when the window closed, without fallback", c: unknown, cmd: text(messaging.CategoryUtility, nil), p: optIn,
			want: windowClosed, errCls: fault.ClassWindow},
		{name: "free-form only for the window is skipped outside it", c: unknown, cmd: windowOnly(text(messaging.CategoryService, nil)), p: optIn,
			want: messaging.Decision{Verdict: messaging.Skip, Command: windowOnly(text(messaging.CategoryService, nil)), Code: messaging.CodeWindowClosed,
				Reason: windowClosed.Reason}},
		{name: "free-form only for the window goes as its fallback", c: unknown, cmd: windowOnly(text(messaging.CategoryService, thanks)), p: optIn,
			want: initiated(messaging.Decision{Verdict: messaging.Send, Command: asFallback(windowOnly(text(messaging.CategoryService, thanks))), Fallback: true})},
		{name: "free-form only for the window inside it", c: writing, cmd: windowOnly(text(messaging.CategoryService, nil)), p: optIn,
			want: send(windowOnly(text(messaging.CategoryService, nil)))},
		{name: "free-form to an unknown contact", cmd: text(messaging.CategoryUtility, nil), p: optIn,
			want: windowClosed, errCls: fault.ClassWindow},
		{name: "free-form the instant the window closes", c: writing, cmd: text(messaging.CategoryUtility, nil), p: optIn,
			now: writing.LastInboundAt.Add(member.Window), want: windowClosed, errCls: fault.ClassWindow},
		{name: "free-form when the window closed goes as its fallback", c: unknown, cmd: text(messaging.CategoryUtility, thanks), p: optIn,
			want: initiated(messaging.Decision{Verdict: messaging.Send, Command: asFallback(text(messaging.CategoryUtility, thanks)), Fallback: true})},
		{name: "a template is not held to the window", c: unknown, cmd: template(messaging.CategoryUtility), p: optIn,
			want: initiated(send(template(messaging.CategoryUtility)))},
		{name: "the window is checked before consent", c: optedOut, cmd: text(messaging.CategoryMarketing, nil), p: optIn,
			want: messaging.Decision{Verdict: messaging.Hold, Command: text(messaging.CategoryMarketing, nil), Code: messaging.CodeWindowClosed,
				Reason: windowClosed.Reason}, errCls: fault.ClassWindow},

		// Consent, per category.
		{name: "marketing to an unknown consent when an opt-in is required", c: unknown, cmd: template(messaging.CategoryMarketing), p: optIn,
			want: skip(template(messaging.CategoryMarketing), messaging.SkipNoConsent, "the recipient has not opted in to marketing messages")},
		{name: "marketing to an unknown consent when not opting out is enough", c: unknown, cmd: template(messaging.CategoryMarketing), p: notOptedOut,
			want: initiated(send(template(messaging.CategoryMarketing)))},
		{name: "marketing to an opt-in", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn,
			want: initiated(send(template(messaging.CategoryMarketing)))},
		{name: "marketing to an opt-out", c: optedOut, cmd: template(messaging.CategoryMarketing), p: notOptedOut,
			want: skip(template(messaging.CategoryMarketing), messaging.SkipOptedOut, "the recipient opted out of marketing messages (whatsapp:131050)")},
		{name: "a marketing fallback skipped for consent is not marked a fallback", c: unknown, cmd: text(messaging.CategoryMarketing, points), p: optIn,
			want: skip(text(messaging.CategoryMarketing, points), messaging.SkipNoConsent, "the recipient has not opted in to marketing messages")},
		{name: "utility to an opt-out", c: optedOut, cmd: template(messaging.CategoryUtility), p: optIn,
			want: initiated(send(template(messaging.CategoryUtility)))},
		{name: "authentication to an opt-out", c: optedOut, cmd: template(messaging.CategoryAuthentication), p: optIn,
			want: initiated(send(template(messaging.CategoryAuthentication)))},
		{name: "a service reply to an unknown consent", c: writing, cmd: text(messaging.CategoryService, nil), p: optIn,
			want: send(text(messaging.CategoryService, nil))},

		// Holds after WhatsApp refused to deliver.
		{name: "marketing to a held recipient", c: held, cmd: template(messaging.CategoryMarketing), p: optIn,
			want: skip(template(messaging.CategoryMarketing), messaging.SkipHeld, "the recipient is held until 2026-03-14T08:00:00Z (131049)")},
		{name: "a hold is said before an opt-out", c: heldOptedOut, cmd: template(messaging.CategoryMarketing), p: optIn,
			want: skip(template(messaging.CategoryMarketing), messaging.SkipHeld, "the recipient is held until 2026-03-14T08:00:00Z (131049)")},
		{name: "marketing once the hold ended", c: heldBefore, cmd: template(messaging.CategoryMarketing), p: optIn,
			want: initiated(send(template(messaging.CategoryMarketing)))},
		{name: "utility to a held recipient", c: held, cmd: template(messaging.CategoryUtility), p: optIn,
			want: initiated(send(template(messaging.CategoryUtility)))},

		// The daily cap.
		{name: "marketing below the cap", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn, f: messaging.Facts{MarketingToday: 1},
			want: initiated(send(template(messaging.CategoryMarketing)))},
		{name: "marketing at the cap", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn, f: messaging.Facts{MarketingToday: 2},
			want: skip(template(messaging.CategoryMarketing), messaging.SkipDailyCap, "the recipient already got 2 marketing messages today (cap 2)")},
		{name: "utility beyond the cap", c: optedIn, cmd: template(messaging.CategoryUtility), p: optIn, f: messaging.Facts{MarketingToday: 9},
			want: initiated(send(template(messaging.CategoryUtility)))},

		// Quiet hours, in Jakarta (21:00 to 08:00).
		{name: "marketing in the quiet hours", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn,
			now: time.Date(2026, 3, 14, 23, 30, 0, 0, jakarta),
			want: messaging.Decision{Verdict: messaging.Defer, Command: template(messaging.CategoryMarketing),
				Until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta), Reason: "quiet hours until 08:00"}},
		{name: "quiet hours are said before the cap", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn,
			f: messaging.Facts{MarketingToday: 5}, now: time.Date(2026, 3, 14, 21, 0, 0, 0, jakarta),
			want: messaging.Decision{Verdict: messaging.Defer, Command: template(messaging.CategoryMarketing),
				Until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta), Reason: "quiet hours until 08:00"}},
		{name: "no consent is said before quiet hours", c: unknown, cmd: template(messaging.CategoryMarketing), p: optIn,
			now:  time.Date(2026, 3, 14, 23, 30, 0, 0, jakarta),
			want: skip(template(messaging.CategoryMarketing), messaging.SkipNoConsent, "the recipient has not opted in to marketing messages")},
		{name: "utility in the quiet hours", c: optedIn, cmd: template(messaging.CategoryUtility), p: optIn,
			now: time.Date(2026, 3, 14, 23, 30, 0, 0, jakarta), want: initiated(send(template(messaging.CategoryUtility)))},

		// Templates the account has.
		{name: "an approved template with its parameters", c: optedIn, cmd: template(messaging.CategoryMarketing), p: optIn, f: withCatalog,
			want: initiated(send(template(messaging.CategoryMarketing)))},
		{name: "a template the account does not have", c: optedIn, p: optIn, f: withCatalog,
			cmd: messaging.Command{Key: "k1", To: phone, Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
				Template: &messaging.Template{Name: "points_earned", Language: "en", Body: messaging.Positional("Sari", "120")}},
			want: messaging.Decision{Verdict: messaging.Hold, Code: messaging.CodeTemplateMissing,
				Command: messaging.Command{Key: "k1", To: phone, Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
					Template: &messaging.Template{Name: "points_earned", Language: "en", Body: messaging.Positional("Sari", "120")}},
				Reason: `template "points_earned" does not exist in language "en" (it exists in id) (132001)`},
			errCls: fault.ClassTemplate},
		{name: "a paused fallback template", c: unknown, cmd: text(messaging.CategoryUtility, thanks), p: optIn, f: withCatalog,
			want: messaging.Decision{Verdict: messaging.Hold, Command: asFallback(text(messaging.CategoryUtility, thanks)), Fallback: true,
				Code: messaging.CodeTemplatePaused, Reason: `template "thanks" (id) is paused (132015)`},
			errCls: fault.ClassTemplate},
		{name: "free-form is not checked against templates", c: writing, cmd: text(messaging.CategoryUtility, thanks), p: optIn, f: withCatalog,
			want: send(text(messaging.CategoryUtility, thanks))},

		// Addresses.
		{name: "to the wa_id WhatsApp gave for the number", c: brazil,
			cmd:  to(text(messaging.CategoryUtility, nil), "+5541988887777"),
			want: send(to(text(messaging.CategoryUtility, nil), "+554188887777"))},
		{name: "a fallback to the wa_id too", c: member.Contact{Phone: "+5541988887777", WAID: "554188887777"},
			cmd:  to(text(messaging.CategoryUtility, thanks), "+5541988887777"),
			want: initiated(messaging.Decision{Verdict: messaging.Send, Command: to(asFallback(text(messaging.CategoryUtility, thanks)), "+554188887777"), Fallback: true})},
		{name: "a member without a phone, by user id", c: bsuid,
			cmd:  messaging.Command{Key: "k1", UserID: "ID.1", Kind: messaging.KindText, Category: messaging.CategoryUtility, Text: "Hi"},
			want: send(messaging.Command{Key: "k1", UserID: "ID.1", Kind: messaging.KindText, Category: messaging.CategoryUtility, Text: "Hi"})},
		{name: "a member without a phone and without a window", c: member.Contact{UserID: "ID.1"}, p: notOptedOut,
			cmd:  messaging.Command{Key: "k1", UserID: "ID.1", Kind: messaging.KindTemplate, Category: messaging.CategoryMarketing, Template: points},
			want: initiated(send(messaging.Command{Key: "k1", UserID: "ID.1", Kind: messaging.KindTemplate, Category: messaging.CategoryMarketing, Template: points}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			got := messaging.Decide(tt.c, tt.cmd, tt.p, tt.f, at)
			if tt.errCls != "" {
				require.Error(t, got.Err)
				assert.True(t, fault.IsPermanent(got.Err), "a held message's cause is permanent")
				assert.Equal(t, tt.errCls, fault.ClassOf(got.Err))
			} else {
				assert.NoError(t, got.Err)
			}
			got.Err = nil
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPolicyQuietHours(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	quiet := func(start, end string, loc *time.Location) messaging.Policy {
		return messaging.NewPolicy(config.Messaging{QuietHours: config.QuietHours{Start: start, End: end}}, loc)
	}
	tests := []struct {
		name  string
		p     messaging.Policy
		now   time.Time
		until time.Time // zero: not quiet
	}{
		{name: "no quiet hours", p: quiet("", "", jakarta), now: time.Date(2026, 3, 14, 23, 0, 0, 0, jakarta)},
		{name: "across midnight: before", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 14, 20, 59, 59, 0, jakarta)},
		{name: "across midnight: at the start", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 14, 21, 0, 0, 0, jakarta),
			until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta)},
		{name: "across midnight: after midnight", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 15, 0, 30, 0, 0, jakarta),
			until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta)},
		{name: "across midnight: just before the end", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 15, 7, 59, 59, 0, jakarta),
			until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta)},
		{name: "across midnight: at the end", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta)},
		{name: "across midnight: read in the tenant's zone", p: quiet("21:00", "08:00", jakarta), now: time.Date(2026, 3, 14, 14, 0, 0, 0, time.UTC),
			until: time.Date(2026, 3, 15, 8, 0, 0, 0, jakarta)},
		{name: "within a day", p: quiet("12:00", "13:30", jakarta), now: time.Date(2026, 3, 14, 12, 15, 0, 0, jakarta),
			until: time.Date(2026, 3, 14, 13, 30, 0, 0, jakarta)},
		{name: "within a day: after", p: quiet("12:00", "13:30", jakarta), now: time.Date(2026, 3, 14, 13, 30, 0, 0, jakarta)},
		{name: "the night the clocks go forward", p: quiet("21:00", "08:00", newYork), now: time.Date(2026, 3, 7, 23, 0, 0, 0, newYork),
			until: time.Date(2026, 3, 8, 8, 0, 0, 0, newYork)},
		{name: "the morning the clocks went forward: still quiet at 07:30", p: quiet("21:00", "08:00", newYork),
			now: time.Date(2026, 3, 8, 7, 30, 0, 0, newYork), until: time.Date(2026, 3, 8, 8, 0, 0, 0, newYork)},
		{name: "the morning the clocks went forward: over at 08:30", p: quiet("21:00", "08:00", newYork),
			now: time.Date(2026, 3, 8, 8, 30, 0, 0, newYork)},
		{name: "the morning the clocks went back: still quiet at 07:30", p: quiet("21:00", "08:00", newYork),
			now: time.Date(2026, 11, 1, 7, 30, 0, 0, newYork), until: time.Date(2026, 11, 1, 8, 0, 0, 0, newYork)},
		{name: "the morning the clocks went back: over at 08:00", p: quiet("21:00", "08:00", newYork),
			now: time.Date(2026, 11, 1, 8, 0, 0, 0, newYork)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			until, quiet := tt.p.QuietUntil(tt.now)
			assert.Equal(t, !tt.until.IsZero(), quiet)
			assert.True(t, tt.until.Equal(until), "until %s, want %s", until, tt.until)
			if quiet {
				assert.True(t, until.After(tt.now), "quiet hours end after now")
			}
		})
	}
}

func TestPolicyDayStart(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	p := messaging.Policy{Location: newYork}
	assert.Equal(t, time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), p.DayStart(time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)).UTC(),
		"the local day that lost an hour starts at midnight EST")
	assert.Equal(t, time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), p.DayStart(time.Date(2026, 3, 9, 3, 59, 0, 0, time.UTC)).UTC(),
		"23:59 EDT is still that day")
	assert.Equal(t, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), messaging.Policy{}.DayStart(time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC)),
		"no zone is UTC")
}

func TestRefused(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	optedIn := member.Contact{Marketing: member.ConsentOptedIn, MarketingAt: now.Add(-time.Hour), MarketingSource: "qr"}
	tests := []struct {
		code string
		from member.Contact
		want member.Contact
		ok   bool
	}{
		{code: messaging.CodeStopped, from: optedIn, ok: true,
			want: member.Contact{Marketing: member.ConsentOptedOut, MarketingAt: now, MarketingSource: "whatsapp:131050"}},
		{code: messaging.CodeEcosystem, from: optedIn, ok: true,
			want: member.Contact{Marketing: member.ConsentOptedIn, MarketingAt: now.Add(-time.Hour), MarketingSource: "qr",
				HoldUntil: now.Add(24 * time.Hour), HoldReason: "131049"}},
		{code: messaging.CodeReengagement, from: optedIn, want: optedIn},
		{code: "131026", from: optedIn, want: optedIn},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			change, ok := messaging.Refused(tt.code, now)
			require.Equal(t, tt.ok, ok)
			c := tt.from
			if ok {
				change(&c)
			}
			assert.Equal(t, tt.want, c)
		})
	}
}
