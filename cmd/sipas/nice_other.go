//go:build !linux

package main

// yieldCPU does nothing where the priority is not set (see nice_linux.go).
func yieldCPU() {}
