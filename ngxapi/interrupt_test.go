package ngxapi

import (
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm"
)

// ngx.re.gsub/split over a huge subject and cjson over a huge value stop at
// the deadline of the code that called them.
func TestLongAPICallsInterrupted(t *testing.T) {
	var opts luavm.Options
	opts.Timeouts[luavm.PhaseInit] = -1
	opts.Timeouts[luavm.PhaseSSLSessionStore] = 100 * time.Millisecond
	opts.Timeouts[luavm.PhaseLog] = time.Second
	// on a loaded -race run an interrupted builtin may take seconds to
	// return: the watchdog must not replace the worker (and its globals)
	opts.StuckAfter = time.Minute
	vm := newCoreVM(t, opts)
	if r, _ := vm.run(luavm.PhaseInit, `
		local cjson = require "cjson"
		big_json = "[" .. string.rep("1,", 3000000) .. "1]"
		big_table = cjson.decode(big_json)
		big_subject = string.rep("a", 10000000)`); r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, src := range []string{
		`ngx.re.gsub(big_subject, "a", "b", "jo")`,
		`require("ngx.re").split(big_subject, "a", "jo")`,
		`require("cjson").encode(big_table)`,
		`require("cjson").decode(big_json)`,
	} {
		// The same call under a 1 s deadline (log phase) is the yardstick:
		// on a loaded -race run both slow down alike, and uninterrupted
		// both would take as long as the whole call.
		start := time.Now()
		vm.run(luavm.PhaseLog, src)
		slow := time.Since(start)
		start = time.Now()
		r, _ := vm.run(luavm.PhaseSSLSessionStore, src)
		if r.Err == nil || !strings.HasSuffix(r.Err.Error(), "lua_hook_timeout exceeded") {
			t.Errorf("%s: %v", src, r.Err)
		}
		d := time.Since(start)
		t.Logf("%s: %v at a 100 ms deadline, %v at 1 s", src, d, slow)
		if slow >= time.Second && d > slow/2 {
			t.Errorf("%s: took %v at a 100 ms deadline, %v at 1 s", src, d, slow)
		}
	}
}
