package luavm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// testLog is an error log in a temp file that tests can read back.
type testLog struct {
	path string
	log  *errlog.Logger
}

func newTestLog(t testing.TB) *testLog {
	p := filepath.Join(t.TempDir(), "error.log")
	l, err := errlog.New([]errlog.Target{{Path: p, Level: errlog.Debug}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return &testLog{path: p, log: l}
}

func (tl *testLog) text() string {
	b, _ := os.ReadFile(tl.path)
	return string(b)
}

// testInstall gives the tests a few Go API functions without ngxapi.
func testInstall(w *Worker) {
	L := w.L
	L.SetGlobal("suspend", L.NewFunction(func(L *lua.LState) int {
		a := L.OptString(1, "")
		return w.Suspend(L, func() []lua.LValue {
			return []lua.LValue{lua.LString("got:" + a), lua.LNumber(42)}
		})
	}))
	L.SetGlobal("sleep", L.NewFunction(func(L *lua.LState) int {
		return w.Sleep(L, time.Duration(float64(L.CheckNumber(1))*float64(time.Second)))
	}))
	L.SetGlobal("exit", L.NewFunction(func(L *lua.LState) int {
		return w.Exit(L, L.CheckInt(1))
	}))
	L.SetGlobal("phase", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(w.Current().Phase.String()))
		return 1
	}))
	L.SetGlobal("timer_at", L.NewFunction(func(L *lua.LState) int {
		d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Second))
		var args []lua.LValue
		for i := 3; i <= L.GetTop(); i++ {
			args = append(args, L.Get(i))
		}
		if err := w.TimerAt(d, L.CheckFunction(2), args, false); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		L.Push(lua.LTrue)
		return 1
	}))
	L.SetGlobal("gopanic", L.NewFunction(func(L *lua.LState) int {
		var m map[string]int
		m["x"] = 1 // nil map write: a Go runtime panic
		return 0
	}))
	L.SetGlobal("report", L.NewFunction(func(L *lua.LState) int {
		if t := w.Current(); t != nil {
			if out, ok := t.Ctx.(*output); ok {
				out.add(L)
			}
		}
		return 0
	}))
}

// output collects report(...) calls of a light thread.
type output struct {
	mu    sync.Mutex
	lines []string
}

func (o *output) add(L *lua.LState) {
	var parts []string
	for i := 1; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToStringMeta(L.Get(i)).String())
	}
	o.mu.Lock()
	o.lines = append(o.lines, strings.Join(parts, " "))
	o.mu.Unlock()
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.lines, "\n")
}

func newTestPool(t testing.TB, opts Options) (*Pool, *testLog) {
	tl := newTestLog(t)
	if opts.Workers == 0 {
		opts.Workers = 1
	}
	opts.Log = tl.log
	if opts.Install == nil {
		opts.Install = testInstall
	}
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, tl
}

