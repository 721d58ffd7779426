package ngxapi

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// coreVM is a pool with the whole API installed plus a global emit(...)
// that collects its arguments (joined by " ") on a channel, from any
// light thread including timers.
type coreVM struct {
	t    *testing.T
	pool *luavm.Pool
	logf string
	out  chan string // emit(...)
	tout chan string // temit(...): from timers, read with next()
}

func newCoreVM(t *testing.T, opts luavm.Options) *coreVM {
	t.Helper()
	vm := &coreVM{t: t, out: make(chan string, 1024), tout: make(chan string, 1024)}
	if opts.Workers == 0 {
		opts.Workers = 1
	}
	cfg := &confparse.Config{Prefix: "/opt/goresty/", HTTP: &confparse.HTTPConf{}}
	vm.pool, vm.logf = newTestPool(t, cfg, errlog.Debug, opts, func(w *luavm.Worker) {
		for name, ch := range map[string]chan string{"emit": vm.out, "temit": vm.tout} {
			ch := ch
			w.L.SetGlobal(name, w.L.NewFunction(func(L *lua.LState) int {
				parts := make([]string, 0, L.GetTop())
				for i := 1; i <= L.GetTop(); i++ {
					parts = append(parts, L.ToStringMeta(L.Get(i)).String())
				}
				ch <- strings.Join(parts, " ")
				return 0
			}))
		}
	})
	return vm
}

var testConn = &errlog.Conn{ID: 3, Client: "127.0.0.1", Server: "0.0.0.0:443"}

// run runs src in phase ph on worker 0 and returns what it emitted.
func (vm *coreVM) run(ph luavm.Phase, src string) (luavm.Result, []string) {
	vm.t.Helper()
	name := ph.Context()
	name = strings.TrimSuffix(name, "*") + "(nginx.conf:10)"
	ch, err := luavm.CompileString(src, name)
	if err != nil {
		vm.t.Fatal(err)
	}
	conn := *testConn
	conn.Context = ph.Context()
	r := vm.pool.Workers()[0].Run(&luavm.Request{Phase: ph, Chunk: ch, Conn: &conn})
	return r, vm.drain()
}

func (vm *coreVM) drain() []string {
	var got []string
	for {
		select {
		case s := <-vm.out:
			got = append(got, s)
		default:
			return got
		}
	}
}

// next waits for one line given to temit (from a timer).
func (vm *coreVM) next() string {
	vm.t.Helper()
	select {
	case s := <-vm.tout:
		return s
	case <-time.After(5 * time.Second):
		vm.t.Fatal("timed out waiting for output")
		return ""
	}
}

func (vm *coreVM) log() string {
	b, _ := os.ReadFile(vm.logf)
	return string(b)
}

var allPhases = []luavm.Phase{luavm.PhaseInit, luavm.PhaseInitWorker, luavm.PhaseSSLSessionStore,
	luavm.PhaseSSLSessionFetch, luavm.PhaseContent, luavm.PhaseTimer}

