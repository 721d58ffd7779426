package ngxapi

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luavm"
)

// TestUserThreadsEnd: every user thread ends with its request, however the
// request ends, and no light thread is left on the worker.
func TestUserThreadsEnd(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	w := vm.pool.Workers()[0]
	for _, c := range []struct{ name, src, want string }{
		{"killed", `local t = ngx.thread.spawn(function() ngx.sleep(10) end) emit(ngx.thread.kill(t))`, "1"},
		{"left running", `ngx.thread.spawn(function() ngx.sleep(0.01) emit("child") end) emit("entry")`, "entry,child"},
		{"entry fails", `ngx.thread.spawn(function() ngx.sleep(10) emit("never") end) error("boom")`, ""},
		{"exit in child", `ngx.thread.spawn(function() ngx.sleep(10) emit("never") end)
			ngx.thread.spawn(function() ngx.exit(200) end) emit("never")`, ""},
		{"nested", `local t = ngx.thread.spawn(function()
				local g = ngx.thread.spawn(function() ngx.sleep(0.01) return "g" end)
				return select(2, ngx.thread.wait(g)) .. "c"
			end)
			emit(select(2, ngx.thread.wait(t)))`, "gc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, out := vm.run(luavm.PhaseContent, c.src)
			if got := strings.Join(out, ","); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			done := make(chan int)
			w.Post(func() { done <- w.Threads() })
			if n := <-done; n != 0 {
				t.Errorf("%d light threads left", n)
			}
		})
	}
}
