package ngxapi

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi/shdict"
	lua "github.com/yuin/gopher-lua"
)

// h5VM is a real worker pool with the whole ngx API installed; run()
// executes Lua as a light thread in a phase and returns what it passed to
// the global out(...) function, one line per call.
type h5VM struct {
	t    testing.TB
	pool *luavm.Pool
	mu   sync.Mutex
	out  []string
	log  string
}

func newH5VM(t testing.TB, http *confparse.HTTPConf, workers int) *h5VM {
	t.Helper()
	if http == nil {
		http = &confparse.HTTPConf{}
	}
	vm := &h5VM{t: t}
	opts := luavm.Options{Workers: workers, PackagePath: "/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"}
	vm.pool, vm.log = newTestPool(t, &confparse.Config{HTTP: http}, errlog.Info, opts, func(w *luavm.Worker) {
		w.L.SetGlobal("out", w.L.NewFunction(func(L *lua.LState) int {
			var b strings.Builder
			for i := 1; i <= L.GetTop(); i++ {
				b.WriteString(L.ToStringMeta(L.Get(i)).String())
			}
			vm.mu.Lock()
			vm.out = append(vm.out, b.String())
			vm.mu.Unlock()
			return 0
		}))
	})
	return vm
}

// newTestPool starts a pool (opts; Log and Install are set here) with the
// whole API installed for cfg, and then extra, on each worker. It logs at
// level to the returned file in t's temp dir, and stops at t's end.
func newTestPool(t testing.TB, cfg *confparse.Config, level errlog.Level, opts luavm.Options, extra func(w *luavm.Worker)) (*luavm.Pool, string) {
	t.Helper()
	logf := filepath.Join(t.TempDir(), "error.log")
	lg, err := errlog.New([]errlog.Target{{Path: logf, Level: level}})
	if err != nil {
		t.Fatal(err)
	}
	inst := Installer(&Env{Config: cfg, Dicts: shdict.NewRegistry()})
	opts.Log = lg
	opts.Install = func(w *luavm.Worker) {
		inst(w)
		extra(w)
	}
	pool, err := luavm.NewPool(opts)
	if err != nil {
		lg.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		CloseSocketPools(pool.Workers()...)
		pool.Close()
		lg.Close()
	})
	return pool, logf
}

func (vm *h5VM) run(phase luavm.Phase, src string) ([]string, error) {
	vm.t.Helper()
	ch, err := luavm.CompileString(src, "test")
	if err != nil {
		vm.t.Fatal(err)
	}
	vm.mu.Lock()
	vm.out = nil
	vm.mu.Unlock()
	res := vm.pool.Workers()[0].Run(&luavm.Request{Phase: phase, Chunk: ch})
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return append([]string(nil), vm.out...), res.Err
}

// expect runs src and compares its out() lines.
func (vm *h5VM) expect(phase luavm.Phase, src string, want ...string) {
	vm.t.Helper()
	got, err := vm.run(phase, src)
	if err != nil {
		vm.t.Fatalf("lua error: %v\nout: %q", err, got)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		vm.t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func (vm *h5VM) errorLog() string {
	b, _ := os.ReadFile(vm.log)
	return string(b)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("port %d never opened", port)
}

type killable struct {
	port int
	kill func()
}

// startDaemon runs a private server (program bin, from the Debian package
// pkg; the test is skipped without it) on a random loopback port, with
// the arguments args gives for that port; it is killed at the test's end,
// or earlier by kill.
func startDaemon(t testing.TB, bin, pkg string, args func(port string) []string) killable {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed (apt-get install -y %s)", bin, pkg)
	}
	port := freePort(t)
	cmd := exec.Command(path, args(strconv.Itoa(port))...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill := func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	t.Cleanup(kill)
	waitPort(t, port)
	return killable{port, kill}
}

// startRedisKillable runs a private redis-server that the test may kill.
func startRedisKillable(t testing.TB) killable {
	t.Helper()
	return startDaemon(t, "redis-server", "redis-server", func(port string) []string {
		return []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}
	})
}

// startRedis runs a private redis-server on a random loopback port.
func startRedis(t testing.TB) int {
	t.Helper()
	return startRedisKillable(t).port
}

// startMemcached runs a private memcached on a random loopback port.
func startMemcached(t testing.TB) int {
	t.Helper()
	return startDaemon(t, "memcached", "memcached", func(port string) []string {
		args := []string{"-l", "127.0.0.1", "-p", port, "-U", "0"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		return args
	}).port
}
