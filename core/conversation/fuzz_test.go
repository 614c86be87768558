package conversation_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
)

var kinds = []conversation.Kind{
	conversation.KindJoin, conversation.KindConsentYes, conversation.KindConsentNo, conversation.KindPoints,
	conversation.KindRewards, conversation.KindRedeem, conversation.KindConfirm, conversation.KindCancel,
	conversation.KindRefer, conversation.KindStop, conversation.KindStart, conversation.KindHelp,
	conversation.KindAgent, conversation.KindLanguage, conversation.KindUnknown,
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "İPTAL katıl", "Sì, più", "مُسَاعَدَةٌ ١٢٣", "  hi!!! 👋 ", "\u200fنقـاط\u200e", "ＰＯＩＮＴＳ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := conversation.Normalize(s)
		require.Equal(t, got, conversation.Normalize(got), "idempotent")
		if utf8.ValidString(s) {
			require.True(t, utf8.ValidString(got))
		}
		require.NotContains(t, got, "  ")
		for _, r := range got {
			require.False(t, r == 'I' || r == 'ı' || r == 'İ' || r == 'ـ', "%q left in %q", r, got)
			require.False(t, r >= '٠' && r <= '٩', "%q left in %q", r, got)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"JOIN ABC12345 QR", "poin saya", "STOP", "hadiahh", "language tr", "انضم ١٢٣٤٥٦٧٨", "hi, my points", ""} {
		f.Add(s, "", "")
	}
	// Everyday sentences and requests for a person, as customers write them.
	for _, file := range []string{"not_understood.txt", "handoff.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "corpus", file))
		require.NoError(f, err)
		for _, line := range strings.Split(string(data), "\n") {
			if _, text, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "#") {
				f.Add(text, "", "")
			}
		}
	}
	f.Add("Yes, please", conversation.ReplyConsentYes, "consent")
	f.Add("Free latte", conversation.RewardReplyID("latte"), "")
	f.Add("ok", "", "confirm")
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, text, replyID, expect string) {
		got := conversation.Parse(conversation.Input{Text: text, ReplyID: replyID, Expect: conversation.Expect(expect)}, kw)
		require.Contains(t, kinds, got.Kind)
		require.True(t, got.Lang == "" || conversation.IsLanguage(got.Lang), "Lang %q", got.Lang)
		require.True(t, got.Language == "" || conversation.IsLanguage(got.Language), "Language %q", got.Language)
		if got.Kind != conversation.KindLanguage {
			require.Empty(t, got.Language)
		}
		if got.Kind != conversation.KindJoin {
			require.Empty(t, got.ReferralCode)
			require.Empty(t, got.Source)
		}
		if got.ReferralCode != "" {
			require.Len(t, got.ReferralCode, 8)
			for _, c := range got.ReferralCode {
				require.True(t, c >= 'A' && c <= 'Z' || c >= '0' && c <= '9', "code %q", got.ReferralCode)
			}
		}
		require.True(t, slices.Contains([]string{"", conversation.SourceQR, conversation.SourceAd}, got.Source), "source %q", got.Source)
		// A join's text reads back the same.
		if got.Kind == conversation.KindJoin {
			again := conversation.Parse(conversation.Input{Text: conversation.JoinText("KOPI", got.ReferralCode, got.Source)}, kw)
			require.Equal(t, got.ReferralCode, again.ReferralCode)
			require.Equal(t, got.Source, again.Source)
		}
	})
}
