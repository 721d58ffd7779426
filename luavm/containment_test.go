package luavm

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Coroutine nesting (pcall, xpcall, coroutine.resume/wrap, metamethods
// calling them) stops with "C stack overflow" instead of Go's fatal stack
// overflow, and the worker goes on.
func TestNestingBound(t *testing.T) {
	p, tl := newTestPool(t, Options{})
	w := p.Next()
	tests := []struct{ name, src, out, err string }{
		{"pcall", `local n = 0 local function f() n = n + 1 return pcall(f) end local r = {f()} report(n, r[#r])`,
			"201 c:1: C stack overflow", ""},
		{"xpcall", `local n = 0 local function f() n = n + 1 return xpcall(f, function(e) return e end) end local r = {f()} report(n, r[#r])`,
			"201 c:1: C stack overflow", ""},
		{"coroutine.resume", `local n = 0 local function f() n = n + 1 return coroutine.resume(coroutine.create(f)) end local r = {f()} report(n, r[#r])`,
			"201 c:1: C stack overflow", ""},
		{"coroutine.wrap", `local function f() return coroutine.wrap(f)() end f()`, "", "c:1: C stack overflow"},
		{"__index calling pcall", `local t = setmetatable({}, {__index = function(t, k) local ok, v = pcall(function() return t[k] end) if not ok then error(v, 0) end return v end}) local ok, e = pcall(function() return t.x end) report(e)`,
			"c:1: C stack overflow", ""},
		{"deep Lua frames under each level", `local function g(n) if n > 0 then local r = g(n - 1) return r end local ok, e = pcall(g, 400) return e end report(g(400))`,
			"c:1: C stack overflow", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, out := run(t, w, PhaseContent, "c", tc.src)
			if out != tc.out || (tc.err == "") != (r.Err == nil) || (r.Err != nil && r.Err.Error() != tc.err) {
				t.Fatalf("got %q, %v; want %q, %q", out, r.Err, tc.out, tc.err)
			}
			if r, out := run(t, w, PhaseContent, "c", `report(pcall(pcall, pcall, report, "fine"))`); r.Err != nil || out != "fine\ntrue true true" {
				t.Fatalf("after: %q %v", out, r.Err)
			}
		})
	}
	if strings.Contains(tl.text(), "goroutine ") {
		t.Fatalf("log: %s", tl.text())
	}
}

// A running loop is interrupted at its phase's limit or at its
// Request.Deadline, inside pcall and coroutines too, with the chunk and
// line in the error; the worker goes on.
func TestDeadlineInterruptsRunningCode(t *testing.T) {
	var opts Options
	opts.Timeouts[PhaseContent] = 50 * time.Millisecond
	opts.Timeouts[PhaseTimer] = -1
	p, tl := newTestPool(t, opts)
	w := p.Next()
	// a coroutine made where no deadline was running
	if r, _ := run(t, w, PhaseInit, "init", `spin = coroutine.create(function() while true do end end)`); r.Err != nil {
		t.Fatal(r.Err)
	}
	tests := []struct{ name, src, where string }{
		{"loop", "local x = 0\nwhile true do x = x + 1 end", "content_by_lua(nginx.conf:9):2:"},
		{"pcall in a loop", "while true do\n pcall(function() while true do end end) end", "content_by_lua(nginx.conf:9):2:"},
		{"coroutine made earlier", "report('go')\ncoroutine.resume(spin)", "init:1:"},
		{"after a yield", "coroutine.yield()\nwhile true do end", "content_by_lua(nginx.conf:9):2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r, _ := run(t, w, PhaseContent, "content_by_lua(nginx.conf:9)", tc.src)
			if r.Err == nil || r.Err.Error() != tc.where+" lua_content_timeout exceeded" {
				t.Fatalf("got %v", r.Err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
			if r, out := run(t, w, PhaseContent, "c", `report("ok")`); r.Err != nil || out != "ok" {
				t.Fatalf("after: %v %q", r.Err, out)
			}
		})
	}
	if !strings.Contains(tl.text(), "lua entry thread aborted: runtime error: content_by_lua(nginx.conf:9):2: lua_content_timeout exceeded") {
		t.Fatalf("log: %s", tl.text())
	}
	// Request.Deadline (the fetch hook's handshake deadline) interrupts
	// running code too, with the phase's wording
	r := w.Run(&Request{Phase: PhaseSSLSessionFetch, Chunk: mustChunk(t, "fetch", "\nwhile true do end"),
		Deadline: time.Now().Add(50 * time.Millisecond)})
	if r.Err == nil || r.Err.Error() != "fetch:2: handshake deadline exceeded" {
		t.Fatalf("fetch: %v", r.Err)
	}
	// a parked content thread at its limit is ended, as at a Deadline
	r = w.Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "c", "local x = 1\npcall(function()\nsleep(3600) end)"), Ctx: &output{}})
	if !errors.Is(r.Err, ErrDeadline) || r.Where != "c:3: " {
		t.Fatalf("parked: %v %q", r.Err, r.Where)
	}
}

