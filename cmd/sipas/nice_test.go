package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

// yieldCPU leaves no thread of the process above nice 10. It runs in a child process (this
// test binary again), so the other tests keep their priority.
func TestYieldCPULowersEveryThread(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread priorities are set on Linux only")
	}
	if os.Getenv("SIPAS_YIELD_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestYieldCPULowersEveryThread$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SIPAS_YIELD_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	yieldCPU()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && 20-p < 10 {
			t.Errorf("thread %d at nice %d after yieldCPU, want at least 10", tid, 20-p)
		}
	}
}
