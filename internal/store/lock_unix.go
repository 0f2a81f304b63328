//go:build unix

package store

import (
	"os"
	"syscall"
)

// lockFile takes an advisory lock (flock) on f, held until f is closed: a backup's temporary
// file is locked while the backup runs. flock locks are apart from the POSIX locks SQLite
// takes, so the two do not disturb each other.
func lockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// unlocked reports whether nothing holds a lock on the file name: no running backup owns it.
func unlocked(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
