package main

import (
	"os"
	"strconv"
	"syscall"
)

// yieldCPU lowers the process's CPU priority to nice 10, for work that runs beside the
// service and must not slow its answers. On Linux the nice value belongs to each thread, so
// every thread of the process is lowered; threads started later inherit it from theirs.
func yieldCPU() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		// getpriority's raw result is 20 - nice: lower only what is not lower already.
		if p, perr := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && perr == nil && 20-p < 10 {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 10)
		}
	}
}
