package ngxapi

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi/shdict"
)

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// settle waits for the goroutine count to drop to at most want.
func settle(want int) int {
	var n int
	for i := 0; i < 100; i++ {
		runtime.GC()
		n = runtime.NumGoroutine()
		if n <= want {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// Faults seen by the fleet hooks: redis down, slower than the timeout,
// killed mid-run. Many concurrent fetch-like light threads must all end
// with an error, quickly, without leaking goroutines or descriptors.
func TestCosocketFaultsNoLeaks(t *testing.T) {
	needLuaLib(t, "/usr/share/lua/5.1/nginx/redis.lua", "lua-nginx-redis")
	// a "redis" that accepts and never answers
	slow, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var hmu sync.Mutex
	go func() {
		for {
			c, err := slow.Accept()
			if err != nil {
				return
			}
			hmu.Lock()
			held = append(held, c)
			hmu.Unlock()
		}
	}()
	defer func() {
		slow.Close()
		hmu.Lock()
		for _, c := range held {
			c.Close()
		}
		hmu.Unlock()
	}()
	down := freePort(t)
	vm := newH5VM(t, nil, 2)
	script := func(port int) string {
		return fmt.Sprintf(`
local red = (require "nginx.redis"):new()
red:set_timeout(100)
local ok, err = red:connect("127.0.0.1", %d)
if not ok then out(err) return end
local data, err = red:get("tls:x")
if not data then out(err) red:close() return end
red:set_keepalive(10000, 8)
out("ok")
`, port)
	}
	g0, fd0 := settle(0), openFDs()
	for _, c := range []struct {
		port int
		want string
	}{{down, "connection refused"}, {slow.Addr().(*net.TCPAddr).Port, "timeout"}} {
		ch, _ := luavm.CompileString(script(c.port), "fault")
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < 50; i++ {
			wg.Add(1)
			w := vm.pool.Workers()[i%2]
			go func() {
				defer wg.Done()
				w.Run(&luavm.Request{Phase: luavm.PhaseSSLSessionFetch, Chunk: ch})
			}()
		}
		wg.Wait()
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: 50 fetches took %v", c.want, d)
		}
		vm.mu.Lock()
		if len(vm.out) != 50 {
			t.Errorf("%s: %d results", c.want, len(vm.out))
		}
		for _, o := range vm.out {
			if o != c.want {
				t.Errorf("got %q want %q", o, c.want)
				break
			}
		}
		vm.out = nil
		vm.mu.Unlock()
	}
	// the fake server's own ends are descriptors of this process too
	hmu.Lock()
	for _, c := range held {
		c.Close()
	}
	held = nil
	hmu.Unlock()
	// redis killed mid-run: pooled connections die with it
	port := startRedisKillable(t)
	vm.expect(luavm.PhaseTimer, script(port.port), "ok")
	vm.expect(luavm.PhaseTimer, script(port.port), "ok")
	port.kill()
	got, _ := vm.run(luavm.PhaseTimer, script(port.port))
	if len(got) != 1 || got[0] == "ok" {
		t.Errorf("after kill: %q", got)
	}
	if g := settle(g0 + 2); g > g0+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after\n%s", g0, g, buf[:n])
	}
	if fd := openFDs(); fd > fd0+2 {
		t.Errorf("fds: %d before, %d after", fd0, fd)
	}
	if l := vm.errorLog(); !containsAll(l, "connect() failed (111: Connection refused)", "lua tcp socket read timed out") {
		t.Errorf("errors not logged:\n%s", l)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// TestSockEnvDroppedWhenWorkerEnds: a worker's cosocket state (pools, the
// per-level netConfs keyed by its configuration) is forgotten when the
// worker ends, without CloseSocketPools: reloads and replaced workers must
// not keep old configurations alive.
func TestSockEnvDroppedWhenWorkerEnds(t *testing.T) {
	lg, err := errlog.New([]errlog.Target{{Path: filepath.Join(t.TempDir(), "error.log"), Level: errlog.Error}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	inst := Installer(&Env{Config: &confparse.Config{HTTP: &confparse.HTTPConf{}}, Dicts: shdict.NewRegistry()})
	pool, err := luavm.NewPool(luavm.Options{Workers: 2, Log: lg, Install: inst})
	if err != nil {
		t.Fatal(err)
	}
	ws := pool.Workers()
	for _, w := range ws {
		if _, ok := sockEnvs.Load(w); !ok {
			t.Fatal("worker has no socket state after Install")
		}
	}
	pool.Close()
	deadline := time.Now().Add(30 * time.Second)
	for _, w := range ws {
		<-w.Ended()
		for {
			if _, ok := sockEnvs.Load(w); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a closed worker's socket state is still registered")
			}
			time.Sleep(time.Millisecond)
		}
	}
}
