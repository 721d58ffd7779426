package luavm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Request.Log: the thread's failure line, CurrentLog (what ngx.log uses)
// and the timers the thread creates go to the request's log; other runs
// keep the worker's.
func TestRequestLog(t *testing.T) {
	timerDone := make(chan struct{})
	p, tl := newTestPool(t, Options{Install: func(w *Worker) {
		testInstall(w)
		w.L.SetGlobal("timerdone", w.L.NewFunction(func(L *lua.LState) int { close(timerDone); return 0 }))
		w.L.SetGlobal("logline", w.L.NewFunction(func(L *lua.LState) int {
			w.CurrentLog().LogConn(errlog.Warn, w.Current().Conn, L.CheckString(1))
			return 0
		}))
	}})
	w := p.Next()
	path := filepath.Join(t.TempDir(), "loc.log")
	own, err := errlog.New([]errlog.Target{{Path: path, Level: errlog.Info}})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	ownText := func() string { b, _ := os.ReadFile(path); return string(b) }
	chunk := mustChunk(t, "content_by_lua(nginx.conf:40)", `
logline("own line")
timer_at(0, function() logline("timer line") timerdone() end)
sleep(0)
error("own failure")`)
	r := w.Run(&Request{Phase: PhaseContent, Chunk: chunk, Log: own})
	if r.Err == nil {
		t.Fatal("no error")
	}
	select {
	case <-timerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("timer did not run")
	}
	r, _ = run(t, w, PhaseContent, "content_by_lua(nginx.conf:50)", `logline("main line") error("main failure")`)
	if r.Err == nil {
		t.Fatal("no error")
	}
	o, m := ownText(), tl.text()
	for _, want := range []string{"[warn] ", "own line", "timer line, context: ngx.timer",
		"[error] ", "lua entry thread aborted: runtime error: content_by_lua(nginx.conf:40):5: own failure"} {
		if !strings.Contains(o, want) {
			t.Errorf("request log lacks %q:\n%s", want, o)
		}
	}
	for _, want := range []string{"main line", "main failure"} {
		if !strings.Contains(m, want) || strings.Contains(o, want) {
			t.Errorf("%q not in the worker's log only:\nworker's:\n%s\nrequest's:\n%s", want, m, o)
		}
	}
	for _, own := range []string{"own line", "timer line", "own failure"} {
		if strings.Contains(m, own) {
			t.Errorf("%q in the worker's log:\n%s", own, m)
		}
	}
}
