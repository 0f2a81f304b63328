//go:build !unix

package store

import "os"

// lockFile does nothing where there is no flock.
func lockFile(*os.File) {}

// unlocked cannot tell without flock, so stale backup files are left for the operator.
func unlocked(string) bool { return false }
