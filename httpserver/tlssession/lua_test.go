package tlssession

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// The usual pair of hooks over a lua_shared_dict, as in the ngx.ssl.session
// docs, plus log lines the tests look for.
const storeLua = `
local ssl_sess = require "ngx.ssl.session"
local ssl = require "ngx.ssl"
local id, err = ssl_sess.get_session_id()
if not id then ngx.log(ngx.ERR, "no id: ", err) return end
local sess, err = ssl_sess.get_serialized_session()
if not sess then ngx.log(ngx.ERR, "no session: ", err) return end
ngx.log(ngx.INFO, "store phase=", ngx.get_phase(), " id=", id, " sni=", tostring(ssl.server_name()),
        " ver=", ssl.get_tls1_version_str(), " ", ssl.get_tls1_version() == ssl.TLS1_2_VERSION or ssl.get_tls1_version() == ssl.TLS1_3_VERSION)
local ok, err = ngx.shared.sess:set(id, sess, 300)
if not ok then ngx.log(ngx.ERR, "set: ", err) end
`

const fetchLua = `
local ssl_sess = require "ngx.ssl.session"
local id = ssl_sess.get_session_id()
ngx.log(ngx.INFO, "fetch phase=", ngx.get_phase(), " id=", id)
local sess = ngx.shared.sess:get(id)
if not sess then return end
local ok, err = ssl_sess.set_serialized_session(sess)
if not ok then ngx.log(ngx.ERR, "failed to set SSL session for ID ", id, ": ", err) end
`

type luaEnv struct {
	*env
	pool *luavm.Pool
	dict *shdict.Dict
	log  string
}

func newLuaEnv(t testing.TB, storeSrc, fetchSrc string, http *confparse.HTTPConf) *luaEnv {
	if http == nil {
		http = &confparse.HTTPConf{}
	}
	http.SharedDicts = []confparse.SharedDict{{Name: "sess", Size: 1 << 20}}
	reg := shdict.NewRegistry()
	logPath := filepath.Join(t.TempDir(), "error.log")
	lg, err := errlog.New([]errlog.Target{{Path: logPath, Level: errlog.Debug}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	pool, err := luavm.NewPool(luavm.Options{Workers: 2, Log: lg,
		Install: ngxapi.Installer(&ngxapi.Env{Config: &confparse.Config{HTTP: http}, Dicts: reg})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var store, fetch *luavm.Chunk
	if storeSrc != "" {
		if store, err = luavm.CompileString(storeSrc, "ssl_session_store_by_lua(nginx.conf:10)"); err != nil {
			t.Fatal(err)
		}
	}
	if fetchSrc != "" {
		if fetch, err = luavm.CompileString(fetchSrc, "ssl_session_fetch_by_lua(nginx.conf:20)"); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, c: &Counters{}, now: time.Now(), logPath: logPath}
	m, err := New(Options{HTTP: http, Pool: pool, Store: store, Fetch: fetch, Dicts: reg, Log: lg, Counters: e.c})
	if err != nil {
		t.Fatal(err)
	}
	m.now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	e.m = m
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("error log:\n%s", b)
		}
	})
	return &luaEnv{env: e, pool: pool, dict: reg.Get("sess")}
}

func TestLuaHooksResume(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newLuaEnv(t, storeLua, fetchLua, nil)
			srv := e.server(nil, "a")
			expect(t, run(t, 3, srv, client(t, ver.v)), false, true, true)
			log := e.errorLog()
			wantVer := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[ver.v]
			for _, want := range []string{
				"store phase=ssl_session_store id=",
				" sni=test.com ver=" + wantVer + " true",
				"fetch phase=ssl_session_fetch id=",
				", context: ssl_session_store_by_lua*",
				", context: ssl_session_fetch_by_lua*",
				"[lua] ssl_session_store_by_lua(nginx.conf:10):",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q", want)
				}
			}
			if strings.Contains(log, "[error]") {
				t.Errorf("errors logged")
			}
			stores := strings.Count(log, "store phase=")
			want := map[uint16]int{tls.VersionTLS12: 1, tls.VersionTLS13: 3}[ver.v]
			if stores != want {
				t.Errorf("store hook ran %d times, want %d", stores, want)
			}
		})
	}
}

