// Package fleet tests conf/fleet.conf end to end: real redis-server, two
// goresty processes sharing TLS sessions through it, and the faults an
// operator will meet (redis down, killed, too slow).
package fleet

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// goresty returns TEST_NGINX_BINARY or builds ./cmd/goresty once.
func goresty(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if b := os.Getenv("TEST_NGINX_BINARY"); b != "" && !strings.HasSuffix(b, "nginx") {
			binPath = b
			return
		}
		dir, err := os.MkdirTemp("", "goresty-fleet")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "goresty")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/goresty")
		cmd.Dir = moduleRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building goresty: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t *testing.T, port int, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never listened on %d", what, port)
}

type redisServer struct {
	port int
	cmd  *exec.Cmd
	dir  string
}

func startRedis(t *testing.T, port int) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (apt-get install -y redis-server)")
	}
	if port == 0 {
		port = freePort(t)
	}
	r := &redisServer{port: port, dir: t.TempDir()}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.kill)
	waitPort(t, port, "redis-server")
	return r
}

func (r *redisServer) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// redisCmd sends one command and returns the raw first reply line(s).
func redisCmd(port int, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c, "$%d\r\n%s\r\n", len(a), a)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func redisDBSize(t *testing.T, port int) int {
	s, err := redisCmd(port, "DBSIZE")
	if err != nil || !strings.HasPrefix(s, ":") {
		t.Fatalf("DBSIZE: %q %v", s, err)
	}
	n, _ := strconv.Atoi(s[1:])
	return n
}

type instance struct {
	t      *testing.T
	port   int
	prefix string
	cmd    *exec.Cmd
	stderr *strings.Builder
}

// startInstance runs goresty with conf/fleet.conf pointed at redisPort,
// with the extra text replacements given.
func startInstance(t *testing.T, redisPort int, extra ...[2]string) *instance {
	t.Helper()
	root := moduleRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "conf", "fleet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, port: freePort(t), prefix: t.TempDir(), stderr: &strings.Builder{}}
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(filepath.Join(in.prefix, d), 0o755)
	}
	conf := fleetConf(t, string(src), in.port, redisPort, in.prefix)
	for _, r := range extra {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("conf/fleet.conf no longer has %q", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	confPath := filepath.Join(in.prefix, "conf", "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	in.cmd = exec.Command(goresty(t), "-p", in.prefix+"/", "-c", confPath)
	in.cmd.Stderr = in.stderr
	in.cmd.Stdout = io.Discard
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.stop)
	waitPort(t, in.port, "goresty")
	return in
}

func (in *instance) stop() {
	if in.cmd == nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGQUIT)
	done := make(chan struct{})
	go func() { in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		in.t.Errorf("goresty on %d did not stop on QUIT", in.port)
		in.cmd.Process.Kill()
		<-done
	}
	in.cmd = nil
	if s := in.stderr.String(); strings.Contains(s, "panic:") || strings.Contains(s, "DATA RACE") {
		in.t.Errorf("goresty stderr:\n%s", s)
	}
}

// server is a goresty instance, a process or in-process.
type server interface {
	tlsPort() int
	errorLog() string
}

func (in *instance) tlsPort() int { return in.port }

func (in *instance) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(in.prefix, "logs", "error.log"))
	return string(b)
}

func (in *instance) fds() int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", in.cmd.Process.Pid))
	return len(ents)
}