// TestGating calls each core API in every phase: it works where the phase
// table allows it and raises OpenResty's error everywhere else.
func TestGating(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	calls := []struct{ api, src string }{
		{"ngx.sleep", "ngx.sleep(0)"},
		{"ngx.exit", "ngx.exit(ngx.OK)"}, // (in a timer it ends the thread: checked in TestExitInHooks)
		{"ngx.ctx", "local c = ngx.ctx"},
		{"ngx.ctx", "ngx.ctx = {}"},
		{"ngx.timer.at", "ngx.timer.at(100, function() end)"},
		{"ngx.timer.every", "ngx.timer.every(100, function() end)"},
		{"ngx.timer.running_count", "ngx.timer.running_count()"},
		{"ngx.timer.pending_count", "ngx.timer.pending_count()"},
		{"ngx.log", "ngx.log(ngx.DEBUG, 'x')"},
		{"print", "print('x')"},
		{"ngx.now", "ngx.now()"},
		{"ngx.time", "ngx.time()"},
		{"ngx.today", "ngx.today()"},
		{"ngx.localtime", "ngx.localtime()"},
		{"ngx.utctime", "ngx.utctime()"},
		{"ngx.update_time", "ngx.update_time()"},
		{"ngx.http_time", "ngx.http_time(0)"},
		{"ngx.cookie_time", "ngx.cookie_time(0)"},
		{"ngx.parse_http_time", "ngx.parse_http_time('x')"},
		{"ngx.worker.id", "ngx.worker.id()"},
		{"ngx.worker.count", "ngx.worker.count()"},
		{"ngx.worker.pid", "ngx.worker.pid()"},
		{"ngx.worker.exiting", "ngx.worker.exiting()"},
	}
	for _, c := range calls {
		for _, ph := range allPhases {
			if ph == luavm.PhaseTimer {
				continue // timers are checked through ngx.timer.at below
			}
			r, _ := vm.run(ph, c.src)
			allowed := Allowed(c.api, ph)
			switch {
			case allowed && r.Err != nil:
				t.Errorf("%s in %v: unexpected error %v", c.src, ph, r.Err)
			case !allowed && (r.Err == nil || !strings.HasSuffix(r.Err.Error(), ":1: API disabled in the context of "+ph.Context())):
				t.Errorf("%s in %v: got %v, want API disabled", c.src, ph, r.Err)
			}
		}
		if c.api == "ngx.exit" {
			continue
		}
		// in a timer callback
		_, _ = vm.run(luavm.PhaseContent, fmt.Sprintf(`ngx.timer.at(0, function()
			local ok, err = pcall(function() %s end)
			temit(ok, err)
		end)`, c.src))
		got := vm.next()
		if Allowed(c.api, luavm.PhaseTimer) != strings.HasPrefix(got, "true") {
			t.Errorf("%s in timer: got %s", c.src, got)
		}
	}
	if Allowed("no.such.api", luavm.PhaseContent) {
		t.Error("unknown API allowed")
	}
}

func TestGatingTableComplete(t *testing.T) {
	for _, api := range []string{"ngx.sleep", "ngx.socket.tcp", "ngx.socket.udp", "ngx.socket.connect",
		"ngx.say", "ngx.print", "ngx.flush", "ngx.req.get_headers", "ngx.header", "ngx.var", "ngx.exit",
		"ngx.timer.at", "ngx.ssl.session.get_session_id", "ngx.ssl.session.get_serialized_session",
		"ngx.ssl.session.set_serialized_session", "ngx.ssl.server_name", "ngx.shared"} {
		if _, ok := apiPhases[api]; !ok {
			t.Errorf("%s missing from the phase table", api)
		}
	}
	// OpenResty's key rules for the session hooks
	rules := []struct {
		api string
		ph  luavm.Phase
		ok  bool
	}{
		{"ngx.sleep", luavm.PhaseSSLSessionStore, false},
		{"ngx.socket.tcp", luavm.PhaseSSLSessionStore, false},
		{"ngx.sleep", luavm.PhaseSSLSessionFetch, true},
		{"ngx.socket.tcp", luavm.PhaseSSLSessionFetch, true},
		{"ngx.timer.at", luavm.PhaseSSLSessionStore, true},
		{"ngx.ssl.session.get_serialized_session", luavm.PhaseSSLSessionFetch, true},
		{"ngx.ssl.session.set_serialized_session", luavm.PhaseSSLSessionStore, false},
		{"ngx.say", luavm.PhaseSSLSessionFetch, false},
		{"ngx.sleep", luavm.PhaseInitWorker, false},
		{"ngx.timer.at", luavm.PhaseInit, false},
		{"ngx.timer.at", luavm.PhaseInitWorker, true},
	}
	for _, r := range rules {
		if Allowed(r.api, r.ph) != r.ok {
			t.Errorf("%s in %v: allowed = %v", r.api, r.ph, !r.ok)
		}
	}
}

