package conversation_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
)

// corpusLine is one message of a corpus in testdata/corpus.
type corpusLine struct {
	lang, text string
}

// readCorpus reads a corpus file: "<language>: <text>" a line, # comments.
func readCorpus(t *testing.T, name string) []corpusLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus", name))
	require.NoError(t, err)
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lang, text, ok := strings.Cut(line, ": ")
		require.True(t, ok && conversation.IsLanguage(lang), "%s:%d: want \"<language>: <text>\", got %q", name, n, line)
		out = append(out, corpusLine{lang: lang, text: text})
	}
	require.NoError(t, sc.Err())
	return out
}

// corpusKeywords are the keywords the corpus's customers meet: the
// defaults, and those of a coffee brand whose join keyword is "KOPI"
// (coffee in Indonesian).
func corpusKeywords(t *testing.T) map[string]conversation.Keywords {
	t.Helper()
	kopi, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	require.NoError(t, err)
	return map[string]conversation.Keywords{"default": conversation.DefaultKeywords(), "KOPI": kopi}
}

// TestCorpus: everyday messages in every language (greetings with a
// question, opening hours, orders, complaints, small talk) are not read as
// commands, typos forgiven or not; messages asking for a person in a
// sentence hand over.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file    string
		want    conversation.Kind
		perLang int // sentences each language has at least
	}{
		{"not_understood.txt", conversation.KindUnknown, 15},
		{"handoff.txt", conversation.KindAgent, 4},
	}
	for _, tt := range tests {
		lines := readCorpus(t, tt.file)
		seen := map[string]int{}
		for _, l := range lines {
			seen[l.lang]++
		}
		for _, lang := range conversation.Languages() {
			assert.GreaterOrEqual(t, seen[lang], tt.perLang, "%s: sentences in %s", tt.file, lang)
		}
		for name, kw := range corpusKeywords(t) {
			for _, l := range lines {
				t.Run(tt.file+"/"+name+"/"+l.lang+"/"+l.text, func(t *testing.T) {
					got := conversation.Parse(conversation.Input{Text: l.text}, kw)
					assert.Equal(t, tt.want, got.Kind, "%+v", got)
					assert.Contains(t, []string{"", l.lang}, got.Lang, "the language of a keyword of the sentence's")
				})
			}
		}
	}
}
