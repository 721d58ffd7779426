package httpserver

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

// The Ps governor. worker_processes bounds the CPUs goresty uses
// (setProcs), but a Go server with idle Ps pays for them on every event:
// each goroutine made runnable (a connection accepted, a socket readable, a
// Lua hook queued) wakes another thread to look for work, which finds none
// and parks again. Measured on the bench machine: ~30 µs more server CPU
// per resumed TLS 1.2 handshake with 2 Ps than with 1 when one core is
// enough (bench/RESULTS.md, optimisation log). So the governor samples the
// process's CPU use every procsTick and runs on as few Ps as the load
// needs, up to the configured number: one more P when the current ones
// were busier than procsUp of their capacity, one fewer when the load
// would fit in one P less with room to spare (procsDown).
const (
	procsTick = 100 * time.Millisecond
	procsUp   = 0.70
	procsDown = 0.45
)

var procs struct {
	mu      sync.Mutex
	max     int  // Ps allowed (worker_processes)
	running bool // the governor goroutine exists
}

// governProcs lets the governor vary GOMAXPROCS between 1 and max.
func governProcs(max int) {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	procs.max = max
	if max <= 1 || procs.running {
		return
	}
	procs.running = true
	go procsLoop()
}

func procsLoop() {
	t := time.NewTicker(procsTick)
	defer t.Stop()
	lastCPU, lastWall := cpuTime(), time.Now()
	for range t.C {
		procs.mu.Lock()
		max := procs.max
		procs.mu.Unlock()
		cpu, wall := cpuTime(), time.Now()
		busy := float64(cpu-lastCPU) / float64(wall.Sub(lastWall))
		lastCPU, lastWall = cpu, wall
		cur := runtime.GOMAXPROCS(0)
		if n := nextProcs(cur, max, busy); n != cur {
			runtime.GOMAXPROCS(n)
		}
	}
}

// nextProcs is the number of Ps to run on after a tick in which the process
// used busy CPUs (CPU time / wall time) on cur Ps, at most max.
func nextProcs(cur, max int, busy float64) int {
	switch {
	case cur > max:
		return max
	case busy > procsUp*float64(cur) && cur < max:
		return cur + 1
	case cur > 1 && busy < procsDown*float64(cur-1):
		return cur - 1
	}
	return cur
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
