package programtest

import (
	"sort"

	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// Placeholder is the value a test gives each environment variable its
// config references without a default. It is digits, so that a numeric id
// such as a WhatsApp phone number id validates; a test file's env gives
// any other value a config needs.
const Placeholder = "1"

// Environ returns the environment a config is loaded with in tests: every
// variable the config text references as ${NAME}, without a default, set to
// Placeholder, then the overrides. The process environment is not read, so
// neither secrets nor LOYALHUB_* overrides of the machine running the tests
// change what is tested; overrides may set LOYALHUB_* variables too.
func Environ(configText []byte, overrides map[string]string) []string {
	vars := map[string]string{}
	for _, name := range hubconfig.RequiredVars(configText) {
		vars[name] = Placeholder
	}
	for k, v := range overrides {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
