package conversation_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
)

var placeholderPattern = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// raw returns a message without substitution: each placeholder fills in
// itself.
func raw(c *conversation.Catalog, lang, key string) string {
	args := map[string]string{}
	for _, p := range conversation.MessagePlaceholders(key) {
		args[p] = "{" + p + "}"
	}
	if lang == conversation.Arabic {
		return strings.NewReplacer("\u2068", "", "\u2069", "").Replace(c.Text(lang, key, args))
	}
	return c.Text(lang, key, args)
}

func TestDefaultCatalogComplete(t *testing.T) {
	c := conversation.DefaultCatalog()
	limits := map[string]int{
		conversation.MsgConsentYesButton: conversation.MaxButtonTitle,
		conversation.MsgConsentNoButton:  conversation.MaxButtonTitle,
		conversation.MsgConfirmButton:    conversation.MaxButtonTitle,
		conversation.MsgCancelButton:     conversation.MaxButtonTitle,
		conversation.MsgRewardsButton:    conversation.MaxListButton,
		conversation.MsgLanguageButton:   conversation.MaxListButton,
		conversation.MsgRewardsSection:   conversation.MaxSectionTitle,
	}
	neutral := map[string]bool{conversation.MsgRewardRowTitle: true, conversation.MsgPointsRecentLine: true}
	require.Len(t, conversation.MessageKeys(), 54)
	for _, lang := range conversation.Languages() {
		for _, key := range conversation.MessageKeys() {
			t.Run(lang+"/"+key, func(t *testing.T) {
				text := raw(c, lang, key)
				require.NotEmpty(t, text)
				if lang != conversation.English && !neutral[key] {
					assert.NotEqual(t, raw(c, conversation.English, key), text, "not translated")
				}
				// Each default message uses every placeholder its key takes.
				var used []string
				for _, m := range placeholderPattern.FindAllStringSubmatch(text, -1) {
					used = append(used, m[1])
				}
				slices.Sort(used)
				want := conversation.MessagePlaceholders(key)
				slices.Sort(want)
				assert.Equal(t, want, slices.Compact(used))
				if limit, ok := limits[key]; ok {
					assert.LessOrEqual(t, utf8.RuneCountInString(text), limit, "%q", text)
				}
				assert.Equal(t, strings.TrimSpace(text), text)
			})
		}
	}
	// Row titles are whole values: only the caller can cut them.
	for _, lang := range conversation.Languages() {
		assert.Equal(t, "{name}", raw(c, lang, conversation.MsgRewardRowTitle), lang)
	}
}

// TestMessageKeywords checks that the words messages tell customers to
// write (in bold) are keywords of the message's language.
func TestMessageKeywords(t *testing.T) {
	c := conversation.DefaultCatalog()
	kw := conversation.DefaultKeywords()
	// WhatsApp bolds text between asterisks that does not start or end
	// with a space.
	bold := regexp.MustCompile(`\*([^*{}\s]|[^*{}\s][^*{}\n]*[^*{}\s])\*`)
	want := map[string]conversation.Kind{}
	for _, lang := range conversation.Languages() {
		menu := raw(c, lang, conversation.MsgMenu)
		// The menu lists points, rewards, refer, agent, language and stop,
		// in that order.
		var kinds []conversation.Kind
		for _, m := range bold.FindAllStringSubmatch(menu, -1) {
			kinds = append(kinds, conversation.Parse(in{Text: m[1]}, kw).Kind)
		}
		assert.Equal(t, []conversation.Kind{
			conversation.KindPoints, conversation.KindRewards, conversation.KindRefer,
			conversation.KindAgent, conversation.KindLanguage, conversation.KindStop,
		}, kinds, lang)

		for _, key := range conversation.MessageKeys() {
			for _, m := range bold.FindAllStringSubmatch(raw(c, lang, key), -1) {
				word := m[1]
				got := conversation.Parse(in{Text: word}, kw)
				assert.NotEqual(t, conversation.KindUnknown, got.Kind, "%s %s: %q", lang, key, word)
				assert.Contains(t, []string{"", lang}, got.Lang, "%s %s: %q", lang, key, word)
				want[lang+" "+word] = got.Kind
			}
		}
	}
	assert.Equal(t, conversation.KindStart, want["tr BAŞLA"])
	assert.Equal(t, conversation.KindStop, want["tr RET"])
	assert.Equal(t, conversation.KindHelp, want["ar القائمة"])
}

