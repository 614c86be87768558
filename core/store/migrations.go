package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one versioned schema change of an adapter.
type Migration struct {
	Version int
	Name    string // file name, such as 0001_init.sql
	SQL     string
}

// LoadMigrations reads the migrations in dir of fsys, files named
// <version>_<name>.sql, sorted by version. Versions must be positive and
// unique.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	ms := make([]Migration, 0, len(names))
	for _, n := range names {
		base := path.Base(n)
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("reading migration %s: name must start with a positive version and _", base)
		}
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", base, err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("reading migrations: version %d used twice", ms[i].Version)
		}
	}
	return ms, nil
}