func mustChunk(t testing.TB, name, src string) *Chunk {
	c, err := CompileString(src, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t testing.TB, w *Worker, ph Phase, name, src string) (Result, string) {
	out := &output{}
	r := w.Run(&Request{Phase: ph, Chunk: mustChunk(t, name, src), Ctx: out,
		Conn: &errlog.Conn{ID: 7, Context: ph.Context(), Client: "127.0.0.1", Server: "0.0.0.0:443"}})
	return r, out.String()
}

func TestRunBasic(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	r, out := run(t, p.Next(), PhaseContent, "content_by_lua(nginx.conf:1)", `report("hello", 1 + 1, phase())`)
	if r.Err != nil || out != "hello 2 content" {
		t.Fatalf("got %v %q", r.Err, out)
	}
}

func TestCompileErrors(t *testing.T) {
	for src, want := range map[string]string{
		"local x = = 1":        "content_by_lua(nginx.conf:40):1: unexpected symbol near '='",
		"\nif x then\n":        "content_by_lua(nginx.conf:40):2: unexpected symbol near '<eof>'",
		"x = 1\nreturn return": "content_by_lua(nginx.conf:40):2: unexpected symbol near 'return'",
	} {
		_, err := CompileString(src, "content_by_lua(nginx.conf:40)")
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v want %s", src, err, want)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "h.lua")
	os.WriteFile(f, []byte("return 1"), 0o644)
	c, err := Compile("", f, f)
	if err != nil || c.Name != f {
		t.Fatalf("file: %v %v", c, err)
	}
	if _, err := Compile("", filepath.Join(dir, "nope.lua"), ""); err == nil {
		t.Fatal("missing file compiled")
	}
}

func TestErrorWording(t *testing.T) {
	p, tl := newTestPool(t, Options{})
	w := p.Next()
	cases := []struct {
		ph   Phase
		name string
		want string
	}{
		{PhaseSSLSessionStore, "ssl_session_store_by_lua(nginx.conf:25)",
			"[error] " + itoa(os.Getpid()) + "#0: *7 failed to run session_store_by_lua*: ssl_session_store_by_lua(nginx.conf:25):2: bad bad bad, context: ssl_session_store_by_lua*, client: 127.0.0.1, server: 0.0.0.0:443\n"},
		{PhaseContent, "content_by_lua(nginx.conf:40)",
			"*7 lua entry thread aborted: runtime error: content_by_lua(nginx.conf:40):2: bad bad bad\nstack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\tcontent_by_lua(nginx.conf:40):2: in main chunk, context: content_by_lua*"},
		{PhaseSSLSessionFetch, "ssl_session_fetch_by_lua(nginx.conf:30)",
			"*7 lua entry thread aborted: runtime error: ssl_session_fetch_by_lua(nginx.conf:30):2: bad bad bad\nstack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\tssl_session_fetch_by_lua(nginx.conf:30):2: in main chunk, context: ssl_session_fetch_by_lua*"},
	}
	for _, c := range cases {
		r, _ := run(t, w, c.ph, c.name, "local x = 1\nerror('bad bad bad')")
		if r.Err == nil || r.Err.Error() != c.name+":2: bad bad bad" {
			t.Errorf("%v: err %v", c.ph, r.Err)
		}
		if !strings.Contains(tl.text(), c.want) {
			t.Errorf("%v: log lacks %q:\n%s", c.ph, c.want, tl.text())
		}
	}
}

func TestGlobalsDoNotLeak(t *testing.T) {
	p, _ := newTestPool(t, Options{Init: mustChunk(t, "init_by_lua(nginx.conf:1)", `shared_value = 5`)})
	w := p.Next()
	r, _ := run(t, w, PhaseContent, "a", `leaked = 1; report(shared_value)`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	_, out := run(t, w, PhaseContent, "b", `report(tostring(leaked), shared_value)`)
	if out != "nil 5" {
		t.Fatalf("got %q", out)
	}
}

func TestSuspendResumeValues(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	_, out := run(t, w, PhaseContent, "c", `
		local a, b = suspend("x")
		report(a, b)
		report(suspend("y"))
		local t = {suspend("z")}
		report(#t)
		report(1 + select(2, suspend()))
		local ok, v, n = pcall(suspend, "p")
		report(ok, v, n)
		local ok2, v2 = pcall(function() local r = suspend("q") sleep(0.001) return r end)
		report(ok2, v2)
		local ok3, e3 = pcall(function() suspend() error("after") end)
		report(ok3, e3)
		local co = coroutine.wrap(function(a) local r = suspend(a) coroutine.yield(r) return "end" end)
		report(co("w"), co())
		report(xpcall(function() return suspend("xp") end, debug.traceback))
	`)
	want := "got:x 42\ngot:y 42\n2\n43\ntrue got:p 42\ntrue got:q\nfalse c:12: after\ngot:w end\ntrue got:xp 42"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestYieldAcrossGoFunction(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	r, _ := run(t, p.Next(), PhaseContent, "c", `table.sort({3, 2, 1}, function(a, b) sleep(0) return a < b end)`)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "attempt to yield across C-call boundary") {
		t.Fatalf("got %v", r.Err)
	}
}

func TestExit(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	r, out := run(t, w, PhaseSSLSessionStore, "s", `report("a") pcall(function() exit(-1) end) report("b")`)
	if r.Err != nil || !r.Exited || r.Exit != -1 || out != "a" {
		t.Fatalf("got %+v %q", r, out)
	}
	r, _ = run(t, w, PhaseContent, "c", `sleep(0.001) exit(200)`)
	if !r.Exited || r.Exit != 200 {
		t.Fatalf("got %+v", r)
	}
}

func TestNonYieldingPhase(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	r, _ := run(t, p.Next(), PhaseSSLSessionStore, "ssl_session_store_by_lua(nginx.conf:25)", `sleep(1)`)
	want := "ssl_session_store_by_lua(nginx.conf:25):1: API disabled in the context of ssl_session_store_by_lua*"
	if r.Err == nil || r.Err.Error() != want {
		t.Fatalf("got %v", r.Err)
	}
}

func TestHookTimeout(t *testing.T) {
	p, tl := newTestPool(t, Options{HookTimeout: 50 * time.Millisecond})
	w := p.Next()
	start := time.Now()
	r, _ := run(t, w, PhaseSSLSessionStore, "s", `while true do pcall(function() while true do end end) end`)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "lua_hook_timeout exceeded") {
		t.Fatalf("got %v", r.Err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	if !strings.Contains(tl.text(), "failed to run session_store_by_lua*: ") {
		t.Fatalf("log: %s", tl.text())
	}
	// the worker goes on, and later hooks get a fresh deadline
	for i := 0; i < 3; i++ {
		if r, out := run(t, w, PhaseSSLSessionStore, "s", `report("ok")`); r.Err != nil || out != "ok" {
			t.Fatalf("after timeout: %v %q", r.Err, out)
		}
	}
	// yieldable phases have no deadline
	if r, _ := run(t, w, PhaseContent, "c", `local t = os.clock() while os.clock() - t < 0.1 do end`); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestGoPanicBecomesLuaError(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	r, _ := run(t, w, PhaseContent, "c", `gopanic()`)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "assignment to entry in nil map") {
		t.Fatalf("got %v", r.Err)
	}
	_, out := run(t, w, PhaseContent, "c", `report(pcall(gopanic))`)
	if !strings.HasPrefix(out, "false") {
		t.Fatalf("got %q", out)
	}
}

func TestSandbox(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "native.so"), []byte("\x7fELF"), 0o644)
	os.WriteFile(filepath.Join(dir, "mymod.lua"), []byte(`
		local M = {count = 0}
		modglobal = "set by module"
		function M.inc() M.count = M.count + 1 return M.count end
		return M`), 0o644)
	p, _ := newTestPool(t, Options{PackagePath: dir + "/?.lua", PackageCPath: dir + "/?.so"})
	w := p.Next()
	cases := []struct{ src, want string }{
		{`report(pcall(require, "native"))`, "false error loading module 'native' from file '" + dir + "/native.so':\n\tnative (C) modules are not supported by goresty"},
		{`report(select(2, pcall(package.loadlib, "x", "y")))`, "package.loadlib is disabled: goresty cannot load native code"},
		{`report(pcall(os.exit, 1))`, "false os.exit is disabled in goresty"},
		{`report(require("mymod").inc())`, "1"},
		{`report(require("mymod").inc(), modglobal)`, "2 set by module"},
		{`local ok, e = pcall(require, "nosuch") report(e:match("no file '[^']*nosuch.lua'") ~= nil)`, "true"},
	}
	for _, c := range cases {
		r, out := run(t, w, PhaseContent, "c", c.src)
		if r.Err != nil || out != c.want {
			t.Errorf("%s: got %v %q want %q", c.src, r.Err, out, c.want)
		}
	}
}

func TestTimers(t *testing.T) {
	p, _ := newTestPool(t, Options{MaxPendingTimers: 2})
	w := p.Next()
	out := &output{}
	done := make(chan struct{})
	w.L.SetGlobal("done", w.L.NewFunction(func(L *lua.LState) int { close(done); return 0 }))
	r := w.Run(&Request{Phase: PhaseContent, Ctx: out, Chunk: mustChunk(t, "c", `
		local ok, err = timer_at(0.01, function(premature, a, b)
			sleep(0.01)
			report(phase(), premature, a, b)
			done()
		end, "x", 3)
		report(ok, err)
		report(timer_at(1, function() end))
		report(timer_at(1, function() end))
	`)})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	<-done
	_ = out
	// report from the timer goes nowhere (no Ctx), so check the limits only
	if got := out.String(); got != "true nil\ntrue\nnil too many pending timers" {
		t.Fatalf("got %q", got)
	}
}

func TestShutdownPremature(t *testing.T) {
	tl := newTestLog(t)
	res := make(chan string, 4)
	install := func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("send", w.L.NewFunction(func(L *lua.LState) int {
			res <- L.ToStringMeta(L.Get(1)).String()
			return 0
		}))
	}
	p, err := NewPool(Options{Workers: 2, Log: tl.log, Install: install})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Workers() {
		r := w.Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "c", `
			timer_at(3600, function(premature) sleep(0.01) send(tostring(premature)) end)`)})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.Shutdown(ctx)
	for i := 0; i < 2; i++ {
		select {
		case v := <-res:
			if v != "true" {
				t.Fatalf("premature = %s", v)
			}
		default:
			t.Fatal("timer did not run before Shutdown returned")
		}
	}
	if r := p.Workers()[0].Run(&Request{Phase: PhaseContent, Chunk: mustChunk(t, "c", "")}); r.Err != ErrClosed {
		t.Fatalf("after shutdown: %v", r.Err)
	}
}

