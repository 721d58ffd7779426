package httpserver

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcFloor is the heap size below which the garbage collector does not start
// a cycle (unless GOGC is set in the environment). With GOGC=100 and the
// ~1-2 MB of live heap a server has before its dicts fill, the collector
// ran every ~160 resumed handshakes (~12 kB of garbage each), ~30 times a
// second under one client; with the floor, about every 1,200. Once the live
// heap is over half the floor (a lua_shared_dict full of sessions), GOGC is
// 100 as usual. Cost: up to gcFloor of heap (garbage) between cycles.
const gcFloor = 16 << 20

var gcFloorOnce sync.Once

// startGCFloor adjusts GOGC after every collection so that the next goal is
// at least gcFloor (see gcPercentFor).
func startGCFloor() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcFloorOnce.Do(func() {
		g := &gcTuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, pct: 100}
		g.tune()
		g.arm()
	})
}

type gcTuner struct {
	sample []metrics.Sample
	pct    int
}

// arm attaches a cleanup to a fresh object: it runs once the next
// collection has freed the object, then tunes and re-arms.
func (g *gcTuner) arm() {
	s := new(gcSentinel)
	runtime.AddCleanup(s, func(g *gcTuner) { g.tune(); g.arm() }, g)
}

type gcSentinel struct{ _ [32]byte } // not a tiny allocation: freed on its own

func (g *gcTuner) tune() {
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	pct := gcPercentFor(g.sample[0].Value.Uint64())
	if pct != g.pct {
		g.pct = pct
		debug.SetGCPercent(pct)
	}
}

// gcPercentFor is the GOGC that makes the next heap goal about gcFloor for
// live bytes of live heap: between 100 and 400, rounded down to a multiple
// of 50 (fewer changes). The runtime never sets a goal under its heap
// minimum, 4 MB x GOGC/100: GOGC=400 alone gives the 16 MB floor while the
// live heap is small (the live figure read after a cycle varies too much to
// aim at the floor through it alone), and a goal of at most 5 x live.
func gcPercentFor(live uint64) int {
	if live < gcFloor/4 {
		return 400
	}
	if live >= gcFloor/2 {
		return 100
	}
	pct := int(gcFloor*100/live) - 100
	pct -= pct % 50
	return max(pct, 100)
}
