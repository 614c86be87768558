//go:build !unix

package csvdrop

import (
	"errors"
	"os"
)

// errLocked means another process (or Run) watches the folder.
var errLocked = errors.New("another loyalhub process is watching the folder")

// lockDir opens path without locking it: only one process may watch a
// folder on this system.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