func TestNonStringErrors(t *testing.T) {
	p, tl := newTestPool(t, Options{})
	w := p.Next()
	for src, want := range map[string]string{
		`error({})`:  "unknown reason",
		`error(nil)`: "unknown reason",
		`error(42)`:  "c:1: 42", // a number is positioned too, as LuaJIT
		`error(1.5)`: "c:1: 1.5",
	} {
		r, _ := run(t, w, PhaseContent, "c", src)
		if r.Err == nil || r.Err.Error() != want {
			t.Errorf("%s: got %v", src, r.Err)
		}
		if !strings.Contains(tl.text(), "lua entry thread aborted: runtime error: "+want+"\nstack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\tc:1: in main chunk, context: content_by_lua*") {
			t.Errorf("%s: log %s", src, tl.text())
		}
	}
}

func TestErrorTextAsLuaJIT(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	for src, want := range map[string]string{
		`sleep("x")`:                               "c:1: bad argument #1 to 'sleep' (number expected, got string)",
		`report(pcall(sleep, "x"))`:                "false bad argument #1 to '?' (number expected, got string)",
		`report(pcall(string.rep))`:                "false bad argument #1 to '?' (string expected, got nil)",
		`report(pcall(error, "plain"))`:            "false plain",
		`report(pcall(function() sleep("x") end))`: "false c:1: bad argument #1 to 'sleep' (number expected, got string)",
	} {
		r, out := run(t, w, PhaseContent, "c", src)
		got := out
		if r.Err != nil {
			got = r.Err.Error()
		}
		if got != want {
			t.Errorf("%s: got %q want %q", src, got, want)
		}
	}
}

