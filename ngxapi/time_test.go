package ngxapi

import (
	"strconv"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm"
)

// ngx.now() and friends read the worker's cached clock: constant while Lua
// runs without yielding, refreshed at each event-loop turn (a resume after
// a sleep) and by ngx.update_time(), to the millisecond.
func TestCachedTime(t *testing.T) {
	vm := newH5VM(t, nil, 1)
	before := time.Now().Truncate(time.Millisecond)
	out, err := vm.run(luavm.PhaseContent, `
local a = ngx.now()
local c0 = os.clock()
while os.clock() - c0 < 0.02 do end -- 20 ms of CPU, no yield
local b = ngx.now()
out(a == b)
out(ngx.time() == math.floor(a))
out(ngx.localtime() == os.date("%Y-%m-%d %H:%M:%S", ngx.time()))
out(ngx.utctime() == os.date("!%Y-%m-%d %H:%M:%S", ngx.time()))
out(ngx.today() == os.date("%Y-%m-%d", ngx.time()))
ngx.update_time()
local c = ngx.now()
out(c - a >= 0.019)
ngx.sleep(0.01) -- the resume is a new turn
local d = ngx.now()
out(d - c >= 0.009)
local ms = d * 1000
out(math.abs(ms - math.floor(ms + 0.5)) < 1e-3) -- millisecond resolution
out(string.format("%.3f", a))
`)
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"true", "true", "true", "true", "true", "true", "true", "true"}
	if len(out) != len(want)+1 {
		t.Fatalf("out %q", out)
	}
	for i, w := range want {
		if out[i] != w {
			t.Fatalf("check %d: %q (out %q)", i+1, out[i], out)
		}
	}
	a, err := strconv.ParseFloat(out[len(want)], 64)
	if err != nil {
		t.Fatal(err)
	}
	got := time.UnixMilli(int64(a*1000 + 0.5))
	if got.Before(before) || got.After(after) {
		t.Fatalf("ngx.now() %v not within [%v, %v]", got, before, after)
	}
}
