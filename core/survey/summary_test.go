package survey

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestStat(t *testing.T) {
	nps := Stat(KindNPS, []int{10, 9, 8, 7, 6, 0, 10, 3, 9, 10})
	assert.Equal(t, Stats{Responses: 10, Promoters: 5, Passives: 2, Detractors: 3, NPS: 20}, nps)
	assert.Equal(t, -100.0, Stat(KindNPS, []int{0, 6}).NPS)
	assert.Equal(t, 33.3, Stat(KindNPS, []int{10, 8, 7}).NPS)
	csat := Stat(KindCSAT, []int{5, 4, 3, 1})
	assert.Equal(t, Stats{Responses: 4, Average: 3.3, Satisfied: 50}, csat)
	assert.Equal(t, Stats{}, Stat(KindNPS, nil))
}

func TestSummarize(t *testing.T) {
	jan := time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC) // February in Jakarta
	rs := []Score{{Score: 10, Store: "s1", At: jan}, {Score: 2, Store: "s2", At: jan.AddDate(0, 0, -5)}, {Score: 9, At: jan}}
	jkt, _ := time.LoadLocation("Asia/Jakarta")
	s := Summarize(KindNPS, rs, jkt)
	assert.Equal(t, 33.3, s.Overall.NPS)
	assert.Equal(t, []GroupStats{
		{Key: "2026-01", Stats: Stats{Responses: 1, Detractors: 1, NPS: -100}},
		{Key: "2026-02", Stats: Stats{Responses: 2, Promoters: 2, NPS: 100}},
	}, s.Months)
	assert.Equal(t, []string{"", "s1", "s2"}, []string{s.Stores[0].Key, s.Stores[1].Key, s.Stores[2].Key})
}

func TestCommand(t *testing.T) {
	s := Survey{Name: "after_order", Kind: KindNPS, Template: "nps_invite"}
	for _, lang := range Languages() {
		cmd := s.Command(Invite{Tenant: "demo", Sender: "wa", Key: "svy_1", To: "+6281", Lang: lang})
		assert.NoError(t, cmd.Validate(), lang)
		assert.Equal(t, "survey:after_order", cmd.Origin)
		rows := cmd.Interactive.Sections[0].Rows
		assert.Len(t, rows, 10)
		assert.Equal(t, ReplyID("svy_1", 10), rows[0].ID)
		assert.Equal(t, ReplyID("svy_1", 1), rows[9].ID)
		assert.Equal(t, &struct{ Name, Language string }{"nps_invite", lang}, &struct{ Name, Language string }{cmd.Fallback.Name, cmd.Fallback.Language})
		assert.NotEmpty(t, cmd.Interactive.Body)
	}
	c := Survey{Name: "support", Kind: KindCSAT}.Command(Invite{Tenant: "demo", Sender: "wa", Key: "svy_2", To: "+39", Lang: "it"})
	assert.Len(t, c.Interactive.Sections[0].Rows, 5)
	assert.Equal(t, "Molto soddisfatto", c.Interactive.Sections[0].Rows[0].Description)
	assert.Nil(t, c.Fallback)
}

func TestTextsInEveryLanguage(t *testing.T) {
	for _, lang := range Languages() {
		for key := range texts["en"] {
			assert.NotEmpty(t, texts[lang][key], "%s %s", lang, key)
		}
	}
	assert.Equal(t, "mine", Text(map[string]string{"it": "mine"}, "it", MsgFollowUp))
	assert.Contains(t, Text(nil, "tr", MsgThanksPoints, "points", "50"), "50 puan")
}
