package luavm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// deadlineInstall adds block(): suspend on an op that returns only when
// the test releases it (a lookup that never answers), reporting "op done".
func deadlineInstall(release <-chan struct{}, opDone chan<- struct{}) func(w *Worker) {
	return func(w *Worker) {
		onExitInstall(w)
		w.L.SetGlobal("block", w.L.NewFunction(func(L *lua.LState) int {
			return w.Suspend(L, func() []lua.LValue {
				<-release
				opDone <- struct{}{}
				return []lua.LValue{lua.LString("late")}
			})
		}))
	}
}

func threadCount(w *Worker) int {
	n := make(chan int)
	w.Post(func() { n <- w.threads })
	return <-n
}

// Request.Deadline ends a parked light thread on the worker: its end
// hooks run, Run returns ErrDeadline (not logged), the pending op's late
// result is dropped, and the worker goes on as before.
func TestRequestDeadline(t *testing.T) {
	release := make(chan struct{})
	opDone := make(chan struct{}, 1)
	p, tl := newTestPool(t, Options{Install: deadlineInstall(release, opDone)})
	w := p.Next()
	runDL := func(src string, dl time.Time, ph Phase) (Result, string, time.Duration) {
		out := &output{}
		start := time.Now()
		r := w.Run(&Request{Phase: ph, Chunk: mustChunk(t, "content_by_lua(nginx.conf:40)", src), Ctx: out, Deadline: dl})
		return r, out.String(), time.Since(start)
	}
	tests := []struct {
		name, src string
		out       string
	}{
		{"sleeping", `onexit("a") report("before") sleep(3600) report("after")`, "before\nexit:a"},
		{"in a pcall", `onexit("a") pcall(function() sleep(3600) end) report("after")`, "exit:a"},
		{"after a coroutine.yield", `onexit("a") coroutine.yield() sleep(3600)`, "exit:a"},
		{"yielding in a loop", `onexit("a") while true do coroutine.yield() end`, "exit:a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, out, d := runDL(tc.src, time.Now().Add(50*time.Millisecond), PhaseContent)
			// a thread that runs more than it waits may be stopped running
			// (a Lua error) rather than parked
			running := r.Err != nil && strings.HasSuffix(r.Err.Error(), ": lua_content_timeout exceeded")
			if !(errors.Is(r.Err, ErrDeadline) || (running && tc.name == "yielding in a loop")) || out != tc.out {
				t.Fatalf("err %v out %q", r.Err, out)
			}
			if d < 40*time.Millisecond || d > 2*time.Second {
				t.Fatalf("Run took %v", d)
			}
			if n := threadCount(w); n != 0 {
				t.Fatalf("%d threads left", n)
			}
		})
	}
	t.Run("op result after the deadline is dropped", func(t *testing.T) {
		r, out, _ := runDL(`onexit("a") local v = block() report(v)`, time.Now().Add(30*time.Millisecond), PhaseContent)
		if !errors.Is(r.Err, ErrDeadline) || out != "exit:a" {
			t.Fatalf("err %v out %q", r.Err, out)
		}
		release <- struct{}{}
		<-opDone
		// the late qResume reaches the worker before this run starts
		r, out = run(t, w, PhaseContent, "c", `report("next")`)
		if r.Err != nil || out != "next" {
			t.Fatalf("next run: %v %q", r.Err, out)
		}
	})
	t.Run("passed before the start", func(t *testing.T) {
		r, out, _ := runDL(`report("ran")`, time.Now().Add(-time.Second), PhaseContent)
		if !errors.Is(r.Err, ErrDeadline) || out != "" {
			t.Fatalf("err %v out %q", r.Err, out)
		}
	})
	t.Run("finished in time", func(t *testing.T) {
		// the pooled jobs and their timers are reused: none may fire late
		for i := 0; i < 200; i++ {
			dl := time.Now().Add(20 * time.Millisecond)
			r, out, _ := runDL(`sleep(0) report("ok")`, dl, PhaseContent)
			if errors.Is(r.Err, ErrDeadline) && time.Now().After(dl) {
				continue // this run's own deadline passed (a loaded machine): not a stale timer
			}
			if r.Err != nil || out != "ok" {
				t.Fatalf("run %d: %v %q", i, r.Err, out)
			}
		}
		time.Sleep(40 * time.Millisecond)
		r, out, _ := runDL(`sleep(0.06) report("ok")`, time.Now().Add(time.Minute), PhaseContent)
		if r.Err != nil || out != "ok" {
			t.Fatalf("after: %v %q", r.Err, out)
		}
	})
	t.Run("non-yieldable phases ignore it", func(t *testing.T) {
		r, out, _ := runDL(`report("ran")`, time.Now().Add(-time.Second), PhaseSSLSessionStore)
		if r.Err != nil || out != "ran" {
			t.Fatalf("err %v out %q", r.Err, out)
		}
	})
	// ErrDeadline is not logged (the yielding loop, stopped running, is
	// an ordinary Lua error)
	stoppedRunning := "content_by_lua(nginx.conf:40):1: lua_content_timeout exceeded"
	if s := tl.text(); s != "" && !strings.Contains(s, stoppedRunning) {
		t.Fatalf("log: %s", s)
	}
	// a graceful stop has nothing left to wait for
	r, _, _ := runDL(`sleep(3600)`, time.Now().Add(30*time.Millisecond), PhaseContent)
	if !errors.Is(r.Err, ErrDeadline) {
		t.Fatal(r.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	p.Shutdown(ctx)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	for _, l := range strings.Split(tl.text(), "\n") {
		if strings.Contains(l, "[error]") && !strings.Contains(l, stoppedRunning) {
			t.Fatalf("log: %s", tl.text())
		}
	}
}

// Many threads with deadlines, some ending in time and some not, on two
// workers (run with -race).
func TestRequestDeadlineMany(t *testing.T) {
	p, _ := newTestPool(t, Options{Workers: 2})
	fast := mustChunk(t, "c", `sleep(0.001)`)
	slow := mustChunk(t, "c", `sleep(3600)`)
	done := make(chan error, 400)
	for i := 0; i < 400; i++ {
		go func(i int) {
			// the fast ones get a deadline a loaded -race run cannot miss
			c, want, dl := fast, error(nil), 30*time.Second
			if i%2 == 1 {
				c, want, dl = slow, ErrDeadline, 100*time.Millisecond
			}
			r := p.Next().Run(&Request{Phase: PhaseContent, Chunk: c, Deadline: time.Now().Add(dl)})
			// a loaded machine may reach a slow job's deadline while its
			// code still runs (before sleep parks it): it is stopped there
			// with the phase's wording (TestDeadlineInterruptsRunningCode)
			if want != nil && r.Err != nil && strings.HasSuffix(r.Err.Error(), "c:1: lua_content_timeout exceeded") {
				r.Err = ErrDeadline
			}
			if !errors.Is(r.Err, want) {
				done <- r.Err
				return
			}
			done <- nil
		}(i)
	}
	for i := 0; i < 400; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range p.Workers() {
		if n := threadCount(w); n != 0 {
			t.Fatalf("worker %d: %d threads", w.ID, n)
		}
	}
}

// The worker's deadline timer stays set between runs: a run whose
// deadline comes before the one the timer is set for moves it earlier, and
// a run whose deadline comes after it is still stopped on time (the timer,
// firing first, is set again for it).
func TestDeadlineTimerKeptBetweenRuns(t *testing.T) {
	var opts Options
	opts.Timeouts[PhaseContent] = 20 * time.Second
	opts.Timeouts[PhaseSet] = 200 * time.Millisecond
	p, _ := newTestPool(t, opts)
	w := p.Next()
	run := func(ph Phase, src string, dl time.Time) (Result, time.Duration) {
		start := time.Now()
		r := w.Run(&Request{Phase: ph, Chunk: mustChunk(t, "test", src), Deadline: dl})
		return r, time.Since(start)
	}
	stopped := func(r Result) bool { return r.Err != nil && strings.HasSuffix(r.Err.Error(), "exceeded") }
	if r, _ := run(PhaseContent, `local x = 1`, time.Time{}); r.Err != nil { // timer: in 20 s
		t.Fatal(r.Err)
	}
	if r, d := run(PhaseSet, `while true do end`, time.Time{}); !stopped(r) || d > 10*time.Second {
		t.Fatalf("earlier deadline: %v after %v", r.Err, d)
	}
	if r, _ := run(PhaseSet, `local x = 1`, time.Time{}); r.Err != nil { // timer: in 200 ms
		t.Fatal(r.Err)
	}
	r, d := run(PhaseContent, `while true do end`, time.Now().Add(600*time.Millisecond))
	if !stopped(r) || d < 500*time.Millisecond || d > 10*time.Second {
		t.Fatalf("later deadline: %v after %v", r.Err, d)
	}
}
