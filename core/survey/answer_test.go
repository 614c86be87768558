package survey

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseScore(t *testing.T) {
	tests := []struct {
		name, kind, text string
		want             int
		ok               bool
	}{
		{"en alone", KindNPS, "7", 7, true},
		{"en over scale", KindNPS, "7/10", 7, true},
		{"en spaced over scale", KindNPS, " 7 / 10 ", 7, true},
		{"en out of", KindNPS, "9 out of 10", 9, true},
		{"en words", KindNPS, "my score is 8!", 8, true},
		{"en zero", KindNPS, "0", 0, true},
		{"en ten of ten", KindNPS, "10/10", 10, true},
		{"id dari", KindNPS, "8 dari 10", 8, true},
		{"id nilai", KindNPS, "nilai 6", 6, true},
		{"tr scale first", KindNPS, "10 üzerinden 7", 7, true},
		{"tr puan", KindNPS, "Puan 9", 9, true},
		{"it su", KindNPS, "7 su 10", 7, true},
		{"it voto", KindNPS, "voto 5", 5, true},
		{"ar digits", KindNPS, "٧", 7, true},
		{"ar over scale", KindNPS, "٩ من ١٠", 9, true},
		{"ar western digits", KindNPS, "تقييم 4", 4, true},
		{"persian digits", KindNPS, "۸", 8, true},
		{"csat", KindCSAT, "4", 4, true},
		{"csat over scale", KindCSAT, "4/5", 4, true},
		{"csat id", KindCSAT, "5 dari 5", 5, true},
		{"csat out of range", KindCSAT, "0", 0, false},
		{"csat six", KindCSAT, "6", 0, false},
		{"nps eleven", KindNPS, "11", 0, false},
		{"wrong scale", KindNPS, "7/9", 0, false},
		{"sentence", KindNPS, "I ordered 2 items", 0, false},
		{"two numbers", KindNPS, "7 8", 0, false},
		{"empty", KindNPS, "", 0, false},
		{"no number", KindNPS, "score", 0, false},
		{"long", KindNPS, "7 out of 10 out of 10 out of 10 out of 10 out", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseScore(tt.kind, tt.text)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestReplyID(t *testing.T) {
	id := ReplyID("svy_abc", 7)
	inv, score, ok := ParseReplyID(id)
	assert.True(t, ok)
	assert.Equal(t, "svy_abc", inv)
	assert.Equal(t, 7, score)
	for _, bad := range []string{"", "reward:1", "survey:", "survey:x:11", "survey::3", "survey:x:a", "survey:x:+3", "survey:x:07"} {
		_, _, ok := ParseReplyID(bad)
		assert.False(t, ok, bad)
	}
}

func TestDecide(t *testing.T) {
	open := Open{Invitation: "inv1", Kind: KindNPS}
	answered := Open{Invitation: "inv1", Kind: KindNPS, Answered: true}
	awaiting := Open{Invitation: "inv1", Kind: KindNPS, Answered: true, AwaitingComment: true}
	tests := []struct {
		name    string
		o       Open
		replyID string
		text    string
		want    Action
	}{
		{"tapped row", open, ReplyID("inv1", 9), "", Action{Act: ActScore, Invitation: "inv1", Score: 9}},
		{"typed score", open, "", "7/10", Action{Act: ActScore, Invitation: "inv1", Score: 7}},
		{"tapped twice", answered, ReplyID("inv1", 3), "", Action{Act: ActLate, Invitation: "inv1", Score: 3}},
		{"tapped an older invitation", open, ReplyID("inv0", 3), "", Action{Act: ActLate, Invitation: "inv0", Score: 3}},
		{"typed again", answered, "", "8", Action{Act: ActLate, Invitation: "inv1", Score: 8}},
		{"comment", awaiting, "", "The delivery was late", Action{Act: ActComment, Invitation: "inv1"}},
		{"number as comment", awaiting, "", "5", Action{Act: ActComment, Invitation: "inv1"}},
		{"other text while open", open, "", "points", Action{}},
		{"nothing open", Open{}, "", "7", Action{}},
		{"other button", open, "reward:x", "", Action{}},
		{"csat row out of range", Open{Invitation: "inv1", Kind: KindCSAT}, ReplyID("inv1", 9), "", Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Decide(tt.o, tt.replyID, tt.text))
		})
	}
}

func FuzzParseScore(f *testing.F) {
	for _, s := range []string{"7", "7/10", "10 üzerinden 7", "٩ من ١٠", "nilai 6", "voto 5", "4/5", "survey:i:9", "survey:i:+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, kind := range []string{KindNPS, KindCSAT} {
			score, ok := ParseScore(kind, text)
			lo, hi := Range(kind)
			if ok && (score < lo || score > hi) {
				t.Fatalf("%q: score %d out of %d..%d", text, score, lo, hi)
			}
			if a := Decide(Open{Invitation: "i", Kind: kind}, "", text); a.Act == ActScore && a.Score != score {
				t.Fatalf("%q: decided %d, parsed %d", text, a.Score, score)
			}
			// The same text as a tapped row's id: only a row of the
			// invitation, in range, is a first answer.
			if a := Decide(Open{Invitation: "i", Kind: kind}, text, ""); a.Act == ActScore &&
				(text != ReplyID("i", a.Score) || a.Score < lo || a.Score > hi) {
				t.Fatalf("row id %q decided %+v", text, a)
			}
		}
	})
}
