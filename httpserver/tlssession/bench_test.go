package tlssession

import (
	"crypto/tls"
	"testing"

	"github.com/goresty/goresty/confparse"
)

// One resumed handshake per op over an in-memory pipe (client and server
// both in this process, so ns/op is client + server CPU). The Lua variants
// run the fetch hook (and, for TLS 1.3, the store hook of the new ticket)
// on a lua_shared_dict, as conf/nginx.conf does.
func benchResumed(b *testing.B, srv *tls.Config, version uint16) {
	cli := client(b, version)
	if handshake(b, srv, cli) {
		b.Fatal("first handshake resumed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !handshake(b, srv, cli) {
			b.Fatal("not resumed")
		}
	}
}

func BenchmarkResumedLuaHooksTLS12(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, nil)
	benchResumed(b, e.server(nil, "a"), tls.VersionTLS12)
}

func BenchmarkResumedLuaHooksTLS13(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, nil)
	benchResumed(b, e.server(nil, "a"), tls.VersionTLS13)
}

func BenchmarkResumedLuaHooksSealedTLS12(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, &confparse.HTTPConf{SSLSessionSealKeys: []string{writeKey(b, 32, 3)}})
	benchResumed(b, e.server(nil, "a"), tls.VersionTLS12)
}

// BenchmarkResumedLuaHooksRawTLS12 is ssl_session_seal_key off (the
// others seal, with the process key when none is configured).
func BenchmarkResumedLuaHooksRawTLS12(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, &confparse.HTTPConf{SSLSessionSealOff: true})
	benchResumed(b, e.server(nil, "a"), tls.VersionTLS12)
}

func BenchmarkResumedBuiltinCacheTLS12(b *testing.B) {
	e := newEnv(b, nil, nil)
	benchResumed(b, e.server(&confparse.ServerConf{SSL: confparse.SSLSettings{SessionCache: confparse.SessionCache{Mode: confparse.SessionCacheBuiltin}}}, "a"), tls.VersionTLS12)
}

func BenchmarkResumedStatelessTLS12(b *testing.B) {
	e := newEnv(b, nil, nil)
	benchResumed(b, e.server(nil, "a"), tls.VersionTLS12)
}

// BenchmarkResumedGoDefaultTLS12 is crypto/tls's own tickets, no Manager:
// the floor the others compare to.
func BenchmarkResumedGoDefaultTLS12(b *testing.B) {
	benchResumed(b, &tls.Config{Certificates: []tls.Certificate{serverCert(b)}}, tls.VersionTLS12)
}

func BenchmarkFullLuaHooksTLS12(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, nil)
	srv := e.server(nil, "a")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if handshake(b, srv, client(b, tls.VersionTLS12)) {
			b.Fatal("resumed")
		}
	}
}

const storeLuaQuiet = `
local ssl_sess = require "ngx.ssl.session"
ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 300)
`

const fetchLuaQuiet = `
local ssl_sess = require "ngx.ssl.session"
local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
if sess then ssl_sess.set_serialized_session(sess) end
`

// The same through ForConn (a Config clone per connection, session id
// recorded for $ssl_session_id).
func BenchmarkResumedLuaHooksForConnTLS12(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, nil)
	srv := e.server(nil, "a")
	listener := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return e.m.ForConn(srv, &ConnSession{}), nil
	}}
	benchResumed(b, listener, tls.VersionTLS12)
}

// TLS 1.3 with X25519 only (Go's default key share is the much costlier
// hybrid X25519MLKEM768; ssl_ecdh_curve decides on the server).
func BenchmarkResumedLuaHooksTLS13X25519(b *testing.B) {
	e := newLuaEnv(b, storeLuaQuiet, fetchLuaQuiet, nil)
	srv := e.server(nil, "a")
	srv.CurvePreferences = []tls.CurveID{tls.X25519}
	benchResumed(b, srv, tls.VersionTLS13)
}