func TestGetPhase(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	for _, ph := range allPhases[:5] {
		_, out := vm.run(ph, `emit(ngx.get_phase())`)
		if len(out) != 1 || out[0] != ph.String() {
			t.Errorf("%v: got %v", ph, out)
		}
	}
	vm.run(luavm.PhaseContent, `ngx.timer.at(0, function() temit(ngx.get_phase()) end)`)
	if got := vm.next(); got != "timer" {
		t.Errorf("timer: got %s", got)
	}
}

func TestLog(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	r, _ := vm.run(luavm.PhaseSSLSessionStore, `ngx.log(ngx.ERR, "a", 1, " ", 1.5, nil, true, ngx.null, setmetatable({}, {__tostring = function() return "T" end}))
local function helper()
	ngx.log(ngx.WARN, "from helper")
end
helper()
print("printed ", 42)
ngx.log(ngx.DEBUG, 0.1)`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	log := vm.log()
	suffix := ", context: ssl_session_store_by_lua*, client: 127.0.0.1, server: 0.0.0.0:443\n"
	for _, want := range []string{
		fmt.Sprintf("[error] %d#0: *3 [lua] ssl_session_store_by_lua(nginx.conf:10):1: a1 1.5niltruenullT", os.Getpid()) + suffix,
		"[warn] " + fmt.Sprint(os.Getpid()) + "#0: *3 [lua] ssl_session_store_by_lua(nginx.conf:10):3: helper(): from helper" + suffix,
		"[notice] " + fmt.Sprint(os.Getpid()) + "#0: *3 [lua] ssl_session_store_by_lua(nginx.conf:10):6: printed 42" + suffix,
		"[debug] " + fmt.Sprint(os.Getpid()) + "#0: *3 [lua] ssl_session_store_by_lua(nginx.conf:10):7: 0.1" + suffix,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for src, want := range map[string]string{
		`ngx.log(ngx.ERR, {})`:             "bad argument #2 to 'log' (expected table to have __tostring metamethod)",
		`ngx.log(ngx.ERR, function() end)`: "bad argument #2 to 'log' (string, number, boolean, or nil expected, got function)",
		`ngx.log(100, "x")`:                "bad argument #1 to 'log' (bad log level)",
	} {
		r, _ := vm.run(luavm.PhaseContent, src)
		if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
			t.Errorf("%s: got %v, want %s", src, r.Err, want)
		}
	}
}

func TestConstantsAndNull(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	_, out := vm.run(luavm.PhaseContent, `emit(ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED,
		ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG,
		ngx.HTTP_OK, ngx.HTTP_NOT_FOUND, ngx.HTTP_INTERNAL_SERVER_ERROR, ngx.HTTP_GET, ngx.HTTP_POST,
		type(ngx.null), ngx.null == ngx.null, ngx.null ~= nil, require("ngx") == ngx)`)
	want := "0 -1 -2 -4 -5 0 1 2 3 4 5 6 7 8 200 404 500 2 8 userdata true true true"
	if len(out) != 1 || out[0] != want {
		t.Fatalf("got %v", out)
	}
}

func TestTimeFunctions(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	_, out := vm.run(luavm.PhaseContent, `
		emit(ngx.http_time(1290079655))
		emit(ngx.cookie_time(1290079655))
		emit(ngx.parse_http_time("Thu, 18 Nov 2010 11:27:35 GMT"))
		emit(ngx.parse_http_time("Thursday, 18-Nov-10 11:27:35 GMT"))
		emit(ngx.parse_http_time("Thu Nov 18 11:27:35 2010"))
		emit(tostring(ngx.parse_http_time("garbage")))
		local now, t = ngx.now(), ngx.time()
		emit(math.abs(now - t) < 2, math.floor(now * 1000) == now * 1000)
		emit(#ngx.today(), #ngx.localtime(), #ngx.utctime())
		emit(ngx.utctime():match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") ~= nil)
		ngx.update_time()`)
	want := []string{"Thu, 18 Nov 2010 11:27:35 GMT", "Thu, 18-Nov-10 11:27:35 GMT",
		"1290079655", "1290079655", "1290079655", "nil", "true true", "10 19 19", "true"}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s", strings.Join(out, "\n"))
	}
}

