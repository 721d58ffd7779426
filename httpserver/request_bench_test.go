package httpserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// benchWriter is the smallest http.ResponseWriter: a header map reused
// across requests, the status, the body bytes counted.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

// benchServer writes conf into a new prefix (conf/, logs/, html/) and
// starts the generation it configures, closed when b ends.
func benchServer(b *testing.B, conf string) (*generation, string) {
	prefix := b.TempDir() + "/"
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(prefix+d, 0o755)
	}
	os.WriteFile(prefix+"conf/nginx.conf", []byte(conf), 0o644)
	cfg, err := confparse.Load(confparse.Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	log, _ := errlog.New(cfg.Main.ErrorLogs)
	socks := map[string]*socket{}
	g, err := build(cfg, log, socks)
	if err != nil {
		b.Fatal(err)
	}
	g.start()
	b.Cleanup(func() { g.close(); closeSockets(socks, nil); log.Close() })
	return g, prefix
}

// benchHandler builds a generation from bench/'s "requests" locations
// (access_log off, error_log warn, keepalive_requests 1000000) and returns
// its handler for the TLS address.
func benchHandler(b *testing.B) *handler {
	g, prefix := benchServer(b, fmt.Sprintf(`daemon off;
error_log logs/error.log warn;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%d ssl http2;
        server_name test.com;
        ssl_certificate %s/ecdsa.crt;
        ssl_certificate_key %s/ecdsa.key;
        keepalive_requests 1000000;
        location = /static.txt {
            root html;
        }
        location = /lua {
            content_by_lua_block {
                ngx.say("ok")
            }
        }
        location / {
            return 200 "ok\n";
        }
    }
}
`, freePort(b), certDir, certDir))
	os.WriteFile(prefix+"html/static.txt", []byte("ok\n"), 0o644)
	return &handler{g: g, grp: g.groups[0]}
}

// benchServe drives ServeHTTP with keep-alive HTTPS requests for path on
// one connection (HTTP/1.1, or HTTP/2 with h2), no network: what goresty
// itself spends per request after the HTTP server has parsed it.
func benchServe(b *testing.B, path string, h2 bool) {
	startGCFloor() // as the server runs (the collector's pace depends on it)
	h := benchHandler(b)
	qc := &quietConn{id: 1}
	ctx := context.WithValue(context.Background(), connKey{}, qc)
	cs := &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true, ServerName: "test.com"}
	proto, major := "HTTP/1.1", 1
	if h2 {
		proto, major = "HTTP/2.0", 2
	}
	w := &benchWriter{h: http.Header{}}
	// the request is copied from a template each time (no allocation
	// here: what the benchmark counts is the handler's)
	u := &url.URL{Path: path}
	tmpl := (&http.Request{Method: "GET", URL: u, Proto: proto, ProtoMajor: major, ProtoMinor: 1,
		Header: http.Header{"User-Agent": {"wrk"}}, Host: "test.com", RemoteAddr: "127.0.0.1:40000",
		RequestURI: path, TLS: cs, Body: http.NoBody}).WithContext(ctx)
	var r http.Request
	run := func() {
		r = *tmpl
		*u = url.URL{Path: path}
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, &r)
		if w.status != http.StatusOK || w.n != 3 {
			b.Fatalf("%s: status %d, %d bytes", path, w.status, w.n)
		}
	}
	run()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		run()
	}
	// the process's CPU time per request (all goroutines: the Lua worker's
	// too), steadier than ns/op on a shared machine
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkServeLua(b *testing.B)      { benchServe(b, "/lua", false) }
func BenchmarkServeStatic(b *testing.B)   { benchServe(b, "/static.txt", false) }
func BenchmarkServeLuaH2(b *testing.B)    { benchServe(b, "/lua", true) }
func BenchmarkServeStaticH2(b *testing.B) { benchServe(b, "/static.txt", true) }

// TestStaticPlainMatchesServeContent: a plain GET or HEAD of a static file
// (answered by serveOpen itself) has the headers and body http.ServeContent
// gives the same request with a precondition that holds.
func TestStaticPlainMatchesServeContent(t *testing.T) {
	_, port, prefix := startServer(t, `
    server {
        listen 127.0.0.1:%[2]d ssl;
        ssl_certificate %[3]s/ecdsa.crt;
        ssl_certificate_key %[3]s/ecdsa.key;
        location / { root html; }
    }`, 0)
	os.WriteFile(prefix+"html/a.html", []byte("<p>static</p>\n"), 0o644)
	c := tlsClient(t, "test.com", false)
	url := fmt.Sprintf("https://127.0.0.1:%d/a.html", port)
	for _, method := range []string{"GET", "HEAD"} {
		var hs [2]http.Header
		var bodies [2]string
		for i, hdr := range [][]string{nil, {"If-None-Match", `"other"`}} {
			req, _ := http.NewRequest(method, url, nil)
			if hdr != nil {
				req.Header.Set(hdr[0], hdr[1])
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s %v: status %d", method, hdr, resp.StatusCode)
			}
			resp.Header.Del("Date")
			hs[i], bodies[i] = resp.Header, string(b)
		}
		if !reflect.DeepEqual(hs[0], hs[1]) || bodies[0] != bodies[1] {
			t.Errorf("%s: plain %v %q, through ServeContent %v %q", method, hs[0], bodies[0], hs[1], bodies[1])
		}
		for _, k := range []string{"Etag", "Last-Modified", "Content-Length", "Accept-Ranges", "Content-Type"} {
			if hs[0].Get(k) == "" {
				t.Errorf("%s: no %s in %v", method, k, hs[0])
			}
		}
	}
}
