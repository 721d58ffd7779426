package httpserver

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// nginx gives a keep-alive connection's buffers back while it waits, so an
// nginx that has gone quiet holds its connections' structures and little
// else. A Go heap that has gone quiet holds, besides its live objects, the
// garbage of the last burst (a collection only starts once the heap reaches
// its goal: up to the live size again at GOGC 100, more under gcFloor) and
// the free pages the runtime keeps for the next one: ~1/5 of goresty's RSS
// once 5,000 TLS keep-alive connections were set up and went idle
// (bench/RESULTS.md, issue 18). So once the process has allocated little
// for quietTicks in a row, after a burst that left at least quietMin (and a
// quarter of the live heap) to reclaim, goresty collects and returns the
// free memory to the system (debug.FreeOSMemory). Under load the quiet
// condition is never met. A release has a price paid by the next burst
// (its heap pages faulted in again), so quietMin is the GC floor: a small
// server, whose garbage stays under the floor, seldom releases, and the
// quarter of the live heap keeps a large one (a full lua_shared_dict) from
// being collected for little. (24 MB missed 5,000 idle connections' 22 MB
// about every other time: bench/RESULTS.md, run 8.) A GOGC environment
// variable turns this off with the GC floor.
const (
	quietTick  = 250 * time.Millisecond
	quietTicks = 3         // ticks in a row allocating less than quietAlloc
	quietAlloc = 512 << 10 // bytes allocated per tick that still count as quiet
	quietMin   = gcFloor   // reclaimable bytes worth a release
	quietGap   = time.Second
)

var quietOnce sync.Once

func startQuietRelease() {
	if os.Getenv("GOGC") != "" {
		return
	}
	quietOnce.Do(func() { go quietLoop() })
}

// heapFigures are the runtime/metrics the release decision reads.
type heapFigures struct {
	allocs  uint64 // cumulative bytes allocated
	live    uint64 // live heap after the last collection
	objects uint64 // bytes in objects, live or not yet collected
	free    uint64 // free heap memory not returned to the system
}

var quietSamples = []metrics.Sample{
	{Name: "/gc/heap/allocs:bytes"},
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

func readHeapFigures() heapFigures {
	metrics.Read(quietSamples)
	u := func(i int) uint64 {
		if quietSamples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return quietSamples[i].Value.Uint64()
	}
	return heapFigures{allocs: u(0), live: u(1), objects: u(2), free: u(3)}
}

// quietState follows the ticks: how many in a row were quiet and when the
// last release was.
type quietState struct {
	last      heapFigures
	quiet     int
	released  time.Time
	afterFree uint64 // allocs at the last release
}

// step takes a tick's figures and says whether to release now.
func (s *quietState) step(f heapFigures, now time.Time) bool {
	if f.allocs-s.last.allocs < quietAlloc {
		s.quiet++
	} else {
		s.quiet = 0
	}
	s.last = f
	if s.quiet < quietTicks || now.Sub(s.released) < quietGap {
		return false
	}
	reclaim := f.free
	if f.objects > f.live {
		reclaim += f.objects - f.live
	}
	// Only after a burst: allocation since the last release, and enough to
	// give back.
	if f.allocs-s.afterFree < quietMin || reclaim < max(quietMin, f.live/4) {
		return false
	}
	s.released, s.afterFree, s.quiet = now, f.allocs, 0
	return true
}

func quietLoop() {
	t := time.NewTicker(quietTick)
	defer t.Stop()
	s := &quietState{last: readHeapFigures()}
	for now := range t.C {
		if s.step(readHeapFigures(), now) {
			// A collection also halves the stacks of parked goroutines
			// that use less than a quarter of theirs: the one before
			// FreeOSMemory's takes idle connections' waiting goroutines,
			// started at the runtime's adaptive size (the average stack in
			// use under load), down a step more.
			runtime.GC()
			debug.FreeOSMemory()
			s.afterFree = readHeapFigures().allocs
		}
	}
}