func TestWorkerAndConfig(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{Workers: 2})
	_, out := vm.run(luavm.PhaseContent, `emit(ngx.worker.id(), ngx.worker.count(), ngx.worker.pid(), ngx.worker.exiting(),
		ngx.config.prefix(), ngx.config.nginx_version, ngx.config.ngx_lua_version, ngx.config.subsystem, ngx.config.debug)`)
	want := fmt.Sprintf("0 2 %d false /opt/goresty/ 1022001 10023 http false", os.Getpid())
	if len(out) != 1 || out[0] != want {
		t.Fatalf("got %v want %s", out, want)
	}
	ch, _ := luavm.CompileString(`temit(ngx.worker.id())`, "c")
	vm.pool.Workers()[1].Run(&luavm.Request{Phase: luavm.PhaseContent, Chunk: ch})
	if got := vm.next(); got != "1" {
		t.Fatalf("worker 1 id: %s", got)
	}
}

func TestCtx(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	_, out := vm.run(luavm.PhaseContent, `
		ngx.ctx.a = 1
		emit(ngx.ctx.a)
		ngx.ctx = {b = 2}
		emit(tostring(ngx.ctx.a), ngx.ctx.b)
		ngx.timer.at(0, function() temit("timer", tostring(ngx.ctx.b)) end)
		local ok, err = pcall(function() ngx.ctx = 1 end)
		emit(ok, err)`)
	if len(out) != 3 || out[0] != "1" || out[1] != "nil 2" || !strings.Contains(out[2], "ctx should be a table while getting a number") {
		t.Fatalf("got %v", out)
	}
	if got := vm.next(); got != "timer nil" {
		t.Fatalf("timer ctx: %s", got)
	}
	_, out = vm.run(luavm.PhaseContent, `emit(tostring(ngx.ctx.b))`)
	if len(out) != 1 || out[0] != "nil" {
		t.Fatalf("ctx leaked: %v", out)
	}
}

func TestExitInHooks(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	// as OpenResty: in the store hook ngx.exit records the code and returns
	r, out := vm.run(luavm.PhaseSSLSessionStore, `emit("a") ngx.exit(ngx.ERROR) emit("b")`)
	if r.Err != nil || !r.Exited || r.Exit != -1 || len(out) != 2 {
		t.Fatalf("store: %+v %v", r, out)
	}
	r, out = vm.run(luavm.PhaseSSLSessionFetch, `ngx.sleep(0.001) pcall(ngx.exit, ngx.OK) emit("b")`)
	if r.Err != nil || !r.Exited || r.Exit != 0 || len(out) != 0 {
		t.Fatalf("fetch: %+v %v", r, out)
	}
	r, _ = vm.run(luavm.PhaseInitWorker, `ngx.exit(0)`)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "API disabled in the context of init_worker_by_lua*") {
		t.Fatalf("init_worker: %v", r.Err)
	}
}

func TestRestyCoreShims(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	r, out := vm.run(luavm.PhaseContent, `
		require "resty.core"
		local new_tab = require "table.new"
		local clear_tab = require "table.clear"
		local t = new_tab(10, 2)
		t[1], t.x = 1, 2
		clear_tab(t)
		emit(next(t) == nil, type(table.new), table.clear == clear_tab)`)
	if r.Err != nil || len(out) != 1 || out[0] != "true function true" {
		t.Fatalf("got %v %v", r.Err, out)
	}
}

