//go:build !unix

package store

// freeBytes is unknown where there is no statfs.
func freeBytes(string) int64 { return -1 }
