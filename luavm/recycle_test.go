package luavm

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// recyclePool is a one-worker pool whose Lua code can note the thread it
// runs on (self()) and mark it kept (keep()); seen collects the threads
// (written on the worker goroutine before Run returns, read after).
func recyclePool(t *testing.T) (*Worker, *[]*Thread) {
	seen := &[]*Thread{}
	p, _ := newTestPool(t, Options{Install: func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("self", w.L.NewFunction(func(L *lua.LState) int {
			*seen = append(*seen, w.Current())
			return 0
		}))
		w.L.SetGlobal("keep", w.L.NewFunction(func(L *lua.LState) int {
			w.Current().Keep()
			return 0
		}))
	}})
	return p.Workers()[0], seen
}

// A thread that never waited is recycled for the next run; one that
// parked (a queue item may aim at it) or was kept is not, and stays dead.
func TestThreadRecycling(t *testing.T) {
	w, seen := recyclePool(t)
	runs := []string{`self()`, `self()`, `self() sleep(0)`, `self()`, `self() keep()`, `self()`, `self()`}
	for _, src := range runs {
		if r, _ := run(t, w, PhaseContent, "content_by_lua(nginx.conf:1)", src); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	s := *seen
	if len(s) != len(runs) {
		t.Fatalf("%d threads seen, want %d", len(s), len(runs))
	}
	if s[1] != s[0] {
		t.Errorf("a thread that ran to its end was not recycled")
	}
	for _, i := range []int{2, 4} { // the parked one, the kept one
		for j := i + 1; j < len(s); j++ {
			if s[j] == s[i] {
				t.Errorf("run %d (%s) got the thread of run %d (%s)", j, runs[j], i, runs[i])
			}
		}
		if !s[i].dead {
			t.Errorf("the thread of run %d (%s) is not dead", i, runs[i])
		}
	}
}

// The function of a chunk whose run handed it out (debug.getinfo's func)
// stays that chunk's after its thread ends: the thread is not recycled,
// so the function is not re-aimed at another chunk.
func TestChunkFunctionHandedOut(t *testing.T) {
	w, _ := recyclePool(t)
	value := func(src string) string {
		t.Helper()
		r := w.Run(&Request{Phase: PhaseSet, Chunk: mustChunk(t, "set_by_lua(nginx.conf:1)", src)})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return r.Value
	}
	value(`rawset(_G, "saved", debug.getinfo(1, "f").func) return "A"`)
	for range 3 {
		if v := value(`return "B"`); v != "B" {
			t.Fatalf("B gave %q", v)
		}
	}
	if v := value(`return rawget(_G, "saved") and rawget(_G, "saved")() or "gone"`); v != "A" {
		t.Fatalf("the saved chunk function returned %q, want A", v)
	}
}

// A run that wrote no global hands its global table on to a later run;
// one whose table may be held past its end does not: after each first
// run below, the second writes a global, and the third must not see it
// through what the first kept.
func TestRunGlobalsReused(t *testing.T) {
	w, _ := recyclePool(t)
	out := func(src string) string {
		t.Helper()
		r, out := run(t, w, PhaseContent, "content_by_lua(nginx.conf:1)", src)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return out
	}
	var envs []*lua.LTable
	for range 2 {
		out(`self()`)
		done := make(chan *lua.LTable)
		w.Post(func() { done <- w.freeTh[len(w.freeTh)-1].env })
		envs = append(envs, <-done)
	}
	if envs[0] == nil || envs[0] != envs[1] {
		t.Errorf("the global table of a run that wrote none was not reused: %p %p", envs[0], envs[1])
	}
	for _, src := range []string{`g = 1`, `g = 1 g = nil`, `rawset(getfenv(1), "g", 1)`} {
		out(src)
		if got := out(`report(tostring(g))`); got != "nil" {
			t.Errorf("after %s, the next run sees g = %s", src, got)
		}
	}
	for _, c := range []struct{ keep, read string }{
		{`rawset(_G, "kept", getfenv(1))`, `kept.leak`},
		{`rawset(_G, "kept", debug.getfenv(debug.getinfo(1, "f").func))`, `kept.leak`},
		{`rawset(_G, "kept", loadstring("return leak"))`, `kept()`},
		{`rawset(_G, "kept", function() return leak end)`, `kept()`},
	} {
		out(c.keep)
		out(`leak = "leaked"`)
		if got := out(`report(tostring(` + c.read + `))`); got != "nil" {
			t.Errorf("after %s, a later run's global is seen through it: %s", c.keep, got)
		}
		out(`rawset(_G, "kept", nil) leak = nil`)
	}
}