func TestCatalogText(t *testing.T) {
	c := conversation.DefaultCatalog()
	tests := []struct {
		name, lang, key string
		args            map[string]string
		want            string
	}{
		{"english", "en", conversation.MsgRefer, map[string]string{"code": "ABC12345"},
			"Your referral code: *ABC12345*\nForward the next message to friends. You'll get points once they join and shop."},
		{"unknown language falls back to english", "fr", conversation.MsgPointsTier, map[string]string{"tier": "Gold"}, "Your level: *Gold*"},
		{"empty language falls back to english", "", conversation.MsgPointsTier, map[string]string{"tier": "Gold"}, "Your level: *Gold*"},
		{"missing value stays", "en", conversation.MsgPointsSummary, map[string]string{"balance": "1,250"}, "You have *1,250* points (pending: {pending})."},
		{"values are not expanded", "id", conversation.MsgPointsTier, map[string]string{"tier": "{balance}"}, "Level kamu: *{balance}*"},
		{"unused values ignored", "it", conversation.MsgRedeemCancelled, map[string]string{"x": "y"}, "Ok, annullato. I tuoi punti sono intatti."},
		{"no args", "tr", conversation.MsgPointsTier, nil, "Seviyeniz: *{tier}*"},
		{"unknown key", "en", "nope", nil, ""},
		{"arabic isolates each value", "ar", conversation.MsgRedeemed, map[string]string{"reward": "Free Latte", "code": "ABC12345", "balance": "1,250"},
			"تم! 🎁 رمز \u2068Free Latte\u2069 الخاص بك: \u2068ABC12345\u2069\nأظهره عند الدفع. رصيدك المتبقي: \u20681,250\u2069 نقطة."},
		{"arabic link", "ar", conversation.MsgReferForward, map[string]string{"brand": "Kopi", "link": "https://wa.me/1?text=JOIN"},
			"أجمع النقاط مع \u2068Kopi\u2069 على واتساب. انضم أنت أيضاً: \u2068https://wa.me/1?text=JOIN\u2069"},
		{"arabic empty value not wrapped", "ar", conversation.MsgPointsTier, map[string]string{"tier": ""}, "مستواك: "},
		{"arabic without values unchanged", "ar", conversation.MsgRedeemCancelled, nil, "حسناً، تم الإلغاء. نقاطك كما هي."},
		{"english never isolates", "en", conversation.MsgPointsTier, map[string]string{"tier": "ذهبي"}, "Your level: *ذهبي*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, c.Text(tt.lang, tt.key, tt.args))
		})
	}
	// Only the values change direction: the Arabic text around them has
	// no direction marks.
	for _, key := range conversation.MessageKeys() {
		assert.NotContains(t, c.Text("ar", key, nil), "\u2068", key)
		assert.NotContains(t, c.Text("ar", key, nil), "\u200f", key)
	}
}

func TestCatalogWith(t *testing.T) {
	base := conversation.DefaultCatalog()
	c, err := base.With(map[string]map[string]string{
		"id": {conversation.MsgPointsSummary: "Poin Kopi kamu: {balance}"},
		"ar": {conversation.MsgRefer: "كودك: {code}"},
	})
	require.NoError(t, err)
	assert.Equal(t, "Poin Kopi kamu: 90", c.Text("id", conversation.MsgPointsSummary, map[string]string{"balance": "90", "pending": "0"}))
	assert.Equal(t, "كودك: \u2068ABC12345\u2069", c.Text("ar", conversation.MsgRefer, map[string]string{"code": "ABC12345"}))
	assert.Equal(t, "Poin kamu: *90* (tertunda: 0).", base.Text("id", conversation.MsgPointsSummary, map[string]string{"balance": "90", "pending": "0"}), "With changes a copy")
	assert.Equal(t, base.Text("tr", conversation.MsgMenu, nil), c.Text("tr", conversation.MsgMenu, nil))

	tests := []struct {
		name      string
		overrides map[string]map[string]string
		want      []string
	}{
		{"unknown language", map[string]map[string]string{"fr": {"menu": "x"}}, []string{`fr: unknown language "fr"`}},
		{"unknown key", map[string]map[string]string{"id": {"welcom_new": "Halo"}}, []string{`id.welcom_new: unknown message key "welcom_new"; did you mean "welcome_new"?`}},
		{"empty", map[string]map[string]string{"tr": {"menu": "  "}}, []string{`tr.menu: empty message`}},
		{"unknown placeholder", map[string]map[string]string{"it": {"points_summary": "Hai {balance} punti, livello {tier}"}},
			[]string{`it.points_summary: unknown placeholder {tier}: this message takes {balance}, {pending}`}},
		{"placeholder in a message without any", map[string]map[string]string{"en": {"stopped": "Bye {name}"}},
			[]string{`en.stopped: unknown placeholder {name}: this message takes none`}},
		{"missing required placeholder", map[string]map[string]string{"ar": {"redeemed": "تم!"}}, []string{`ar.redeemed: missing placeholder {code}`}},
		{"button too long", map[string]map[string]string{"en": {"consent_yes_button": "Yes, send me all your offers"}},
			[]string{`en.consent_yes_button: 28 characters, more than WhatsApp's 20`}},
		{"section too long", map[string]map[string]string{"it": {"rewards_section": "I premi che puoi riscattare"}},
			[]string{`it.rewards_section: 27 characters, more than WhatsApp's 24`}},
		{"several, sorted", map[string]map[string]string{
			"tr": {"refer": "Kodunuz yok"},
			"en": {"menu": ""},
		}, []string{"en.menu: empty message\ntr.refer: missing placeholder {code}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := base.With(tt.overrides)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			var oe *conversation.OverrideError
			require.True(t, errors.As(err, &oe))
		})
	}
}

func TestMessagePlaceholders(t *testing.T) {
	assert.Equal(t, []string{"reward", "cost", "balance", "missing"}, conversation.MessagePlaceholders(conversation.MsgRedeemNotEnough))
	assert.Empty(t, conversation.MessagePlaceholders(conversation.MsgMenu))
	assert.Nil(t, conversation.MessagePlaceholders("nope"))
}
