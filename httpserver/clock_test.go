package httpserver

import (
	"testing"
	"time"
)

// TestNowWallClock: now's wall time is time.Now's (within the slew a
// second can hold), its monotonic reading orders it exactly against
// time.Now's, and an anchor a second old is replaced.
func TestNowWallClock(t *testing.T) {
	for i := 0; i < 1000; i++ {
		before := time.Now()
		n := now()
		after := time.Now()
		if n.Before(before) || n.After(after) { // monotonic comparisons
			t.Fatalf("now %v outside [%v, %v]", n, before, after)
		}
		if d := n.Round(0).Sub(before.Round(0)); d < -time.Millisecond || d > after.Sub(before)+time.Millisecond {
			t.Fatalf("now's wall time %v is %v from time.Now's", n.Round(0), d)
		}
	}
	// an anchor whose wall time is an hour off: used while under a
	// second old (what shows that now adds to it), replaced after
	mono := time.Since(monoBase)
	anchor.Store(&wallAnchor{t: time.Now().Add(-time.Hour), mono: mono})
	if d := time.Since(now().Round(0)); d < 59*time.Minute {
		t.Fatalf("a fresh anchor was not used: %v off", d)
	}
	anchor.Store(&wallAnchor{t: time.Now().Add(-time.Hour), mono: mono - time.Second})
	if d := time.Since(now().Round(0)); d < -time.Millisecond || d > time.Second {
		t.Fatalf("an anchor a second old was used: %v off", d)
	}
}
