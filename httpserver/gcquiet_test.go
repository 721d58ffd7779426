package httpserver

import (
	"testing"
	"time"
)

func TestQuietRelease(t *testing.T) {
	const mb = 1 << 20
	t0 := time.Unix(1000, 0)
	s := &quietState{}
	tick := 0
	// feed advances one tick: alloc bytes allocated during it, the heap
	// then holding objects bytes of objects and free bytes free, live at
	// the last collection.
	var allocs uint64
	feed := func(alloc, live, objects, free uint64) bool {
		tick++
		allocs += alloc
		return s.step(heapFigures{allocs: allocs, live: live, objects: objects, free: free}, t0.Add(time.Duration(tick)*quietTick))
	}
	// A burst: 60 MB allocated, 30 MB live, 60 MB of objects.
	for range 4 {
		if feed(15*mb, 30*mb, 60*mb, 2*mb) {
			t.Fatal("released under load")
		}
	}
	for i := 1; i < quietTicks; i++ {
		if feed(1000, 30*mb, 60*mb, 2*mb) {
			t.Fatalf("released after %d quiet ticks", i)
		}
	}
	if !feed(1000, 30*mb, 60*mb, 2*mb) {
		t.Fatal("no release after a burst and quietTicks quiet ticks")
	}
	// Quiet on: nothing allocated since, no second release.
	for range 40 {
		if feed(1000, 30*mb, 30*mb, 0) {
			t.Fatal("released again with nothing allocated since")
		}
	}
	// A small burst leaving less than a quarter of the live heap (or
	// quietMin) to reclaim: no release.
	if feed(12*mb, 30*mb, 35*mb, 1*mb) {
		t.Fatal("released under load")
	}
	for range 3 * quietTicks {
		if feed(1000, 30*mb, 35*mb, 1*mb) {
			t.Fatal("released 6 MB of 30 MB live")
		}
	}
	// A large live heap (a full shared dict): a quarter of it is needed.
	s, tick, allocs = &quietState{}, 0, 0
	feed(100*mb, 400*mb, 400*mb, 0)
	for range 3 * quietTicks {
		if feed(1000, 400*mb, 460*mb, 20*mb) {
			t.Fatal("released 80 MB of a 400 MB live heap")
		}
	}
}
