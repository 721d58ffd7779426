package httpserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// waitLog polls the error log until it contains s.
func waitLog(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("error log has no %q:\n%s", s, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Over TLS, HTTP/1 goes through tlsConn; h2 and failed handshakes are
// handed to the address's alt server, which serves them as net/http always
// did, and a retiring generation lets an h2 request in flight finish.
func TestTLSHandoff(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(`daemon off;
error_log logs/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%d ssl http2;
        server_name a.test.com;
        ssl_certificate %s/ecdsa.crt;
        ssl_certificate_key %s/ecdsa.key;
        location / { content_by_lua_block { ngx.say(ngx.var.server_protocol, " ", ngx.var.https) } }
        location /slow { content_by_lua_block { ngx.log(ngx.WARN, "slow started") ngx.sleep(0.3) ngx.say("slow done") } }
    }
}
`, port, certDir, certDir))
	base := fmt.Sprintf("https://127.0.0.1:%d", port)

	h1, h2 := tlsClient(t, "a.test.com", false), tlsClient(t, "a.test.com", true)
	if _, body := get(t, h1, base+"/"); body != "HTTP/1.1 on\n" {
		t.Errorf("HTTP/1.1: %q", body)
	}
	if resp, body := get(t, h2, base+"/"); resp.ProtoMajor != 2 || body != "HTTP/2.0 on\n" {
		t.Errorf("h2: %s %q", resp.Proto, body)
	}
	h2.CloseIdleConnections()

	// plain HTTP on the TLS port: net/http's answer and log line, as before
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if line != "HTTP/1.0 400 Bad Request\r\n" {
		t.Errorf("plain HTTP on the TLS port: %q", line)
	}
	// a handshake that fails
	tc, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}})
	if err == nil {
		tc.Close()
		t.Errorf("a handshake with no common cipher succeeded")
	}
	waitLog(t, prefix+"logs/error.log", "SSL_do_handshake() failed (client sent an HTTP request to an HTTPS server) while SSL handshaking")
	waitLog(t, prefix+"logs/error.log", "SSL_do_handshake() failed (tls: no cipher suite supported by both client and server")

	// an h2 request in flight when the generation retires completes
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := h2.Get(base + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	waitLog(t, prefix+"logs/error.log", "slow started")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g.shutdown(ctx)
	if r := <-done; r.err != nil || r.body != "slow done\n" {
		t.Errorf("h2 request over a retiring generation: %q %v", r.body, r.err)
	}
	for _, grp := range g.groups {
		if n := grp.fresh.Load(); n != 0 {
			t.Errorf("%s: %d connections still counted as fresh", grp.key, n)
		}
	}
}
