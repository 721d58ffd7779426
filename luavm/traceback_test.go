package luavm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The error log line of a light thread killed by a Lua error carries
// OpenResty's traceback ("coroutine 0:", innermost call first).
func TestTraceback(t *testing.T) {
	p, tl := newTestPool(t, Options{})
	w := p.Next()
	const name = "content_by_lua(nginx.conf:40)"
	tests := []struct {
		name, src string
		want      string // message and traceback, as logged
	}{
		{"error in a local function", `local function inner()
  error("boom")
end
local function outer() inner() end
outer()`, `content_by_lua(nginx.conf:40):2: boom
stack traceback:
coroutine 0:
	[C]: in function 'error'
	content_by_lua(nginx.conf:40):2: in function 'inner'
	content_by_lua(nginx.conf:40):4: in function 'outer'
	content_by_lua(nginx.conf:40):5: in main chunk`},
		{"runtime error after a yield", `sleep(0)
local x
local y = x.field`, `content_by_lua(nginx.conf:40):3: attempt to index a non-table object(nil) with key 'field'
stack traceback:
coroutine 0:
	content_by_lua(nginx.conf:40):3: in main chunk`},
		{"non-string error", `error({})`, `unknown reason
stack traceback:
coroutine 0:
	[C]: in function 'error'
	content_by_lua(nginx.conf:40):1: in main chunk`},
		{"anonymous function", `local t = {function() error("x", 0) end}
t[1]()`, `x
stack traceback:
coroutine 0:
	[C]: in function 'error'
	content_by_lua(nginx.conf:40):1: in function <content_by_lua(nginx.conf:40):1>
	content_by_lua(nginx.conf:40):2: in main chunk`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := run(t, w, PhaseContent, name, tc.src)
			le, ok := r.Err.(*LuaError)
			if !ok {
				t.Fatalf("err %T %v", r.Err, r.Err)
			}
			if got := le.Msg + "\n" + le.Traceback; got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			line := "lua entry thread aborted: runtime error: " + tc.want + ", context: content_by_lua*, client: 127.0.0.1, server: 0.0.0.0:443"
			if !strings.Contains(tl.text(), line) {
				t.Fatalf("log:\n%s\nwant a line with:\n%s", tl.text(), line)
			}
		})
	}
	// deep stacks: the first 12 levels, "...", the last 10
	r, _ := run(t, w, PhaseContent, name, `local function rec(n) if n == 0 then error("deep") end rec(n - 1) end
rec(40)`)
	tb := r.Err.(*LuaError).Traceback
	lines := strings.Split(tb, "\n")
	if len(lines) != 2+12+1+10 || lines[2+12] != "\t..." || lines[len(lines)-1] != "\t"+name+":2: in main chunk" {
		t.Fatalf("deep traceback:\n%s", tb)
	}
	// the store hook keeps its own wording, without the traceback
	run(t, w, PhaseSSLSessionStore, "ssl_session_store_by_lua(nginx.conf:25)", `error("store boom")`)
	if !strings.Contains(tl.text(), "failed to run session_store_by_lua*: ssl_session_store_by_lua(nginx.conf:25):1: store boom, context:") {
		t.Fatalf("log:\n%s", tl.text())
	}
}

// Timer callbacks: "in function <chunk:line>" for the callback, in the
// timer's context.
func TestTracebackTimer(t *testing.T) {
	p, tl := newTestPool(t, Options{})
	const name = "content_by_lua(nginx.conf:41)"
	r, _ := run(t, p.Next(), PhaseContent, name, `timer_at(0, function(premature, a)
  sleep(0)
  error("timer boom " .. a)
end, 7)`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := fmt.Sprintf(`lua entry thread aborted: runtime error: %[1]s:3: timer boom 7
stack traceback:
coroutine 0:
	[C]: in function 'error'
	%[1]s:3: in function <%[1]s:1>, context: ngx.timer`, name)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tl.text(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log:\n%s\nwant:\n%s", tl.text(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
