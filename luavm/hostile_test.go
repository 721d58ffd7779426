package luavm

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A small grammar of hostile Lua: endless loops, runaway recursion and
// nesting, string and table growth, backtracking patterns, coroutine
// floods, each possibly wrapped in pcall, a coroutine or a metamethod.
var hostileStmts = []string{
	`while true do end`,
	`local x = 0 while true do x = x + 1 end`,
	`local function f() return f() + 1 end f()`,
	`local function f() return pcall(f) end f()`,
	`local function f() return coroutine.wrap(f)() end f()`,
	`local function f() return coroutine.resume(coroutine.create(f)) end f()`,
	`local s = "x" while true do s = s .. s end`,
	`local s = string.rep("x", 2^40)`,
	`local s = string.rep("ab", 2^30, ",")`,
	`local t = {} while true do t[#t + 1] = string.rep("x", 1024) local s = table.concat(t) end`,
	`local s = string.rep("a", 400) s:find(".-.-.-.-.-b")`,
	`local s = string.rep("a", 400) for m in s:gmatch("(.-)(.-)(.-)b") do end`,
	`local s = string.rep("a", 100000) while true do s = s:gsub("a", "aa") end`,
	`while true do coroutine.wrap(function() end)() end`,
	`local t = {} while true do t[#t + 1] = coroutine.create(function() end) end`,
	`local t = {} while true do t[#t + 1] = {} end`,
	`error("boom")`,
	`local t = setmetatable({}, {__index = function(t, k) return t[k] end}) local _ = t.x`,
}

var hostileWraps = []string{
	"%s",
	"pcall(function() %s end)",
	"while true do pcall(function() %s end) end",
	"coroutine.wrap(function() %s end)()",
	"local ok = coroutine.resume(coroutine.create(function() %s end))",
	"local t = setmetatable({}, {__index = function() %s end}) local _ = t.x",
	"xpcall(function() %s end, function(e) return e end)",
}

// TestHostileLua runs random hostile snippets in every phase for a bounded
// time: every run ends (with an error or not) well within its limits, no
// Go panic or fatal error escapes, and the worker keeps serving.
func TestHostileLua(t *testing.T) {
	budget := 4 * time.Second
	if testing.Short() {
		budget = time.Second
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var opts Options
	opts.Workers = 2
	for ph := range opts.Timeouts {
		opts.Timeouts[ph] = 100 * time.Millisecond
	}
	opts.MaxStringSize = 1 << 22
	opts.MaxMemory = int64(ms.HeapAlloc) + 512<<20
	p, tl := newTestPool(t, opts)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	end := time.Now().Add(budget)
	runs := 0
	for time.Now().Before(end) {
		stmt := hostileStmts[rng.Intn(len(hostileStmts))]
		src := fmt.Sprintf(hostileWraps[rng.Intn(len(hostileWraps))], stmt)
		ph := Phase(rng.Intn(int(NumPhases)))
		w := p.Next()
		start := time.Now()
		done := make(chan Result, 1)
		go func() { done <- w.Run(&Request{Phase: ph, Chunk: mustChunk(t, "hostile", src), Ctx: &output{}}) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s in %s still running after %v", src, ph, time.Since(start))
		}
		if r, out := run(t, w, PhaseContent, "c", `report("ok")`); r.Err != nil || out != "ok" {
			t.Fatalf("after %s in %s: %v %q", src, ph, r.Err, out)
		}
		runs++
	}
	if log := tl.text(); strings.Contains(log, "goroutine ") || strings.Contains(log, "panic") {
		t.Fatalf("log: %s", log)
	}
	t.Logf("%d hostile runs", runs)
}