// stuckInstall adds gostuck(): a Go function that never looks at the
// deadline, returning when release is closed.
func stuckInstall(release <-chan struct{}) func(w *Worker) {
	return func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("gostuck", w.L.NewFunction(func(L *lua.LState) int {
			<-release
			return 0
		}))
	}
}

func waitLog(t *testing.T, tl *testLog, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tl.text(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in log: %s", s, tl.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A worker stuck in Go code past its deadline is skipped by Next, named
// in the error log by the watchdog and replaced by a fresh worker (init_by_lua
// run again); the old goroutine is left behind and Close does not wait for it.
func TestStuckWorkerReplaced(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var opts Options
	opts.Workers = 2
	opts.Timeouts[PhaseContent] = 50 * time.Millisecond
	opts.Install = stuckInstall(release)
	opts.Init = mustChunk(t, "init", `inited = "yes"`)
	p, tl := newTestPool(t, opts)
	stuck := p.Workers()[0]
	// two timers pending when it gets stuck: one due before the
	// replacement, one after
	if r, _ := run(t, stuck, PhaseContent, "content_by_lua(nginx.conf:3)", "timer_at(0.2, function() end)\ntimer_at(4, function() end)"); r.Err != nil {
		t.Fatal(r.Err)
	}
	conn := &errlog.Conn{ID: 42, Client: "127.0.0.1", Server: "localhost", Request: "GET /t HTTP/1.1", Host: "localhost"}
	go stuck.Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "content_by_lua(nginx.conf:7)", "gostuck()"), Conn: conn})
	for !stuck.pastDeadline(time.Now(), 0) {
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		w := p.Next()
		if w == stuck {
			t.Fatal("Next chose the stuck worker")
		}
		if r, out := run(t, w, PhaseContent, "c", `report("ok")`); r.Err != nil || out != "ok" {
			t.Fatalf("other worker: %v %q", r.Err, out)
		}
	}
	// nginx's lines about a request: "*N msg, client: ..., server: ..., request: ..., host: ..."
	suffix := `, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"`
	waitLog(t, tl, "*42 lua worker is stuck in content_by_lua(nginx.conf:7) past its deadline (in Go code that cannot be interrupted); new work goes to the other workers"+suffix)
	waitLog(t, tl, "*42 lua worker stuck in content_by_lua(nginx.conf:7) replaced by a fresh one; pending timers dropped: 2"+suffix)
	// the one due later is named when it comes due, with the timer's context
	waitLog(t, tl, "lua timer dropped: its worker was replaced while stuck; function <content_by_lua(nginx.conf:3):2> not run, context: ngx.timer")
	if strings.Contains(tl.text(), "content_by_lua(nginx.conf:3):1>") {
		t.Errorf("the timer due before the replacement is named: %s", tl.text())
	}
	fresh := p.Workers()[0]
	if fresh == stuck || fresh.ID != 0 {
		t.Fatalf("worker 0 not replaced")
	}
	if r, out := run(t, fresh, PhaseContent, "c", `report(inited)`); r.Err != nil || out != "yes" {
		t.Fatalf("fresh worker: %v %q", r.Err, out)
	}
	if r := stuck.Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "c", "")}); r.Err != ErrClosed {
		t.Fatalf("abandoned worker: %v", r.Err)
	}
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > closeGrace {
		t.Fatalf("Close took %v", d)
	}
}

// Close waits at most closeGrace for a worker stuck without a deadline,
// and says what it was running.
func TestCloseLeavesStuckWorker(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var opts Options
	opts.Timeouts[PhaseContent] = -1
	opts.Install = stuckInstall(release)
	p, tl := newTestPool(t, opts)
	w := p.Next()
	res := make(chan Result, 1)
	go func() {
		res <- w.Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "content_by_lua(nginx.conf:7)", "gostuck()"),
			Conn: &errlog.Conn{ID: 7, Client: "127.0.0.1"}})
	}()
	for w.busyName.Load() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > 3*closeGrace {
		t.Fatalf("Close took %v", d)
	}
	if r := <-res; r.Err != ErrClosed {
		t.Fatalf("Run: %v", r.Err)
	}
	waitLog(t, tl, "*7 lua worker did not stop: still running content_by_lua(nginx.conf:7); left behind, client: 127.0.0.1")
}

// Past MaxMemory, the code running is interrupted with "not enough
// memory" instead of the process running out; the worker goes on.
func TestMemoryCeiling(t *testing.T) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var opts Options
	opts.MaxMemory = int64(ms.HeapAlloc) + 64<<20
	opts.Timeouts[PhaseContent] = -1
	p, _ := newTestPool(t, opts)
	w := p.Next()
	r, _ := run(t, w, PhaseContent, "c", "local t = {}\nwhile true do t[#t + 1] = {} end")
	if r.Err == nil || r.Err.Error() != "c:2: not enough memory" {
		t.Fatalf("got %v", r.Err)
	}
	if r, out := run(t, w, PhaseContent, "c", `report("ok")`); r.Err != nil || out != "ok" {
		t.Fatalf("after: %v %q", r.Err, out)
	}
}
