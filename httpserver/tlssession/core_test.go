package tlssession

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// certDir is t/cert at the repository root.
func certDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "t", "cert")
}

func serverCert(t testing.TB) tls.Certificate {
	d := certDir(t)
	c, err := tls.LoadX509KeyPair(filepath.Join(d, "ecdsa.crt"), filepath.Join(d, "ecdsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caPool(t testing.TB) *x509.CertPool {
	b, err := os.ReadFile(filepath.Join(certDir(t), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatal("bad ca.crt")
	}
	return p
}

// funcHooks plays the part of the Lua hooks: a store hook saving into a
// map and a fetch hook reading it back, like the usual lua_shared_dict
// pair.
type funcHooks struct {
	mu        sync.Mutex
	sessions  map[string][]byte
	stores    int
	fetches   int
	storeErr  error
	fetchErr  error
	fetchFunc func(c *call) error // overrides the map lookup
	lastIDs   []string
}

func newFuncHooks() *funcHooks { return &funcHooks{sessions: map[string][]byte{}} }

func (h *funcHooks) hasStore() bool { return true }
func (h *funcHooks) hasFetch() bool { return true }

func (h *funcHooks) store(c *call) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stores++
	if h.storeErr != nil {
		return h.storeErr
	}
	id := hex.EncodeToString(c.ID())
	h.sessions[id] = bytes.Clone(c.Serialized())
	h.lastIDs = append(h.lastIDs, id)
	return nil
}

func (h *funcHooks) fetch(c *call) error {
	h.mu.Lock()
	h.fetches++
	ff, ferr := h.fetchFunc, h.fetchErr
	b, ok := h.sessions[hex.EncodeToString(c.ID())]
	h.mu.Unlock()
	if ferr != nil {
		return ferr
	}
	if ff != nil {
		return ff(c)
	}
	if ok {
		c.DecodeSession(b) // a Lua hook would log the error; unwrap counts it
	}
	return nil
}

func (h *funcHooks) counts() (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stores, h.fetches
}

type env struct {
	t       testing.TB
	m       *Manager
	c       *Counters
	now     time.Time
	mu      sync.Mutex
	logPath string
}

func newEnv(t testing.TB, http *confparse.HTTPConf, h hookRunner) *env {
	e := &env{t: t, c: &Counters{}, now: time.Now()}
	if http == nil {
		http = &confparse.HTTPConf{}
	}
	logPath := filepath.Join(t.TempDir(), "error.log")
	lg, err := errlog.New([]errlog.Target{{Path: logPath, Level: errlog.Info}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	m, err := newManager(coreOptions{HTTP: http, Hooks: h, Dicts: shdict.NewRegistry(), Log: lg, Counters: e.c,
		Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("error log:\n%s", b)
		}
	})
	e.logPath = logPath
	return e
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) errorLog() string {
	b, _ := os.ReadFile(e.logPath)
	return string(b)
}

// server makes a server block's tls.Config configured by the manager.
func (e *env) server(srv *confparse.ServerConf, vhost string) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(e.t)}}
	if srv == nil {
		srv = &confparse.ServerConf{SSL: confparse.SSLSettings{SessionTickets: true, SessionTimeout: 5 * time.Minute}}
	}
	if err := e.m.Configure(cfg, srv, vhost); err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

func client(t testing.TB, version uint16) *tls.Config {
	return &tls.Config{
		RootCAs:            caPool(t),
		ServerName:         "test.com",
		MinVersion:         version,
		MaxVersion:         version,
		ClientSessionCache: tls.NewLRUClientSessionCache(16),
	}
}

// handshake connects client to server over an in-memory pipe, reads one
// byte (so a TLS 1.3 client takes in the post-handshake ticket) and
// reports whether the session was resumed.
func handshake(t testing.TB, server, cli *tls.Config) bool {
	t.Helper()
	cs, ss := net.Pipe()
	srvErr := make(chan error, 1)
	go func() {
		c := tls.Server(ss, server)
		err := c.Handshake()
		if err == nil {
			_, err = c.Write([]byte("x"))
		}
		io.Copy(io.Discard, c)
		c.Close()
		srvErr <- err
	}()
	c := tls.Client(cs, cli)
	if err := c.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("client read: %v", err)
	}
	resumed := c.ConnectionState().DidResume
	c.Close()
	if err := <-srvErr; err != nil {
		t.Fatalf("server: %v", err)
	}
	return resumed
}

