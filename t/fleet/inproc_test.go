package fleet

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/tlssession"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// inproc is conf/fleet.conf's Lua run in this process: the real config
// parser, Lua workers, ngx API, cosockets and session hooks, behind a
// minimal TLS server (httpserver's job in the goresty binary). It checks
// the fleet logic, goroutines and descriptors without a second process.
type inproc struct {
	port int
	log  string
	pool *luavm.Pool
	l    net.Listener
}

func (s *inproc) tlsPort() int { return s.port }
func (s *inproc) errorLog() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

func startInproc(t *testing.T, redisPort int) *inproc {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(moduleRoot(t), "conf", "fleet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := t.TempDir()
	os.MkdirAll(filepath.Join(prefix, "conf"), 0o755)
	os.MkdirAll(filepath.Join(prefix, "logs"), 0o755)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &inproc{port: l.Addr().(*net.TCPAddr).Port, log: filepath.Join(prefix, "logs", "error.log"), l: l}
	confPath := filepath.Join(prefix, "conf", "nginx.conf")
	os.WriteFile(confPath, []byte(fleetConf(t, string(src), s.port, redisPort, prefix)), 0o644)
	cfg, err := confparse.Load(confparse.Options{Prefix: prefix + "/", ConfFile: confPath})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := errlog.New([]errlog.Target{{Path: s.log, Level: errlog.Info}})
	if err != nil {
		t.Fatal(err)
	}
	compile := func(c *confparse.LuaCode) *luavm.Chunk {
		if c == nil {
			return nil
		}
		ch, err := luavm.Compile(c.Source, c.File, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	h := cfg.HTTP
	pool, err := luavm.NewPool(luavm.Options{Workers: 2, Log: lg, PackagePath: h.LuaPackagePath,
		Init: compile(h.InitByLua), HookTimeout: h.LuaHookTimeout,
		Install: ngxapi.Installer(&ngxapi.Env{Config: cfg, Dicts: shdict.NewRegistry()})})
	if err != nil {
		t.Fatal(err)
	}
	s.pool = pool
	m, err := tlssession.New(tlssession.Options{HTTP: h, Pool: pool, Store: compile(h.SSLSessionStore),
		Fetch: compile(h.SSLSessionFetch), Log: lg, Counters: &tlssession.Counters{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := h.Servers[0]
	cert, err := tls.LoadX509KeyPair(srv.SSL.Certificates[0].Cert, srv.SSL.Certificates[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	// The identity httpserver gives the server block (names, certificates).
	if err := m.Configure(tcfg, srv, tlssession.VhostName(srv)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := tls.Server(c, tcfg)
				defer tc.Close()
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := bufio.NewReader(tc).ReadString('\n'); err != nil {
					return
				}
				st := tc.ConnectionState()
				body := fmt.Sprintf("hello from goresty over %x, session reused: %v\n", st.Version, st.DidResume)
				fmt.Fprintf(tc, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		ngxapi.CloseSocketPools(pool.Workers()...)
		pool.Shutdown(contextWithTimeout(5 * time.Second))
		lg.Close()
	})
	return s
}

func TestFleetInProcess(t *testing.T) {
	g0 := runtime.NumGoroutine()
	t.Run("resume", func(t *testing.T) {
		r := startRedis(t, 0)
		a, b := startInproc(t, r.port), startInproc(t, r.port)
		for _, ver := range versions {
			t.Run(ver.name, func(t *testing.T) {
				c := newClient(t, ver.v)
				before := redisDBSize(t, r.port)
				if resumed, _ := c.get(t, a); resumed {
					t.Fatal("first handshake resumed")
				}
				waitFor(t, "the session in redis", func() bool { return redisDBSize(t, r.port) > before })
				if resumed, _ := c.get(t, b); !resumed {
					t.Fatalf("B did not resume A's session\nA:\n%s\nB:\n%s", a.errorLog(), b.errorLog())
				}
				if ver.v == tls.VersionTLS13 { // B issued a new ticket: wait for it in redis
					waitFor(t, "B's new session in redis", func() bool { return redisDBSize(t, r.port) > before+1 })
				}
				if resumed, _ := c.get(t, b); !resumed {
					t.Fatalf("second resumption on B failed\n%s", b.errorLog())
				}
			})
		}
		ttl, _ := redisCmd(r.port, "EVAL", "return redis.call('TTL', redis.call('KEYS', 'tls:*')[1])", "0")
		if ttl != ":300" && ttl != ":299" {
			t.Errorf("TTL of a stored session: %q", ttl)
		}
		if strings.Contains(a.errorLog()+b.errorLog(), "[error]") {
			t.Errorf("errors:\n%s\n%s", a.errorLog(), b.errorLog())
		}
	})
	t.Run("down-killed-slow", func(t *testing.T) {
		r := startRedis(t, 0)
		a, b := startInproc(t, r.port), startInproc(t, r.port)
		c := newClient(t, tls.VersionTLS13)
		c.get(t, a)
		waitFor(t, "the session in redis", func() bool { return redisDBSize(t, r.port) > 0 })
		if resumed, _ := c.get(t, b); !resumed {
			t.Fatal("no resumption before the kill")
		}
		r.kill()
		for i := 0; i < 3; i++ {
			if resumed, hs := c.get(t, b); resumed || hs > 2*time.Second {
				t.Fatalf("redis killed: resumed=%v after %v", resumed, hs)
			}
		}
		if l := b.errorLog(); !strings.Contains(l, "ngx.ssl.session.store: cannot fetch sessions") {
			t.Errorf("not logged:\n%s", l)
		}
		// too slow: accepts, never answers
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var held []net.Conn
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		// the session is made on one, offered to the other (the one that
		// made it would find it in its own queue)
		slow, slow2 := startInproc(t, l.Addr().(*net.TCPAddr).Port), startInproc(t, l.Addr().(*net.TCPAddr).Port)
		c2 := newClient(t, tls.VersionTLS12)
		c2.get(t, slow)
		for i := 0; i < 3; i++ {
			// the first waits for the timeout; then the store is skipped
			resumed, hs := c2.get(t, slow2)
			if resumed || (i == 0 && hs < 150*time.Millisecond) || hs > 2*time.Second {
				t.Fatalf("slow redis, handshake %d: resumed=%v after %v", i, resumed, hs)
			}
			c2.get(t, slow)
		}
		slow = slow2
		waitFor(t, "timeouts logged", func() bool { return strings.Contains(slow.errorLog(), "redis GET: timeout") })
	})
	// every instance above is stopped: nothing of theirs may be left
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > g0+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > g0+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", g0, g, buf[:runtime.Stack(buf, true)])
	}
}
