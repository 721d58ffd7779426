package luavm

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// clockInstall adds clockread() (whether the cached clock was read in
// this turn), now() (Worker.Now in ms) and update() (UpdateTime).
func clockInstall(w *Worker) {
	testInstall(w)
	w.L.SetGlobal("clockread", w.L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(w.nowOK))
		return 1
	}))
	w.L.SetGlobal("now", w.L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(w.Now().UnixMilli()))
		return 1
	}))
	w.L.SetGlobal("update", w.L.NewFunction(func(L *lua.LState) int {
		w.UpdateTime()
		return 0
	}))
}

// The cached clock is read lazily: not at all in a turn that never asks
// for the time, once by the first Now of a turn (later calls reuse it),
// again by UpdateTime, and afresh in the next turn (a resume).
func TestLazyClock(t *testing.T) {
	p, _ := newTestPool(t, Options{Install: clockInstall})
	w := p.Next()
	before := time.Now().Truncate(time.Millisecond).UnixMilli()
	r, out := run(t, w, PhaseContent, "c", `
report(clockread())                  -- nothing read yet in this turn
local a = now()
report(clockread())
local c0 = os.clock()
while os.clock() - c0 < 0.005 do end -- 5 ms of CPU, no yield
report(now() == a)                   -- same turn: the same time
update()
local b = now()
report(b - a >= 4)
sleep(0.005)                         -- the resume is a new turn
report(clockread())
local c = now()
report(c - b >= 4)
report(a)
`)
	after := time.Now().UnixMilli()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := "false\ntrue\ntrue\ntrue\nfalse\ntrue\n"
	if len(out) < len(want) || out[:len(want)] != want {
		t.Fatalf("out %q", out)
	}
	var a int64
	for _, c := range out[len(want):] {
		a = a*10 + int64(c-'0')
	}
	if a < before || a > after {
		t.Fatalf("first Now() %d not within [%d, %d]", a, before, after)
	}
	// A hook that never asks for the time reads no clock.
	r, out = run(t, w, PhaseSSLSessionStore, "s", `local id = 1 report(clockread())`)
	if r.Err != nil || out != "false" {
		t.Fatalf("store hook: %v %q", r.Err, out)
	}
}