var versions = []struct {
	name string
	v    uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

func expect(t testing.TB, got []bool, want ...bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("resumed per connection: got %v, want %v", got, want)
		}
	}
}

func run(t testing.TB, n int, server, cli *tls.Config) []bool {
	t.Helper()
	var r []bool
	for i := 0; i < n; i++ {
		r = append(r, handshake(t, server, cli))
	}
	return r
}

func TestHooksResume(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			h := newFuncHooks()
			e := newEnv(t, nil, h)
			srv := e.server(nil, "a")
			expect(t, run(t, 3, srv, client(t, ver.v)), false, true, true)
			stores, fetches := h.counts()
			if fetches != 2 {
				t.Errorf("fetch hook ran %d times, want 2", fetches)
			}
			wantStores := 1 // TLS 1.2: a resumed session keeps its id, no new store
			if ver.v == tls.VersionTLS13 {
				wantStores = 3 // TLS 1.3: every handshake issues a new PSK
			}
			if stores != wantStores {
				t.Errorf("store hook ran %d times, want %d", stores, wantStores)
			}
			if got := e.c.Hits.Load(); got != 2 {
				t.Errorf("hits = %d", got)
			}
			if got := e.c.Stored.Load(); got != uint64(wantStores) {
				t.Errorf("stored = %d", got)
			}
			if e.c.Misses.Load() != 0 || e.c.Corrupt.Load() != 0 {
				t.Errorf("misses %d corrupt %d", e.c.Misses.Load(), e.c.Corrupt.Load())
			}
			for _, id := range h.lastIDs {
				if len(id) != 64 || strings.ToLower(id) != id {
					t.Errorf("bad id %q", id)
				}
			}
		})
	}
}

func TestNoTicketsNoHooksNoResumption(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			srv := e.server(&confparse.ServerConf{SSL: confparse.SSLSettings{SessionTickets: false}}, "a")
			if !srv.SessionTicketsDisabled {
				t.Fatal("tickets not disabled")
			}
			expect(t, run(t, 2, srv, client(t, ver.v)), false, false)
		})
	}
}

func TestCacheWithoutLua(t *testing.T) {
	modes := []confparse.SessionCache{
		{Mode: confparse.SessionCacheBuiltin},
		{Mode: confparse.SessionCacheShared, Name: "SSL", Size: 1 << 20},
	}
	for _, mode := range modes {
		for _, ver := range versions {
			t.Run(ver.name, func(t *testing.T) {
				e := newEnv(t, nil, nil)
				srv := e.server(&confparse.ServerConf{SSL: confparse.SSLSettings{SessionCache: mode, SessionTimeout: time.Minute}}, "a")
				expect(t, run(t, 3, srv, client(t, ver.v)), false, true, true)
				if e.c.Hits.Load() != 2 {
					t.Errorf("hits = %d", e.c.Hits.Load())
				}
			})
		}
	}
}

func TestCacheOffDisablesHooks(t *testing.T) {
	h := newFuncHooks()
	e := newEnv(t, nil, h)
	srv := e.server(&confparse.ServerConf{SSL: confparse.SSLSettings{SessionCache: confparse.SessionCache{Mode: confparse.SessionCacheOff}}}, "a")
	expect(t, run(t, 2, srv, client(t, tls.VersionTLS12)), false, false)
	if s, f := h.counts(); s != 0 || f != 0 {
		t.Errorf("hooks ran: %d %d", s, f)
	}
}

func TestCrossVhostFallsBack(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			h := newFuncHooks()
			e := newEnv(t, nil, h)
			a := e.server(nil, "server a")
			b := e.server(nil, "server b")
			cli := client(t, ver.v)
			if handshake(t, a, cli) {
				t.Fatal("first handshake resumed")
			}
			if handshake(t, b, cli) {
				t.Fatal("session of server a resumed on server b")
			}
			if e.c.Foreign.Load() != 1 {
				t.Errorf("foreign = %d", e.c.Foreign.Load())
			}
			if !strings.Contains(e.errorLog(), "[warn]") || !strings.Contains(e.errorLog(), "created under another server block, full handshake") {
				t.Errorf("no warn line: %s", e.errorLog())
			}
			// b's own session then resumes on b.
			if !handshake(t, b, cli) {
				t.Fatal("b's own session did not resume")
			}
		})
	}
}

