package httpserver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"testing"
)

// BenchmarkServerResumedTLS12 is one resumed TLS 1.2 handshake per op
// against a real listener (loopback TCP) whose fetch and store hooks use a
// lua_shared_dict, as conf/nginx.conf: the whole server-side handshake path
// (GetConfigForClient, per-connection session state, hooks). Client CPU and
// allocations are included.
func BenchmarkServerResumedTLS12(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf(`daemon off;
error_log logs/error.log error;
events {}
http {
    access_log off;
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local s = require "ngx.ssl.session"
        ngx.shared.sess:set(s.get_session_id(), s.get_serialized_session(), 300)
    }
    ssl_session_fetch_by_lua_block {
        local s = require "ngx.ssl.session"
        local v = ngx.shared.sess:get(s.get_session_id())
        if v then s.set_serialized_session(v) end
    }
    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s/ecdsa.crt;
        ssl_certificate_key %s/ecdsa.key;
        location / { return 200; }
    }
}
`, port, certDir, certDir)
	benchServer(b, conf)

	pem, _ := os.ReadFile(certDir + "/ca.crt")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cli := &tls.Config{RootCAs: pool, ServerName: "test.com", MaxVersion: tls.VersionTLS12,
		ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dial := func() bool {
		c, err := tls.Dial("tcp", addr, cli)
		if err != nil {
			b.Fatal(err)
		}
		r := c.ConnectionState().DidResume
		c.Close()
		return r
	}
	dial()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !dial() {
			b.Fatal("not resumed")
		}
	}
}
