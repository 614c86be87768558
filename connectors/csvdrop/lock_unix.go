//go:build unix

package csvdrop

import (
	"errors"
	"os"
	"syscall"
)

// errLocked means another process (or Run) watches the folder.
var errLocked = errors.New("another loyalhub process is watching the folder")

// lockDir takes an exclusive lock on path, which is created when missing.
// The lock holds until the file is closed or the process ends, so a crashed
// process leaves none behind.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
