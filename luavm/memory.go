package luavm

import (
	"bufio"
	"errors"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// The Lua memory ceiling (lua_max_memory). gopher-lua allocates on Go's
// heap with no hook, and Go ends the whole process when memory runs out.
// A monitor reads the heap every few milliseconds; above the ceiling, the
// code running at that moment on each worker (the thread that crossed it)
// is interrupted with LuaJIT's "not enough memory", and a GC runs before
// the next look. Single huge allocations are stopped earlier, by
// lua_max_string_size.

// ErrNoMemory is the Lua error of the thread running when the heap passes
// Options.MaxMemory.
var ErrNoMemory = errors.New("not enough memory")

const memoryEvery = 5 * time.Millisecond

// DefaultMaxMemory is the ceiling when lua_max_memory is not set:
// GOMEMLIMIT when the environment sets one, else three quarters of the
// memory available at start (MemAvailable in /proc/meminfo); 0 (none)
// when neither is known.
func DefaultMaxMemory() int64 {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		return l
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb * 1024 / 4 * 3
			}
		}
	}
	return 0
}

// memoryMonitor interrupts running code while the heap is over max.
func (p *Pool) memoryMonitor(max int64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tk := time.NewTicker(memoryEvery)
	defer tk.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tk.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 || int64(sample[0].Value.Uint64()) <= max {
			continue
		}
		runtime.GC() // what is already garbage does not count
		metrics.Read(sample)
		if int64(sample[0].Value.Uint64()) <= max {
			continue
		}
		for _, w := range p.Workers() {
			if w.busyName.Load() != nil {
				w.alertBusy("lua memory %d bytes over lua_max_memory %d: %s interrupted", sample[0].Value.Uint64(), max, w.busyWith())
				w.interruptNow(ErrNoMemory)
			}
		}
		runtime.GC()
	}
}