func TestSleep(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	start := time.Now()
	r, out := vm.run(luavm.PhaseContent, `ngx.sleep(0.05) emit("woke")`)
	if r.Err != nil || len(out) != 1 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("got %v %v after %v", r.Err, out, time.Since(start))
	}
	for _, bad := range []string{`ngx.sleep(-1)`, `ngx.sleep("x")`} {
		if r, _ := vm.run(luavm.PhaseContent, bad); r.Err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestTimers(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{MaxPendingTimers: 3, MaxRunningTimers: 1})
	r, out := vm.run(luavm.PhaseContent, `
		emit(ngx.timer.at(0.01, function(premature, a, b)
			temit("at", premature, a, b, ngx.timer.running_count())
			ngx.sleep(0.02)
		end, "x", 7))
		emit(ngx.timer.pending_count(), ngx.timer.running_count())
		emit(ngx.timer.at(10, function() end))
		emit(ngx.timer.at(10, function() end))
		emit(ngx.timer.at(10, function() end))
		local ok, err = pcall(ngx.timer.every, 0, function() end)
		emit(ok, err)
		local ok, err = pcall(ngx.timer.at, 1)
		emit(ok)`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := []string{"1", "1 0", "1", "1", "nil too many pending timers", "false delay cannot be zero", "false"}
	if len(out) != len(want) {
		t.Fatalf("got %q", out)
	}
	for i := range want {
		if !strings.HasPrefix(out[i], want[i]) {
			t.Errorf("line %d: got %q want %q", i, out[i], want[i])
		}
	}
	if got := vm.next(); got != "at false x 7 1" {
		t.Fatalf("callback: %s", got)
	}
}

func TestTimerEveryAndRunningLimit(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{MaxRunningTimers: 1})
	vm.run(luavm.PhaseContent, `
		local n = 0
		ngx.timer.every(0.01, function(premature)
			n = n + 1
			if n <= 3 then emit("tick", n) end
		end)
		ngx.timer.at(0, function() ngx.sleep(0.2) end)
		ngx.timer.at(0.001, function() emit("never") end)`)
	time.Sleep(300 * time.Millisecond)
	var ticks []string
	for _, s := range vm.drain() {
		if strings.HasPrefix(s, "tick") {
			ticks = append(ticks, s)
		}
		if s == "never" {
			t.Error("timer ran past lua_max_running_timers")
		}
	}
	if len(ticks) == 0 {
		t.Error("every never ticked")
	}
	if !strings.Contains(vm.log(), "[alert]") || !strings.Contains(vm.log(), "1 lua_max_running_timers are not enough") {
		t.Errorf("log: %s", vm.log())
	}
}

func TestTimerPrematureOnShutdown(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{Workers: 2})
	for _, w := range vm.pool.Workers() {
		ch, _ := luavm.CompileString(`
			ngx.timer.at(3600, function(premature) ngx.sleep(0.01) emit("premature", premature, ngx.worker.exiting()) end)
			ngx.timer.every(3600, function(premature) emit("every", premature) end)`, "c")
		if r := w.Run(&luavm.Request{Phase: luavm.PhaseContent, Chunk: ch}); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	vm.pool.Shutdown(ctx)
	got := vm.drain()
	if len(got) != 4 {
		t.Fatalf("got %v", got)
	}
	for _, s := range got {
		if s != "premature true true" && s != "every true" {
			t.Errorf("got %q", s)
		}
	}
}