func TestLuaStoreCannotYieldTimerCan(t *testing.T) {
	store := `
local ssl_sess = require "ngx.ssl.session"
local ok, err = pcall(ngx.sleep, 0.001)
ngx.log(ngx.INFO, "sleep: ", tostring(ok), " ", err)
local ok, err = pcall(ngx.socket.tcp)
ngx.log(ngx.INFO, "socket: ", tostring(ok), " ", err)
local ok, err = pcall(ssl_sess.set_serialized_session, "x")
ngx.log(ngx.INFO, "set: ", tostring(ok), " ", err)
local id = ssl_sess.get_session_id()
local sess = ssl_sess.get_serialized_session()
local ok, err = ngx.timer.at(0, function(premature, id, sess)
    ngx.sleep(0.001) -- timers may yield
    ngx.shared.sess:set(id, sess)
    ngx.log(ngx.INFO, "saved by timer ", id)
end, id, sess)
if not ok then ngx.log(ngx.ERR, "timer: ", err) end
`
	fetch := `
local ssl_sess = require "ngx.ssl.session"
local sess, err = ssl_sess.get_serialized_session()
ngx.log(ngx.INFO, "get_serialized: ", tostring(sess), " ", err)
ngx.sleep(0.001) -- the fetch hook may yield
local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
if sess then assert(ssl_sess.set_serialized_session(sess)) end
`
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newLuaEnv(t, store, fetch, nil)
			srv := e.server(nil, "a")
			cli := client(t, ver.v)
			if handshake(t, srv, cli) {
				t.Fatal("resumed")
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(e.errorLog(), "saved by timer") {
				if time.Now().After(deadline) {
					t.Fatal("timer did not save the session")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if !handshake(t, srv, cli) {
				t.Fatal("not resumed after the timer saved the session")
			}
			log := e.errorLog()
			for _, want := range []string{
				"sleep: false API disabled in the context of ssl_session_store_by_lua*",
				"socket: false API disabled in the context of ssl_session_store_by_lua*",
				"set: false API disabled in the context of ssl_session_store_by_lua*",
				"get_serialized: nil bad session in lua context",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q", want)
				}
			}
		})
	}
}

func TestLuaFailuresGiveFullHandshakes(t *testing.T) {
	cases := []struct {
		name, fetch, logged string
		corrupt, errs       uint64
	}{
		{"lua error", `error("boom")`, `ssl_session_fetch_by_lua(nginx.conf:20):1: boom`, 0, 1},
		{"ngx.exit(ngx.ERROR)", `
local ssl_sess = require "ngx.ssl.session"
assert(ssl_sess.set_serialized_session(ngx.shared.sess:get(ssl_sess.get_session_id())))
ngx.exit(ngx.ERROR)`, "", 0, 1},
		{"garbage", `
local ssl_sess = require "ngx.ssl.session"
local ok, err = ssl_sess.set_serialized_session("garbage")
ngx.log(ngx.ERR, "failed to set SSL session: ", err)`, "failed to set SSL session: failed to de-serialize session", 1, 0},
		{"miss", `return`, "", 0, 0},
	}
	for _, tc := range cases {
		for _, ver := range versions {
			t.Run(tc.name+"/"+ver.name, func(t *testing.T) {
				e := newLuaEnv(t, storeLua, tc.fetch, nil)
				srv := e.server(nil, "a")
				expect(t, run(t, 2, srv, client(t, ver.v)), false, false)
				if e.c.Corrupt.Load() != tc.corrupt || e.c.FetchErrors.Load() != tc.errs {
					t.Errorf("corrupt %d errors %d", e.c.Corrupt.Load(), e.c.FetchErrors.Load())
				}
				if tc.logged != "" && !strings.Contains(e.errorLog(), tc.logged) {
					t.Errorf("log lacks %q", tc.logged)
				}
			})
		}
	}
}

func TestLuaStoreErrorHandshakeCompletes(t *testing.T) {
	e := newLuaEnv(t, `error("store boom")`, fetchLua, nil)
	srv := e.server(nil, "a")
	expect(t, run(t, 2, srv, client(t, tls.VersionTLS12)), false, false)
	if !strings.Contains(e.errorLog(), "failed to run session_store_by_lua*: ssl_session_store_by_lua(nginx.conf:10):1: store boom") {
		t.Errorf("log: %s", e.errorLog())
	}
	if e.c.StoreErrors.Load() != 2 {
		t.Errorf("store errors = %d", e.c.StoreErrors.Load())
	}
}