// Runaway scripts hit the per-coroutine limits as Lua errors; the worker
// goes on.
func TestLimits(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	for src, want := range map[string]string{
		`local function f() return 1 + f() end f()`:                               "callstack overflow",
		`report(select('#', unpack({}, 1, 5e6)))`:                                 "registry overflow",
		`report(pcall(function() local function f() return 1 + f() end f() end))`: "",
	} {
		r, out := run(t, w, PhaseContent, "c", src)
		if want == "" {
			if r.Err != nil || !strings.HasPrefix(out, "false") {
				t.Errorf("%s: got %v %q", src, r.Err, out)
			}
			continue
		}
		if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
			t.Errorf("%s: got %v", src, r.Err)
		}
	}
	if r, out := run(t, w, PhaseContent, "c", `report("alive")`); r.Err != nil || out != "alive" {
		t.Fatalf("worker after limits: %v %q", r.Err, out)
	}
}

func TestLoadFunctions(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.lua")
	os.WriteFile(f, []byte("return sleep(0) or 'from file'"), 0o644)
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	for src, want := range map[string]string{
		`report(loadstring("return sleep(0) or 'yielded'")())`:                                      "yielded",
		`report(loadstring("x = = 1"))`:                                                             `nil [string "x = = 1"]:1: unexpected symbol near '='`,
		`report(loadstring("x = = 1", "=mine"))`:                                                    "nil mine:1: unexpected symbol near '='",
		`report(loadstring("local a\nx = = 1"))`:                                                    `nil [string "local a..."]:2: unexpected symbol near '='`,
		`local n = 0 report(load(function() n = n + 1 if n == 1 then return "return 7" end end)())`: "7",
		`report(loadfile("` + f + `")())`:                                                           "from file",
		`report(dofile("` + f + `"))`:                                                               "from file",
		`report(loadfile("/nonexistent"))`:                                                          "nil cannot open /nonexistent",
		`myglobal = 5 report(loadstring("return myglobal")())`:                                      "5",
	} {
		r, out := run(t, w, PhaseContent, "c", src)
		if r.Err != nil || out != want {
			t.Errorf("%s: got %v %q want %q", src, r.Err, out, want)
		}
	}
}