// A timer created by the store hook may sleep and use a cosocket; the store
// hook itself gets OpenResty's error for both.
func TestStoreHookDefersToTimer(t *testing.T) {
	port := scriptServer(t, func(c net.Conn) {
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Write([]byte("stored " + string(buf[:n])))
	})
	vm := newCoreVM(t, luavm.Options{})
	r, out := vm.run(luavm.PhaseSSLSessionStore, fmt.Sprintf(`
		local ok, err = pcall(ngx.sleep, 0.01)
		emit("sleep", ok, err)
		local ok, err = pcall(ngx.socket.tcp)
		emit("tcp", ok, err)
		local ok, err = ngx.timer.at(0, function(premature, id)
			ngx.sleep(0.01)
			local sock = ngx.socket.tcp()
			local ok, err = sock:connect("127.0.0.1", %d)
			if not ok then temit("connect failed", err) return end
			sock:send(id .. "\n")
			local line = sock:receive()
			temit("timer", ngx.get_phase(), line)
			sock:close()
		end, "abc")
		emit("timer.at", ok, err)`, port))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := []string{
		// called straight from pcall: no position, as a C function in LuaJIT
		"sleep false API disabled in the context of ssl_session_store_by_lua*",
		"tcp false API disabled in the context of ssl_session_store_by_lua*",
		"timer.at 1 nil",
	}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if got := vm.next(); got != "timer timer stored abc" {
		t.Fatalf("timer: %s", got)
	}
	// and uncaught, the error is logged with OpenResty's wording
	r, _ = vm.run(luavm.PhaseSSLSessionStore, `ngx.sleep(1)`)
	re := regexp.MustCompile(`\[error\] \d+#0: \*3 failed to run session_store_by_lua\*: ssl_session_store_by_lua\(nginx.conf:10\):1: API disabled in the context of ssl_session_store_by_lua\*, context: ssl_session_store_by_lua\*, client: 127.0.0.1, server: 0.0.0.0:443`)
	if r.Err == nil || !re.MatchString(vm.log()) {
		t.Fatalf("got %v, log:\n%s", r.Err, vm.log())
	}
}

func TestInitPhases(t *testing.T) {
	initc, _ := luavm.CompileString(`init_value = 41 local m = require "table.new"`, "init_by_lua(nginx.conf:3)")
	iw, _ := luavm.CompileString(`init_value = init_value + 1
		ngx.timer.at(0, function() temit("from init_worker timer", ngx.worker.id()) end)`, "init_worker_by_lua(nginx.conf:4)")
	vm := newCoreVM(t, luavm.Options{Init: initc, InitWorker: iw})
	if got := vm.next(); got != "from init_worker timer 0" {
		t.Fatalf("got %s", got)
	}
	_, out := vm.run(luavm.PhaseContent, `emit(init_value)`)
	if len(out) != 1 || out[0] != "42" {
		t.Fatalf("got %v", out)
	}
	// a failing init_by_lua stops the start, with OpenResty's wording
	bad, _ := luavm.CompileString(`error("no way")`, "init_by_lua(nginx.conf:3)")
	lg := filepath.Join(t.TempDir(), "e.log")
	l, _ := errlog.New([]errlog.Target{{Path: lg, Level: errlog.Error}})
	defer l.Close()
	_, err := luavm.NewPool(luavm.Options{Workers: 1, Init: bad, Log: l, Install: Installer(nil)})
	if err == nil || err.Error() != "init_by_lua(nginx.conf:3):1: no way" {
		t.Fatalf("got %v", err)
	}
	b, _ := os.ReadFile(lg)
	if !strings.Contains(string(b), "init_by_lua error: init_by_lua(nginx.conf:3):1: no way") {
		t.Fatalf("log: %s", b)
	}
}

// Many light threads using the real API on two workers (run with -race).
func TestConcurrentHooks(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{Workers: 2})
	ch, _ := luavm.CompileString(`
		ngx.ctx.n = (ngx.ctx.n or 0) + 1
		ngx.sleep(0.001)
		if ngx.ctx.n ~= 1 then error("ctx shared") end
		ngx.timer.at(0, function() ngx.sleep(0) end)`, "content_by_lua(nginx.conf:1)")
	store, _ := luavm.CompileString(`local ok = pcall(ngx.sleep, 1) if ok then error("slept") end`, "ssl_session_store_by_lua(nginx.conf:2)")
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := &luavm.Request{Phase: luavm.PhaseContent, Chunk: ch}
			if i%2 == 0 {
				req = &luavm.Request{Phase: luavm.PhaseSSLSessionStore, Chunk: store}
			}
			if r := vm.pool.Next().Run(req); r.Err != nil {
				t.Error(r.Err)
			}
		}(i)
	}
	wg.Wait()
}
