package mappings

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
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
	return SamplesIn(samples, path.Join("testdata", name))
}

// SamplesIn reads the recorded payloads of folder dir of fsys, sorted by
// name, as the bundled ones are laid out: each <case>.json file is a body
// as the source received it, and <case>.delivery.json beside it, when there
// is one, gives its delivery's topic and source meta
// ({"topic": "orders/paid", "meta": {"shop_domain": "…"}}). <case>.golden.json
// files (expected events) are not samples. A missing folder holds none.
func SamplesIn(fsys fs.FS, dir string) ([]Sample, error) {
	files, err := fs.Glob(fsys, path.Join(escapeGlob(dir), "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") || strings.HasSuffix(f, ".delivery.json") {
			continue
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		s := Sample{Name: strings.TrimSuffix(path.Base(f), ".json"), Body: body}
		side, err := fs.ReadFile(fsys, strings.TrimSuffix(f, ".json")+".delivery.json")
		switch {
		case err == nil:
			var d struct {
				Topic string            `json:"topic"`
				Meta  map[string]string `json:"meta"`
			}
			dec := json.NewDecoder(bytes.NewReader(side))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&d); err != nil {
				return nil, fmt.Errorf("reading the delivery of sample %s (want {\"topic\": …, \"meta\": {…}}): %w", f, err)
			}
			s.Topic, s.Meta = d.Topic, d.Meta
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// escapeGlob quotes the pattern characters of a folder name.
func escapeGlob(dir string) string {
	var b strings.Builder
	for _, r := range dir {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