// Resume values are fitted to what the yielding call expects (gopher-lua
// would leave Go nils in the missing registers).
func TestResumeValueCounts(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	for src, want := range map[string]string{
		`local a, b, c = suspend("x") report(a, b, tostring(c))`: "got:x 42 nil",
		`report(sleep(0) or "nothing")`:                          "nothing",
		`local a, b = sleep(0) report(tostring(a), tostring(b))`: "nil nil",
		`report(select("#", sleep(0)))`:                          "0",
		`report(select("#", suspend()))`:                         "2",
		`local a = suspend() report(a)`:                          "got:",
		`local x = coroutine.yield() report(tostring(x))`:        "nil",
		`local co = coroutine.create(function() local a, b = coroutine.yield() return type(a), type(b) end)
		 coroutine.resume(co) report(coroutine.resume(co, 1))`: "true number nil",
		`local co = coroutine.wrap(function() local a = coroutine.yield() or "x" return a end)
		 co() report(co())`: "x",
		`local ok, a, b, c = pcall(function() local a, b, c = sleep(0) return a, b, c end) report(ok, tostring(a), tostring(c))`: "true nil nil",
		`report(loadstring("local a, b = sleep(0) return tostring(b)")())`:                                                       "nil",
	} {
		r, out := run(t, w, PhaseContent, "c", src)
		if r.Err != nil || out != want {
			t.Errorf("%s: got %v %q want %q", src, r.Err, out, want)
		}
	}
}

func TestFakeConnections(t *testing.T) {
	var n uint64
	var mu sync.Mutex
	next := func() uint64 { mu.Lock(); defer mu.Unlock(); n++; return n }
	tl := newTestLog(t)
	done := make(chan struct{})
	install := func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("logit", w.L.NewFunction(func(L *lua.LState) int {
			w.Log.LogConn(errlog.Warn, w.Current().Conn, L.CheckString(1))
			if L.CheckString(1) == "timer" {
				close(done)
			}
			return 0
		}))
	}
	iw := mustChunk(t, "init_worker_by_lua(nginx.conf:28)", `logit("iw") timer_at(0, function() logit("timer") end)`)
	p, err := NewPool(Options{Workers: 1, Log: tl.log, Install: install, InitWorker: iw, ConnID: next})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	<-done
	for _, want := range []string{"#0: *1 iw, context: init_worker_by_lua*\n", "#0: *2 timer, context: ngx.timer\n"} {
		if !strings.Contains(tl.text(), want) {
			t.Errorf("log lacks %q:\n%s", want, tl.text())
		}
	}
}
