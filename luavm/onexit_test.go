package luavm

import (
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// onExitInstall adds onexit(name): register an end hook on the running
// light thread that reports "exit:<name>" and whether it runs on the
// worker goroutine with the thread no longer current.
func onExitInstall(w *Worker) {
	testInstall(w)
	w.L.SetGlobal("onexit", w.L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		t := w.Current()
		out, _ := t.Ctx.(*output)
		t.OnExit(func() {
			if out == nil {
				return
			}
			out.mu.Lock()
			out.lines = append(out.lines, "exit:"+name)
			out.mu.Unlock()
		})
		return 0
	}))
	w.L.SetGlobal("hookpanic", w.L.NewFunction(func(L *lua.LState) int {
		w.Current().OnExit(func() { panic("hook boom") })
		return 0
	}))
}

func TestOnExit(t *testing.T) {
	p, tl := newTestPool(t, Options{Install: onExitInstall, HookTimeout: 50 * time.Millisecond})
	w := p.Next()
	tests := []struct {
		name  string
		phase Phase
		src   string
		out   string
		err   string
	}{
		{"return", PhaseContent, `onexit("a") onexit("b") report("body")`, "body\nexit:b\nexit:a", ""},
		{"after a yield", PhaseContent, `onexit("a") sleep(0.001) onexit("b") suspend() report("body")`, "body\nexit:b\nexit:a", ""},
		{"error", PhaseContent, `onexit("a") error("boom")`, "exit:a", "c:1: boom"},
		{"error after a yield", PhaseContent, `onexit("a") suspend() local x = nil + 1`, "exit:a", "nil"},
		{"ngx.exit", PhaseContent, `onexit("a") sleep(0) exit(200) report("not reached")`, "exit:a", ""},
		{"ngx.exit in pcall", PhaseContent, `onexit("a") pcall(function() exit(444) end) report("not reached")`, "exit:a", ""},
		{"hook deadline", PhaseSSLSessionStore, `onexit("a") while true do end`, "exit:a", "lua_hook_timeout exceeded"},
		{"store hook", PhaseSSLSessionStore, `onexit("a") report("body")`, "body\nexit:a", ""},
		{"none", PhaseContent, `report("body")`, "body", ""},
		{"a panicking hook does not stop the others", PhaseContent, `onexit("a") hookpanic() onexit("b")`, "exit:b\nexit:a", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, out := run(t, w, tc.phase, "c", tc.src)
			if tc.err == "" && r.Err != nil || tc.err != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", r.Err, tc.err)
			}
			// Run has returned: every hook has run already.
			if out != tc.out {
				t.Fatalf("out %q, want %q", out, tc.out)
			}
		})
	}
	if !strings.Contains(tl.text(), "panic in light thread end hook: hook boom") {
		t.Fatalf("log: %s", tl.text())
	}
}

// A timer's light thread runs its end hooks too.
func TestOnExitTimer(t *testing.T) {
	done := make(chan string, 1)
	install := func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("onexit_signal", w.L.NewFunction(func(L *lua.LState) int {
			th := w.Current()
			ph := th.Phase.String()
			th.OnExit(func() { done <- ph })
			return 0
		}))
	}
	p, _ := newTestPool(t, Options{Install: install})
	r, _ := run(t, p.Next(), PhaseContent, "c", `timer_at(0, function() onexit_signal() sleep(0.001) error("in timer") end)`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	select {
	case ph := <-done:
		if ph != "timer" {
			t.Fatalf("phase %q", ph)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("timer thread's end hook did not run")
	}
}
