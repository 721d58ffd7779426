package luavm

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestSetValue: a set_by_lua* chunk's first return value as the variable
// gets it.
func TestSetValue(t *testing.T) {
	p, _ := newTestPool(t, Options{})
	w := p.Next()
	for _, tc := range []struct{ src, want string }{
		{`return "text"`, "text"},
		{`return 3.5`, "3.5"},
		{`return 1e15`, "1e+15"},
		{`return nil`, ""},
		{`return {}`, ""},
		{`return true`, ""},
		{`local x = 1`, ""},
	} {
		r, _ := run(t, w, PhaseSet, "set", tc.src)
		if r.Err != nil || r.Value != tc.want {
			t.Errorf("%s: value %q, err %v; want %q", tc.src, r.Value, r.Err, tc.want)
		}
	}
	if r, _ := run(t, w, PhaseContent, "c", `return "x"`); r.Value != "" {
		t.Errorf("content phase value %q, want none", r.Value)
	}
}

// TestRunNested: a filter chunk run from Go code inside a content thread
// runs to its end at once, shares the request's ngx.ctx table and leaves
// the calling thread current.
func TestRunNested(t *testing.T) {
	var shared Shared
	var filter *Chunk
	install := func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("ctx", w.L.NewFunction(func(L *lua.LState) int {
			L.Push(w.Current().NgxCtx())
			return 1
		}))
		w.L.SetGlobal("nested", w.L.NewFunction(func(L *lua.LState) int {
			caller := w.Current()
			r := w.RunNested(&Request{Phase: PhaseHeaderFilter, Chunk: filter, Ctx: caller.Ctx, Shared: &shared})
			if w.Current() != caller {
				L.RaiseError("caller is no longer current")
			}
			if r.Err != nil {
				L.Push(lua.LString("nested error: " + r.Err.Error()))
			} else {
				L.Push(lua.LString("nested ok"))
			}
			return 1
		}))
	}
	p, tl := newTestPool(t, Options{Install: install})
	w := p.Next()
	filter = mustChunk(t, "header_filter", `ctx().seen = (ctx().seen or "") .. phase() report("in " .. phase())`)
	c := mustChunk(t, "content", `ctx().seen = "content," sleep(0) report(nested()) report(ctx().seen, phase())`)
	out := &output{}
	r := w.Run(&Request{Phase: PhaseContent, Chunk: c, Ctx: out, Shared: &shared})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if got, want := out.String(), "in header_filter\nnested ok\ncontent,header_filter content"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// a failing nested chunk is logged with its phase's wording and
	// reported to the caller, which goes on
	filter = mustChunk(t, "header_filter_by_lua(nginx.conf:9)", `error("hf boom")`)
	out = &output{}
	r = w.Run(&Request{Phase: PhaseContent, Chunk: c, Ctx: out, Shared: &shared})
	if r.Err != nil || !strings.Contains(out.String(), "nested error: header_filter_by_lua(nginx.conf:9):1: hf boom") {
		t.Errorf("err %v, out %q", r.Err, out.String())
	}
	if !strings.Contains(tl.text(), "failed to run header_filter_by_lua*: header_filter_by_lua(nginx.conf:9):1: hf boom") {
		t.Errorf("log: %s", tl.text())
	}
	// a phase that may yield cannot run nested
	if r := w.RunNested(&Request{Phase: PhaseRewrite, Chunk: c}); r.Err == nil {
		t.Error("RunNested of a yieldable phase succeeded")
	}
}