func TestExpiredFallsBack(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			h := newFuncHooks()
			e := newEnv(t, nil, h)
			srv := e.server(&confparse.ServerConf{SSL: confparse.SSLSettings{SessionTimeout: 10 * time.Second}}, "a")
			cli := client(t, ver.v)
			expect(t, run(t, 2, srv, cli), false, true)
			// 12 s: the session's creation time is the real clock's (Go
			// stamps it), in whole seconds, and this clock started a
			// little before it; 11 s came out as 10 when a second began
			// in between (a flake under -race: ~1 run in 200)
			e.advance(12 * time.Second)
			if ver.v == tls.VersionTLS12 {
				// TLS 1.2 keeps the creation time of the first handshake.
				if handshake(t, srv, cli) {
					t.Fatal("expired session resumed")
				}
			} else {
				// TLS 1.3: the ticket of the 2nd (resumed) handshake is new
				// but created 11s ago too.
				if handshake(t, srv, cli) {
					t.Fatal("expired session resumed")
				}
			}
			if e.c.Expired.Load() != 1 {
				t.Errorf("expired = %d", e.c.Expired.Load())
			}
			if !strings.Contains(e.errorLog(), "expired (ssl_session_timeout 10s), full handshake") {
				t.Errorf("log: %s", e.errorLog())
			}
			if strings.Contains(e.errorLog(), "[error]") {
				t.Errorf("expiry logged as an error: %s", e.errorLog())
			}
		})
	}
}

func TestBadBytesAndHookErrors(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(h *funcHooks)
		first    bool // setup before the first handshake
		corrupt  uint64
		fetchErr uint64
		misses   uint64
		logged   string
	}{
		{"garbage", func(h *funcHooks) {
			h.fetchFunc = func(c *call) error {
				if err := c.DecodeSession([]byte("garbage")); err == nil || err.Error() != "failed to de-serialize session" {
					t.Errorf("DecodeSession(garbage) = %v", err)
				}
				return nil
			}
		}, false, 1, 0, 0, "failed to de-serialize session"},
		{"truncated", func(h *funcHooks) {
			h.fetchFunc = func(c *call) error {
				h.mu.Lock()
				b := h.sessions[hex.EncodeToString(c.ID())]
				h.mu.Unlock()
				c.DecodeSession(b[:len(b)-5])
				return nil
			}
		}, false, 1, 0, 0, "failed to de-serialize session"},
		{"miss", func(h *funcHooks) {
			h.fetchFunc = func(c *call) error { return nil }
		}, false, 0, 0, 1, ""},
		{"lua error", func(h *funcHooks) { h.fetchErr = errors.New("boom") }, false, 0, 1, 0, ""},
		{"store error", func(h *funcHooks) { h.storeErr = errors.New("boom") }, true, 0, 0, 1, ""},
	}
	for _, tc := range cases {
		for _, ver := range versions {
			t.Run(tc.name+"/"+ver.name, func(t *testing.T) {
				h := newFuncHooks()
				e := newEnv(t, nil, h)
				srv := e.server(nil, "a")
				cli := client(t, ver.v)
				if tc.first {
					tc.setup(h)
				}
				handshake(t, srv, cli)
				if !tc.first {
					tc.setup(h)
				}
				if handshake(t, srv, cli) {
					t.Fatal("resumed")
				}
				if e.c.Corrupt.Load() != tc.corrupt || e.c.FetchErrors.Load() != tc.fetchErr || e.c.Misses.Load() != tc.misses {
					t.Errorf("corrupt %d fetch errors %d misses %d", e.c.Corrupt.Load(), e.c.FetchErrors.Load(), e.c.Misses.Load())
				}
				if tc.logged != "" && !strings.Contains(e.errorLog(), tc.logged) {
					t.Errorf("log lacks %q: %s", tc.logged, e.errorLog())
				}
			})
		}
	}
}