func TestLuaSealedSessions(t *testing.T) {
	k := writeKey(t, 32, 7)
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newLuaEnv(t, storeLua, fetchLua, &confparse.HTTPConf{SSLSessionSealKeys: []string{k}})
			srv := e.server(nil, "a")
			expect(t, run(t, 2, srv, client(t, ver.v)), false, true)
			for _, key := range e.dict.Keys(0, nil) {
				s, _ := e.dict.GetString(key)
				if s[0] != magicSealed {
					t.Errorf("session %s stored in clear", key)
				}
			}
		})
	}
}

// ForConn: per-connection session id ($ssl_session_id) and hook log lines
// carrying the connection's suffixes.
func TestForConn(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newLuaEnv(t, storeLua, fetchLua, nil)
			srv := e.server(nil, "a")
			var sessions []*ConnSession
			listener := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				s := &ConnSession{Log: &errlog.Conn{ID: uint64(len(sessions) + 1), Client: "192.0.2.7", Server: "0.0.0.0:443"},
					Deadline: time.Now().Add(time.Minute)} // the fetch hook runs with a luavm deadline
				sessions = append(sessions, s)
				return e.m.ForConn(srv, s), nil
			}}
			expect(t, run(t, 3, listener, client(t, ver.v)), false, true, true)
			ids := []string{sessions[0].ID(), sessions[1].ID(), sessions[2].ID()}
			for _, id := range ids {
				if len(id) != 64 {
					t.Fatalf("ids %q", ids)
				}
			}
			if ver.v == tls.VersionTLS12 && (ids[0] != ids[1] || ids[1] != ids[2]) {
				t.Errorf("TLS 1.2 resumption changed the id: %q", ids)
			}
			if ver.v == tls.VersionTLS13 && (ids[0] == ids[1] || ids[1] == ids[2]) {
				t.Errorf("TLS 1.3 tickets reused an id: %q", ids)
			}
			log := e.errorLog()
			if !strings.Contains(log, "*1 [lua] ssl_session_store_by_lua(nginx.conf:10):") ||
				!strings.Contains(log, ", context: ssl_session_store_by_lua*, client: 192.0.2.7, server: 0.0.0.0:443") ||
				!strings.Contains(log, ", context: ssl_session_fetch_by_lua*, client: 192.0.2.7, server: 0.0.0.0:443") {
				t.Errorf("log lines lack the connection: %s", log)
			}
			if e.m.ForConn(&tls.Config{}, &ConnSession{}) == nil {
				t.Error("ForConn of an unknown config")
			}
		})
	}
}

// A fetch hook that never finishes (here: sleeps an hour) is given up at
// the connection's handshake deadline: the handshake goes on without it
// (a full handshake here; on a real connection its own deadline has passed
// too, so it fails), counted as a fetch error, with an [error] line.
func TestLuaFetchHandshakeDeadline(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			e := newLuaEnv(t, storeLua, `ngx.sleep(3600)`, nil)
			srv := e.server(nil, "a")
			listener := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				s := &ConnSession{Log: &errlog.Conn{ID: 9, Client: "192.0.2.7", Server: "0.0.0.0:443"},
					Deadline: time.Now().Add(200 * time.Millisecond)}
				return e.m.ForConn(srv, s), nil
			}}
			cli := client(t, ver.v)
			if handshake(t, listener, cli) {
				t.Fatal("first handshake resumed")
			}
			start := time.Now()
			if handshake(t, listener, cli) {
				t.Fatal("resumed without the fetch hook")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("handshake took %v", d)
			}
			if n := e.c.FetchErrors.Load(); n != 1 {
				t.Errorf("FetchErrors = %d", n)
			}
			want := "[error] " // then pid#worker
			log := e.errorLog()
			if !strings.Contains(log, want) || !strings.Contains(log, "*9 ssl_session_fetch_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up, context: ssl_session_fetch_by_lua*, client: 192.0.2.7, server: 0.0.0.0:443") {
				t.Errorf("log: %s", log)
			}
		})
	}
}
