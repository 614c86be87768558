package survey

import (
	"strconv"
	"strings"
	"unicode"
)

// maxAnswerLen is the longest typed message read as a score: longer ones
// are sentences, not scores.
const maxAnswerLen = 40

// fillers are the words a typed score may come with, in the chatbot's
// languages: "7 out of 10", "nilai 7", "puan 7", "voto 7", "تقييم 7".
var fillers = map[string]bool{
	"out": true, "of": true, "score": true, "my": true, "is": true, "i": true, "give": true, "rating": true, "points": true,
	"dari": true, "nilai": true, "skor": true, "saya": true, "beri": true, "kasih": true, "poin": true,
	"üzerinden": true, "puan": true, "puanım": true, "veriyorum": true,
	"su": true, "voto": true, "punteggio": true, "do": true, "il": true, "mio": true, "è": true,
	"من": true, "تقييم": true, "تقييمي": true, "درجة": true, "أعطي": true,
}

// ofWords join a score to its scale with the score first ("7 of 10"); the
// Turkish "10 üzerinden 7" has the scale first.
var scaleFirst = map[string]bool{"üzerinden": true}

// ParseScore reads a typed answer to a survey of kind: one number in its
// range, in Western or Arabic-Indic digits, alone ("7"), over the scale
// ("7/10", "7 out of 10", "7 dari 10", "7 su 10", "7 من 10", "10
// üzerinden 7"), or with a word such as "score", "nilai", "puan", "voto"
// or "تقييم". Anything else, or a number out of range, is not a score.
func ParseScore(kind, text string) (int, bool) {
	text = strings.ToLower(strings.TrimSpace(foldDigits(text)))
	if text == "" || len([]rune(text)) > maxAnswerLen {
		return 0, false
	}
	lo, hi := Range(kind)
	var nums []int
	first := false // a scale word put the scale before the score
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || r == '/' || r == ':' || r == '-' || r == '=' || r == ',' || r == '!' || r == '.' || r == '؟' || r == '?'
	}) {
		if n, err := strconv.Atoi(tok); err == nil {
			nums = append(nums, n)
			continue
		}
		if scaleFirst[tok] && len(nums) == 1 {
			first = true
		}
		if !fillers[tok] {
			return 0, false
		}
	}
	var score int
	switch {
	case len(nums) == 1:
		score = nums[0]
	case len(nums) == 2 && first && nums[0] == hi:
		score = nums[1]
	case len(nums) == 2 && !first && nums[1] == hi:
		score = nums[0]
	default:
		return 0, false
	}
	if score < lo || score > hi {
		return 0, false
	}
	return score, true
}

// foldDigits turns Arabic-Indic and Extended Arabic-Indic digits into
// ASCII ones.
func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}

// Open is what the chat knows of a customer's latest survey invitation.
type Open struct {
	Invitation string // its id; "" for none
	Kind       string
	Answered   bool
	// AwaitingComment is true when the follow-up question was asked and
	// not answered yet.
	AwaitingComment bool
}

// Actions on a message while a survey may wait for it.
const (
	ActNone    = ""        // not about a survey: the chatbot answers it
	ActScore   = "score"   // a first answer: record it
	ActLate    = "late"    // an answer to an invitation answered already
	ActComment = "comment" // the free text answering the follow-up question
)

// Action is what Decide decided.
type Action struct {
	Act        string
	Invitation string
	Score      int
}

// Decide reads a customer's message (a tapped row's replyID, or text)
// given their latest invitation: a tapped survey row answers the
// invitation it names (a second answer is late); a typed score answers
// the latest invitation while it awaits one (late once answered); any
// text answers the follow-up question while it waits, unless it is a
// score. Everything else is the chatbot's.
func Decide(o Open, replyID, text string) Action {
	if inv, score, ok := ParseReplyID(replyID); ok {
		if inv == o.Invitation && !o.Answered {
			if lo, hi := Range(o.Kind); score >= lo && score <= hi {
				return Action{Act: ActScore, Invitation: inv, Score: score}
			}
			return Action{}
		}
		return Action{Act: ActLate, Invitation: inv, Score: score}
	}
	if o.Invitation == "" || replyID != "" {
		return Action{}
	}
	if score, ok := ParseScore(o.Kind, text); ok {
		if o.Answered {
			if o.AwaitingComment {
				return Action{Act: ActComment, Invitation: o.Invitation}
			}
			return Action{Act: ActLate, Invitation: o.Invitation, Score: score}
		}
		return Action{Act: ActScore, Invitation: o.Invitation, Score: score}
	}
	if o.AwaitingComment && strings.TrimSpace(text) != "" {
		return Action{Act: ActComment, Invitation: o.Invitation}
	}
	return Action{}
}