func writeKey(t testing.TB, n int, fill byte) string {
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, bytes.Repeat([]byte{fill}, n), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSealing(t *testing.T) {
	k1, k2 := writeKey(t, 32, 1), writeKey(t, 32, 2)
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			h := newFuncHooks()
			e1 := newEnv(t, &confparse.HTTPConf{SSLSessionSealKeys: []string{k1}}, h)
			srv1 := e1.server(nil, "a")
			cli := client(t, ver.v)
			handshake(t, srv1, cli)
			for id, b := range h.sessions {
				if b[0] != magicSealed {
					t.Fatalf("session %s stored in clear", id)
				}
				if bytes.Contains(b, []byte{magicPlain, envVersion}) && len(b) < 40 {
					t.Fatal("short")
				}
			}
			// Rotation: a server sealing with k2 still opens k1's sessions.
			e2 := newEnv(t, &confparse.HTTPConf{SSLSessionSealKeys: []string{k2, k1}}, h)
			srv2 := e2.server(nil, "a")
			if !handshake(t, srv2, cli) {
				t.Fatal("k1 session not opened by [k2, k1]")
			}
			// A server knowing only k2 cannot open k1's session: full handshake.
			h.mu.Lock()
			for id, b := range h.sessions { // keep only k1-sealed sessions
				var kid [4]byte
				copy(kid[:], b[2:6])
				if kid != e1.m.seal[0].id {
					delete(h.sessions, id)
				}
			}
			h.mu.Unlock()
			cli2 := client(t, ver.v)
			handshake(t, srv1, cli2)
			lastID := h.lastIDs[len(h.lastIDs)-1]
			e3 := newEnv(t, &confparse.HTTPConf{SSLSessionSealKeys: []string{k2}}, h)
			srv3 := e3.server(nil, "a")
			if handshake(t, srv3, cli2) {
				t.Fatal("k1 session opened by [k2]")
			}
			if e3.c.UnknownKey.Load() != 1 || e3.c.Corrupt.Load() != 0 {
				t.Errorf("unknown key %d corrupt %d", e3.c.UnknownKey.Load(), e3.c.Corrupt.Load())
			}
			// A server with its own process key, or sealing off, refuses
			// them the same way, and a sealed session moved to another id
			// does not open.
			last := h.sessions[lastID]
			id, _ := hex.DecodeString(lastID)
			for _, hc := range []*confparse.HTTPConf{nil, {SSLSessionSealOff: true}} {
				e4 := newEnv(t, hc, h)
				if r, _, _ := e4.m.configs[e4.server(nil, "a")].decode(id, last); r != rejectUnknownKey {
					t.Errorf("server with %+v: sealed bytes gave %v", hc, r)
				}
			}
			v1 := e1.m.configs[srv1]
			if r, _, _ := v1.decode(make([]byte, IDLen), last); r != rejectCorrupt {
				t.Errorf("sealed session opened under another id: %v", r)
			}
			bad := bytes.Clone(last)
			bad[len(bad)-1] ^= 1
			if r, _, _ := v1.decode(id, bad); r != rejectCorrupt {
				t.Errorf("tampered session accepted: %v", r)
			}
			if r, _, _ := v1.decode(id, last); r != rejectNone {
				t.Errorf("intact session refused: %v", r)
			}
		})
	}
}

func TestStatelessTicketKeys(t *testing.T) {
	k1, k2 := writeKey(t, 80, 1), writeKey(t, 48, 2)
	withKeys := func(keys ...string) *confparse.ServerConf {
		return &confparse.ServerConf{SSL: confparse.SSLSettings{SessionTickets: true, SessionTicketKeys: keys, SessionTimeout: time.Minute}}
	}
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			// Two "fleet members" holding the same key file share tickets.
			e1, e2 := newEnv(t, nil, nil), newEnv(t, nil, nil)
			s1, s2 := e1.server(withKeys(k1), "a"), e2.server(withKeys(k1), "a")
			cli := client(t, ver.v)
			expect(t, []bool{handshake(t, s1, cli), handshake(t, s2, cli), handshake(t, s1, cli)}, false, true, true)
			if e1.c.IssuedStateless.Load() == 0 {
				t.Error("no stateless ticket counted")
			}
			// Rotation: [k2, k1] decrypts k1 tickets; [k2] alone does not.
			e3 := newEnv(t, nil, nil)
			if !handshake(t, e3.server(withKeys(k2, k1), "a"), cli) {
				t.Fatal("[k2, k1] did not resume a k1 ticket")
			}
			cli2 := client(t, ver.v)
			handshake(t, s1, cli2)
			e4 := newEnv(t, nil, nil)
			if handshake(t, e4.server(withKeys(k2), "a"), cli2) {
				t.Fatal("[k2] resumed a k1 ticket")
			}
			if e4.c.Misses.Load() != 1 || e4.c.Corrupt.Load() != 0 {
				t.Errorf("unknown key: misses %d corrupt %d", e4.c.Misses.Load(), e4.c.Corrupt.Load())
			}
			// Vhost binding holds for stateless tickets too.
			cli3 := client(t, ver.v)
			handshake(t, s1, cli3)
			if handshake(t, e1.server(withKeys(k1), "b"), cli3) {
				t.Fatal("ticket of a resumed on b")
			}
			if e1.c.Foreign.Load() != 1 {
				t.Errorf("foreign = %d", e1.c.Foreign.Load())
			}
			// Expiry.
			cli4 := client(t, ver.v)
			handshake(t, s1, cli4)
			e1.advance(2 * time.Minute)
			if handshake(t, s1, cli4) {
				t.Fatal("expired ticket resumed")
			}
		})
	}
}

func TestKeyFileErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	bad := writeKey(t, 50, 1)
	err := e.m.Configure(&tls.Config{}, &confparse.ServerConf{SSL: confparse.SSLSettings{SessionTickets: true, SessionTicketKeys: []string{bad}}}, "a")
	if err == nil || err.Error() != "\""+bad+"\" must be 48 or 80 bytes" {
		t.Errorf("got %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	err = e.m.Configure(&tls.Config{}, &confparse.ServerConf{SSL: confparse.SSLSettings{SessionTickets: true, SessionTicketKeys: []string{missing}}}, "a")
	if err == nil || !strings.Contains(err.Error(), "open() \""+missing+"\" failed") {
		t.Errorf("got %v", err)
	}
	short := writeKey(t, 16, 1)
	_, err = newManager(coreOptions{HTTP: &confparse.HTTPConf{SSLSessionSealKeys: []string{short}}})
	if err == nil || err.Error() != "\""+short+"\" must be at least 32 bytes" {
		t.Errorf("got %v", err)
	}
}

func TestMetricsText(t *testing.T) {
	c := &Counters{}
	c.Stored.Add(3)
	c.Hits.Add(2)
	c.Foreign.Add(1)
	var b bytes.Buffer
	WriteCounters(&b, c)
	for _, want := range []string{
		"# TYPE goresty_ssl_sessions_stored_total counter\ngoresty_ssl_sessions_stored_total 3\n",
		"goresty_ssl_session_fetches_total{result=\"hit\"} 2\n",
		"goresty_ssl_sessions_rejected_total{reason=\"foreign\"} 1\n",
		"goresty_ssl_session_hook_errors_total{hook=\"fetch\"} 0\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}

func TestVhostName(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certA := write("a.crt", "certificate A")
	copyA := write("copy-of-a.crt", "certificate A")
	certB := write("b.crt", "certificate B")
	a := &confparse.ServerConf{
		Pos:     confparse.Pos{File: "/x/nginx.conf", Line: 10},
		Listens: []confparse.Listen{{Network: "tcp", Addr: ":443", SSL: true}, {Network: "tcp", Addr: "[::]:443"}},
		Names:   []string{"a.test.com", "www.a.test.com"},
		SSL:     confparse.SSLSettings{Certificates: []confparse.CertPair{{Cert: certA, Key: "/c/a.key"}}},
	}
	// Another fleet host: other position, other port, names in another
	// order, the same certificate kept elsewhere.
	elsewhere := *a
	elsewhere.Pos.Line = 40
	elsewhere.Listens = []confparse.Listen{{Network: "tcp", Addr: ":8443", SSL: true}}
	elsewhere.Names = []string{"www.a.test.com", "a.test.com"}
	elsewhere.SSL.Certificates = []confparse.CertPair{{Cert: copyA, Key: "/d/a.key"}}
	if VhostName(a) != VhostName(&elsewhere) {
		t.Errorf("identity depends on position, port, order or file location: %q vs %q", VhostName(a), VhostName(&elsewhere))
	}
	b := *a
	b.Names = []string{"b.test.com"}
	if VhostName(a) == VhostName(&b) {
		t.Error("different names, same identity")
	}
	c := *a
	c.SSL.Certificates = []confparse.CertPair{{Cert: certB}}
	if VhostName(a) == VhostName(&c) {
		t.Error("different certificates, same identity")
	}
}