// fleetConf rewrites conf/fleet.conf for a test instance.
func fleetConf(t *testing.T, conf string, port, redisPort int, prefix string) string {
	cert := filepath.Join(moduleRoot(t), "t", "cert")
	for _, r := range [][2]string{
		{"listen 8443 ssl default_server;", fmt.Sprintf("listen 127.0.0.1:%d ssl default_server;", port)},
		{"port = 6379,", fmt.Sprintf("port = %d,", redisPort)},
		{"pid logs/nginx.pid;", "pid " + filepath.Join(prefix, "logs", "nginx.pid") + ";"},
		{"error_log stderr notice;", "error_log " + filepath.Join(prefix, "logs", "error.log") + " info;"},
		{"worker_processes auto;", "worker_processes 2;"},
		{"ssl_certificate     cert/server.crt;", "ssl_certificate " + filepath.Join(cert, "ecdsa.crt") + ";"},
		{"ssl_certificate_key cert/server.key;", "ssl_certificate_key " + filepath.Join(cert, "ecdsa.key") + ";"},
		{"ssl_session_seal_key session-seal.key;", "ssl_session_seal_key " + filepath.Join(moduleRoot(t), "t", "fleet", "seal.key") + ";"},
	} {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("conf/fleet.conf no longer has %q", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	return conf
}

type client struct {
	cfg *tls.Config
}

func newClient(t *testing.T, version uint16) *client {
	pem, err := os.ReadFile(filepath.Join(moduleRoot(t), "t", "cert", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &client{cfg: &tls.Config{
		RootCAs: pool, ServerName: "localhost",
		MinVersion: version, MaxVersion: version,
		ClientSessionCache: tls.NewLRUClientSessionCache(8),
	}}
}

// get makes one handshake and one request on in; it reports whether the
// session was resumed and how long the handshake took.
func (c *client) get(t *testing.T, in server) (bool, time.Duration) {
	t.Helper()
	resumed, hs, _ := c.getBody(t, in)
	return resumed, hs
}

func (c *client) getBody(t *testing.T, in server) (bool, time.Duration, string) {
	t.Helper()
	start := time.Now()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp",
		"127.0.0.1:"+strconv.Itoa(in.tlsPort()), c.cfg)
	hs := time.Since(start)
	if err != nil {
		t.Fatalf("handshake with %d: %v", in.tlsPort(), err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	body, err := io.ReadAll(conn)
	if err != nil || !strings.Contains(string(body), "hello from goresty") {
		t.Fatalf("request on %d: %v %q", in.tlsPort(), err, body)
	}
	return conn.ConnectionState().DidResume, hs, string(body)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var versions = []struct {
	name string
	v    uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

// A session made on A resumes on B, through redis.
func TestFleetResumesAcrossInstances(t *testing.T) {
	r := startRedis(t, 0)
	a, b := startInstance(t, r.port), startInstance(t, r.port)
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			c := newClient(t, ver.v)
			before := redisDBSize(t, r.port)
			if resumed, _ := c.get(t, a); resumed {
				t.Fatal("first handshake on A resumed")
			}
			waitFor(t, "the session in redis", func() bool { return redisDBSize(t, r.port) > before })
			if resumed, _ := c.get(t, b); !resumed {
				if strings.Contains(b.errorLog(), "was created under another server block") {
					t.Fatalf("B refused A's session as foreign: the server block identity must depend only on " +
						"the server_name set and the certificates (issue 5), not on listen ports or file paths")
				}
				t.Fatalf("B did not resume A's session\nA log:\n%s\nB log:\n%s", a.errorLog(), b.errorLog())
			}
			if ver.v == tls.VersionTLS13 {
				// B's resumption issued a new ticket: wait for its session in redis
				waitFor(t, "B's new session in redis", func() bool { return redisDBSize(t, r.port) > before+1 })
			}
			if resumed, _ := c.get(t, a); !resumed {
				t.Fatal("A did not resume B's session")
			}
		})
	}
	// the keys carry the session timeout as their TTL
	keys, _ := redisCmd(r.port, "KEYS", "tls:*")
	if !strings.HasPrefix(keys, "*") || keys == "*0" {
		t.Fatalf("KEYS: %q", keys)
	}
	for _, in := range []*instance{a, b} {
		if l := in.errorLog(); strings.Contains(l, "[error]") {
			t.Errorf("unexpected errors:\n%s", l)
		}
	}
}

// redis down at start: every handshake completes (full), errors logged.
func TestFleetRedisDown(t *testing.T) {
	dead := freePort(t)
	a, b := startInstance(t, dead), startInstance(t, dead)
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			c := newClient(t, ver.v)
			for i, in := range []*instance{a, b, a} {
				resumed, hs := c.get(t, in)
				if resumed {
					t.Fatalf("handshake %d resumed without redis", i)
				}
				if hs > 2*time.Second {
					t.Fatalf("handshake %d took %v", i, hs)
				}
			}
		})
	}
	waitFor(t, "store errors logged", func() bool {
		return strings.Contains(a.errorLog(), "ngx.ssl.session.store: cannot store sessions: redis connect: connection refused")
	})
	waitFor(t, "fetch errors logged", func() bool {
		return strings.Contains(b.errorLog(), "ngx.ssl.session.store: cannot fetch sessions: redis connect: connection refused")
	})
}

// redis killed mid-run, then back: full handshakes while it is gone,
// resumption again once it returns; pooled connections to the dead redis
// are not reused.
func TestFleetRedisKilledMidRun(t *testing.T) {
	r := startRedis(t, 0)
	// One instance: it stores and fetches through redis all the same (see
	// TestFleetSharedAddress for two).
	a := startInstance(t, r.port)
	b := a
	outer := t
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			c := newClient(t, ver.v)
			before := redisDBSize(t, r.port)
			c.get(t, a)
			waitFor(t, "the session in redis", func() bool { return redisDBSize(t, r.port) > before })
			if resumed, _ := c.get(t, b); !resumed {
				t.Fatal("no resumption before the kill")
			}
			if ver.v == tls.VersionTLS13 {
				// the resumption issued a new ticket: its session must be in
				// redis, not still queued (a queued one resumes from the queue)
				waitFor(t, "the new ticket's session in redis", func() bool { return redisDBSize(t, r.port) > before+1 })
			}
			r.kill()
			resumed, hs := c.get(t, b)
			if resumed || hs > 2*time.Second {
				t.Fatalf("with redis killed: resumed=%v in %v", resumed, hs)
			}
			r = startRedis(outer, r.port) // outlives this subtest
			c2 := newClient(t, ver.v)
			c2.get(t, a)
			waitFor(t, "the session in the new redis", func() bool { return redisDBSize(t, r.port) > 0 })
			if resumed, _ := c2.get(t, b); !resumed {
				t.Fatalf("no resumption after redis came back\n%s", b.errorLog())
			}
		})
	}
	if !strings.Contains(b.errorLog(), "ngx.ssl.session.store: cannot fetch sessions") {
		t.Errorf("the failed fetch was not logged:\n%s", b.errorLog())
	}
}

