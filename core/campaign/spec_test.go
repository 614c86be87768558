package campaign

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func weekend() Spec {
	return Spec{
		Name: "double-weekend", Segment: "gold", Sender: "wa", Holdout: 10,
		Variants: []Variant{
			{Name: "a", Weight: 1, Template: config.NotificationTmpl{Name: "double_points", Language: "en",
				Body: []string{"data.first_name", "string(member.balance)"}}},
			{Name: "b", Weight: 1, Template: config.NotificationTmpl{Name: "double_points_b", Language: "en",
				Params: map[string]string{"tier": "data.tier"}}},
		},
	}
}

func TestCompileNamesTheBadKeys(t *testing.T) {
	s := weekend()
	s.Name = "Double Weekend"
	s.Variants[1].Name = "holdout"
	s.Variants[0].Template.Body[1] = "member.nope +"
	s.Budget = "-3"
	s.Window = "2y"
	s.Holdout = 60
	_, err := s.Compile("acme")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrInvalid))
	for _, key := range []string{"name:", "variants[1].name:", "variants[0].template.body[1]:", "budget:", "window:", "holdout:"} {
		assert.Contains(t, err.Error(), key)
	}
	assert.NoError(t, weekend().Validate())
}

func TestMessageFillsTheVariantPerMember(t *testing.T) {
	c, err := weekend().Compile("acme")
	require.NoError(t, err)
	m := member.Member{ID: "m1", Phone: "+6281234567890", Name: "Siti Rahma", Balance: 120,
		Tier: member.Tier{Name: "Gold"}}
	counts := map[string]int{}
	for i := range 2000 {
		id := string(rune('a'+i%26)) + time.Duration(i).String()
		counts[c.Place("acme", id).Variant]++
	}
	assert.InDelta(t, 200, counts[HoldoutVariant], 60, "about 10%% held out")
	assert.InDelta(t, 900, counts["a"], 120)
	assert.InDelta(t, 900, counts["b"], 120)

	cmd, err := c.Message("acme", Placement{Variant: "a", index: 0}, m)
	require.NoError(t, err)
	assert.Equal(t, messaging.KindTemplate, cmd.Kind)
	assert.Equal(t, messaging.CategoryMarketing, cmd.Category)
	assert.Equal(t, "double_points", cmd.Template.Name)
	assert.Equal(t, []messaging.Param{{Text: "Siti"}, {Text: "120"}}, cmd.Template.Body)
	assert.Equal(t, "campaign:double-weekend/a", cmd.Origin)
	assert.Equal(t, Key("acme", "double-weekend", "m1"), cmd.Key)

	b, err := c.Message("acme", Placement{Variant: "b", index: 1}, m)
	require.NoError(t, err)
	assert.Equal(t, cmd.Key, b.Key, "one key per campaign and member, whatever the variant")
	assert.Equal(t, []messaging.Param{{Name: "tier", Text: "Gold"}}, b.Template.Body)

	_, err = c.Message("acme", Placement{Variant: "a"}, member.Member{ID: "m2"})
	assert.ErrorIs(t, err, ErrNoPhone)
	_, err = c.Message("acme", Placement{Holdout: true, Variant: HoldoutVariant}, m)
	assert.Error(t, err)
}

func TestStartAtReadsTheTenantsZone(t *testing.T) {
	jkt, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	at, err := Spec{Start: "2026-12-12T10:00"}.StartAt(jkt)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 12, 3, 0, 0, 0, time.UTC), at.UTC())
	at, err = Spec{Start: "now"}.StartAt(jkt)
	require.NoError(t, err)
	assert.True(t, at.IsZero())
	_, err = Spec{Start: "tomorrow"}.StartAt(jkt)
	assert.ErrorContains(t, err, "start:")
}

func TestCheckTemplatesAgainstTheCatalog(t *testing.T) {
	c, err := weekend().Compile("acme")
	require.NoError(t, err)
	approved := messaging.TemplateInfo{Name: "double_points", Language: "en", Category: "marketing",
		Status: messaging.TemplateApproved, BodyParams: []string{"1", "2"}}
	named := messaging.TemplateInfo{Name: "double_points_b", Language: "en", Category: "marketing",
		Status: messaging.TemplateApproved, Named: true, BodyParams: []string{"tier"}}
	require.NoError(t, c.CheckTemplates(messaging.NewCatalog([]messaging.TemplateInfo{approved, named})))

	utility := named
	utility.Category = "utility"
	err = c.CheckTemplates(messaging.NewCatalog([]messaging.TemplateInfo{approved, utility}))
	assert.ErrorContains(t, err, `variants[1].template.name: template "double_points_b" is a utility template, the campaign's category is marketing`)

	oneParam := approved
	oneParam.BodyParams = []string{"1"}
	err = c.CheckTemplates(messaging.NewCatalog([]messaging.TemplateInfo{oneParam, named}))
	assert.ErrorContains(t, err, "variants[0].template:")

	err = c.CheckTemplates(messaging.NewCatalog([]messaging.TemplateInfo{named}))
	assert.ErrorContains(t, err, `variants[0].template: template "double_points" does not exist in language "en"`)
}
