package survey

import (
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// Kinds of survey.
const (
	KindNPS  = "nps"  // Net Promoter Score: 0 to 10
	KindCSAT = "csat" // customer satisfaction: 1 to 5
)

// TriggerHandoffEnded triggers a survey when a person gave a handed-off
// conversation back to the bot.
const TriggerHandoffEnded = "handoff.ended"

// Range returns the lowest and highest score of a kind.
func Range(kind string) (lo, hi int) {
	if kind == KindCSAT {
		return 1, 5
	}
	return 0, 10
}

// Detractor reports whether a score of a kind is unhappy enough to hand
// the customer to a person: NPS 0 to 6, CSAT 1 or 2.
func Detractor(kind string, score int) bool {
	if kind == KindCSAT {
		return score <= 2
	}
	return score <= 6
}

// ReplyPrefix starts the id of every survey list row.
const ReplyPrefix = "survey:"

// ReplyID is the id of the list row answering invitation with score.
func ReplyID(invitation string, score int) string {
	return ReplyPrefix + invitation + ":" + strconv.Itoa(score)
}

// ParseReplyID reads a list row's id: the invitation it answers and the
// score; ok is false for an id that is not a survey row's.
func ParseReplyID(id string) (invitation string, score int, ok bool) {
	rest, found := strings.CutPrefix(id, ReplyPrefix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 || n > 10 || strconv.Itoa(n) != rest[i+1:] {
		return "", 0, false
	}
	return rest[:i], n, true
}

// Origin is the message log's origin of survey name's messages.
func Origin(name string) string { return "survey:" + name }

// Survey is one of a tenant's surveys, as the invitation and the chat read
// it.
type Survey struct {
	Name string
	Kind string
	// Questions, FollowUps, Thanks are the tenant's texts by language,
	// over the defaults; FollowUp turns the follow-up question on.
	Questions map[string]string
	FollowUp  bool
	FollowUps map[string]string
	// Template, when set, is the approved template sent instead outside
	// the customer's 24-hour window (in the invitation's language).
	Template string
	Points   int64
	Handoff  bool
}

// Invite is what an invitation is sent with.
type Invite struct {
	Tenant, Sender string
	Key            string // the invitation's id, the message's key
	MemberID, To   string
	Lang           string
}

// Command is the invitation to survey s as a WhatsApp interactive list,
// service category, origin survey:<name>. Outside the 24-hour window it
// goes as s.Template when set; without one the messaging policy skips it
// (window_closed) rather than held.
func (s Survey) Command(in Invite) messaging.Command {
	lo, hi := Range(s.Kind)
	rows := make([]messaging.Row, 0, messaging.MaxListRows)
	for score := hi; score >= lo && len(rows) < messaging.MaxListRows; score-- {
		rows = append(rows, messaging.Row{
			ID:          ReplyID(in.Key, score),
			Title:       strconv.Itoa(score),
			Description: clip(rowLabel(s.Kind, in.Lang, score), messaging.MaxRowDescription),
		})
	}
	body := Text(s.Questions, in.Lang, s.questionKey())
	cmd := messaging.Command{
		Key: in.Key, Tenant: in.Tenant, Sender: in.Sender, MemberID: in.MemberID, To: in.To,
		Kind: messaging.KindList, Category: messaging.CategoryService, Rule: "survey", Origin: Origin(s.Name), WindowOnly: true,
		Interactive: &messaging.Interactive{
			Body:       clip(body, messaging.MaxInteractiveBody),
			ListButton: clip(Text(nil, in.Lang, MsgButton), messaging.MaxButtonTitle),
			Sections:   []messaging.Section{{Title: clip(Text(nil, in.Lang, MsgSection), messaging.MaxSectionTitle), Rows: rows}},
		},
	}
	if s.Template != "" {
		cmd.Fallback = &messaging.Template{Name: s.Template, Language: in.Lang}
	}
	return cmd
}

func (s Survey) questionKey() string {
	if s.Kind == KindCSAT {
		return MsgQuestionCSAT
	}
	return MsgQuestionNPS
}

// Due is when an invitation triggered at at with delay goes out.
func Due(at time.Time, delay time.Duration) time.Time { return at.Add(delay) }

// clip shortens s to n characters.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