// redis slower than the timeout: a full handshake after about the 200 ms
// timeout, then (the store skipped for half a second after a failure)
// full handshakes without waiting; nothing hangs, and every connection to
// it is closed (no leak).
func TestFleetRedisTooSlow(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	open, total := 0, 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open++
			total++
			mu.Unlock()
			go func() { // read and never answer; count the close
				io.Copy(io.Discard, c)
				c.Close()
				mu.Lock()
				open--
				mu.Unlock()
			}()
		}
	}()
	slowPort := l.Addr().(*net.TCPAddr).Port
	a, b := startInstance(t, slowPort), startInstance(t, slowPort)
	fd0 := b.fds()
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			c := newClient(t, ver.v)
			c.get(t, a)
			waited := false
			for i := 0; i < 5; i++ {
				// each server is offered the other's session (its own it
				// would find in its queue)
				in := b
				if i%2 == 1 {
					in = a
				}
				resumed, hs := c.get(t, in)
				if resumed {
					t.Fatal("resumed through a redis that never answers")
				}
				if hs > 2*time.Second {
					t.Fatalf("handshake took %v, want at most about the 200ms fetch timeout", hs)
				}
				waited = waited || hs >= 150*time.Millisecond
			}
			if !waited && ver.v == tls.VersionTLS12 {
				t.Fatal("no handshake waited for the fetch timeout")
			}
		})
	}
	waitFor(t, "connections to the slow redis closed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return open == 0 && total > 0
	})
	if fd := b.fds(); fd > fd0+2 {
		t.Errorf("B's descriptors grew from %d to %d", fd0, fd)
	}
	if !strings.Contains(b.errorLog(), "lua tcp socket read timed out") ||
		!strings.Contains(b.errorLog(), "redis GET: timeout") {
		t.Errorf("timeouts not logged:\n%s", b.errorLog())
	}
}

