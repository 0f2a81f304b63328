//go:build unix

package store

import "syscall"

// freeBytes is the space an unprivileged process may still write on dir's file system.
func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
