package mappings

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// samples are the recorded payloads every bundled mapping is tested with:
// testdata/<mapping>/<case>.json, with the topic and source meta of
// <case>.delivery.json when there is one.
//
//go:embed testdata/*/*.json
var samples embed.FS

// Sample is a recorded payload of a source.
type Sample struct {
	Name  string            // the case name
	Topic string            // the delivery's provider topic
	Meta  map[string]string // the delivery's source meta
	Body  []byte
}

// Samples returns the recorded payloads the bundled mapping called name is
// tested with, sorted by name; none for an unknown name.
func Samples(name string) ([]Sample, error) {
	if _, ok := Bundled(name); !ok {
		return nil, nil
	}
	files, err := fs.Glob(samples, path.Join("testdata", name, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") || strings.HasSuffix(f, ".delivery.json") {
			continue
		}
		body, err := samples.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s := Sample{Name: strings.TrimSuffix(path.Base(f), ".json"), Body: body}
		if side, err := samples.ReadFile(strings.TrimSuffix(f, ".json") + ".delivery.json"); err == nil {
			var d struct {
				Topic string            `json:"topic"`
				Meta  map[string]string `json:"meta"`
			}
			if err := json.Unmarshal(side, &d); err != nil {
				return nil, fmt.Errorf("reading the delivery of sample %s: %w", f, err)
			}
			s.Topic, s.Meta = d.Topic, d.Meta
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