// Two processes behind one address (SO_REUSEPORT, the way a load balancer
// spreads clients over a fleet), started from one configuration file with
// their own prefixes: a session made by one is resumed by the other.
func TestFleetSharedAddress(t *testing.T) {
	r := startRedis(t, 0)
	root := moduleRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "conf", "fleet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	shared := t.TempDir()
	conf := fleetConf(t, string(src), port, r.port, shared)
	for _, rp := range [][2]string{
		{fmt.Sprintf("listen 127.0.0.1:%d ssl default_server;", port), fmt.Sprintf("listen 127.0.0.1:%d ssl default_server reuseport;", port)},
		{"pid " + filepath.Join(shared, "logs", "nginx.pid") + ";", "pid logs/nginx.pid;"},
		{"error_log " + filepath.Join(shared, "logs", "error.log") + " info;", "error_log logs/error.log info;"},
		{`ngx.say("hello from goresty over ", `, `ngx.say("hello from goresty ", ngx.worker.pid(), " over ", `},
	} {
		if !strings.Contains(conf, rp[0]) {
			t.Fatalf("no %q", rp[0])
		}
		conf = strings.Replace(conf, rp[0], rp[1], 1)
	}
	confPath := filepath.Join(shared, "fleet.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	var ins []*instance
	for i := 0; i < 2; i++ {
		in := &instance{t: t, port: port, prefix: t.TempDir(), stderr: &strings.Builder{}}
		os.MkdirAll(filepath.Join(in.prefix, "logs"), 0o755)
		in.cmd = exec.Command(goresty(t), "-p", in.prefix+"/", "-c", confPath)
		in.cmd.Stderr = in.stderr
		if err := in.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(in.stop)
		waitFor(t, "the pid file", func() bool {
			_, err := os.Stat(filepath.Join(in.prefix, "logs", "nginx.pid"))
			return err == nil
		})
		ins = append(ins, in)
	}
	waitPort(t, port, "goresty")
	pidOf := func(body string) string {
		f := strings.Fields(body)
		for i, w := range f {
			if w == "goresty" && i+1 < len(f) {
				return f[i+1]
			}
		}
		return ""
	}
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			c := newClient(t, ver.v)
			before := redisDBSize(t, r.port)
			resumed, _, body := c.getBody(t, ins[0])
			if resumed {
				t.Fatal("first handshake resumed")
			}
			first := pidOf(body)
			waitFor(t, "the session in redis", func() bool { return redisDBSize(t, r.port) > before })
			for i := 0; i < 60; i++ {
				n := redisDBSize(t, r.port)
				resumed, _, body := c.getBody(t, ins[0])
				if !resumed {
					t.Fatalf("connection %d (process %s) did not resume\n%s\n%s", i, pidOf(body),
						ins[0].errorLog(), ins[1].errorLog())
				}
				if pidOf(body) != first {
					return // resumed by the other process
				}
				if ver.v == tls.VersionTLS13 {
					// TLS 1.3 replaced the ticket: wait for its session in redis
					waitFor(t, "the new ticket's session in redis", func() bool { return redisDBSize(t, r.port) > n })
				}
			}
			t.Fatal("the kernel never sent a connection to the second process")
		})
	}
}
