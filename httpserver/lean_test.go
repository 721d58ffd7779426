package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/goresty/goresty/confparse"
)

// seenRequest is what a handler sees of a request, for comparing the lean
// parser with net/http's.
type seenRequest struct {
	Method, RequestURI, Proto, Host string
	Major, Minor                    int
	URL                             url.URL
	Header                          http.Header
	Close                           bool
	ContentLength                   int64
}

func see(r *http.Request) seenRequest {
	return seenRequest{Method: r.Method, RequestURI: r.RequestURI, Proto: r.Proto, Host: r.Host,
		Major: r.ProtoMajor, Minor: r.ProtoMinor, URL: *r.URL, Header: r.Header, Close: r.Close,
		ContentLength: r.ContentLength}
}

// netHTTPParse is what net/http's server makes of raw: the request its
// handler gets, or false when it answers by itself.
func netHTTPParse(t testing.TB, raw []byte) (seenRequest, bool) {
	got := make(chan seenRequest, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- see(r)
	}), ErrorLog: nil}
	cl, sv := net.Pipe()
	ln := newHandoff(sv.LocalAddr())
	go srv.Serve(ln)
	defer srv.Close()
	go ln.hand(sv)
	go func() {
		cl.Write(raw)
	}()
	cl.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(cl), nil)
	cl.Close()
	if err != nil {
		t.Fatalf("net/http on %q: %v", raw, err)
	}
	select {
	case r := <-got:
		return r, true
	default:
		if resp.StatusCode < 400 {
			t.Fatalf("net/http on %q: %d without calling the handler", raw, resp.StatusCode)
		}
		return seenRequest{}, false
	}
}

func leanParse(raw []byte) (seenRequest, bool) {
	end := headerEnd(raw)
	if end < 0 {
		return seenRequest{}, false
	}
	var r http.Request
	var u url.URL
	var lr leanRequest
	if !parseLeanRequest(raw[:end], &r, &u, &lr) {
		return seenRequest{}, false
	}
	return see(&r), true
}

// checkSameParse: whatever the lean parser takes, net/http takes into the
// same request, but for header names: the lean parser takes a line
// without a colon as a name without a value and ignores the lines whose
// names nginx ignores (headernames.go), so net/http is given the block
// with those lines written as it takes them.
func checkSameParse(t testing.TB, raw []byte) bool {
	lean, ok := leanParse(raw)
	if !ok {
		return false
	}
	std, ok := netHTTPParse(t, nginxNames(raw))
	if !ok {
		t.Fatalf("lean parser took %q, net/http refuses it", raw)
	}
	if !reflect.DeepEqual(lean, std) {
		t.Fatalf("%q:\nlean     %+v\nnet/http %+v", raw, lean, std)
	}
	return true
}

// nginxNames rewrites raw's header lines as nginx takes them: a line
// without a colon gets one, a line whose name nginx ignores goes.
func nginxNames(raw []byte) []byte {
	end := headerEnd(raw)
	lines := strings.Split(string(raw[:end-4]), "\r\n")
	out := []string{lines[0]}
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if headerNameKind(name, confparse.HeaderNames{}) == nameInvalid {
			continue
		}
		if !ok {
			l += ":"
		}
		out = append(out, l)
	}
	return append([]byte(strings.Join(out, "\r\n")+"\r\n\r\n"), raw[end:]...)
}

func TestLeanParseAsNetHTTP(t *testing.T) {
	taken := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /x/y.html?a=1&b=%20 HTTP/1.1\r\nHost: a.example:8443\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
		"GET /a%20b/%2F?q HTTP/1.1\r\nhost: a\r\nx-one: 1\r\nX-One: 2\r\nx-weird_name: v\r\n\r\n",
		"GET /p? HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /p?a?b? HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET //double//slash HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /é HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /x HTTP/1.0\r\n\r\n",
		"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, close\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
		"DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"PROPFIND /x HTTP/1.1\r\nHost: [::1]:80\r\nX:   spaced\t \r\nY:\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: b=2\r\nV: ü-obs-text\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n",
		// names nginx ignores, a name without a colon
		"GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\nX.Y: 2\r\nNoColon\r\nX-Ok: 3\r\n\r\n",
	}
	for _, raw := range taken {
		if !checkSameParse(t, []byte(raw)) {
			t.Errorf("lean parser refused %q", raw)
		}
	}
	// each of these goes to net/http (whatever it makes of it)
	handed := []string{
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nExpect: something\r\nContent-Length: 0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	for _, raw := range handed {
		if checkSameParse(t, []byte(raw)) {
			t.Errorf("lean parser took %q", raw)
		}
	}
}

func FuzzLeanParse(f *testing.F) {
	f.Add([]byte("GET /a?b HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"))
	f.Add([]byte("GET /%41 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
	f.Add([]byte("HEAD / HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\npragma: no-cache\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 2048 {
			return
		}
		checkSameParse(t, raw)
	})
}

// leanOver serves the requests in raw on a lean connection over a pipe
// with handler h and returns everything written back until the
// connection closed.
func leanOver(t *testing.T, h http.Handler, raw string) string {
	t.Helper()
	cl, sv := net.Pipe()
	inner := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().(*leanCtx); ok {
			leanServed.Add(1)
		}
		inner.ServeHTTP(w, r)
	})
	grp := &addrGroup{def: &vserver{conf: &confparse.ServerConf{}}, srv: &http.Server{Handler: h}}
	grp.def.conf.KeepaliveTimeout = time.Minute
	grp.h1 = newHandoff(sv.LocalAddr())
	defer grp.h1.Close()
	go grp.srv.Serve(grp.h1)
	defer grp.srv.Close()
	qc := &quietConn{Conn: sv}
	qc.scanVal.init()
	qc.scan = &qc.scanVal
	lc := &leanConn{c: qc, wire: sv, qc: qc, grp: grp, h: h}
	grp.lean.add(lc)
	go lc.start()
	return exchange(t, cl, raw)
}

// netHTTPOver is leanOver with net/http serving.
func netHTTPOver(t *testing.T, h http.Handler, raw string) string {
	t.Helper()
	cl, sv := net.Pipe()
	srv := &http.Server{Handler: h}
	ln := newHandoff(sv.LocalAddr())
	go srv.Serve(ln)
	defer srv.Close()
	go ln.hand(sv)
	return exchange(t, cl, raw)
}

func exchange(t *testing.T, c net.Conn, raw string) string {
	t.Helper()
	go func() {
		c.Write([]byte(raw))
	}()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil && err != io.ErrClosedPipe {
		t.Fatalf("reading the answer to %q: %v (after %q)", raw, err, b)
	}
	return dateLine.ReplaceAllString(string(b), "Date: D\r\n")
}

var leanServed atomic.Int64

var dateLine = regexp.MustCompile(`Date: [^\r]*\r\n`)

// TestLeanAnswersAsNetHTTP: the same handlers, the same requests, the
// same bytes back from the lean loop and from net/http.
// answerHandlers are handlers that use every part of the
// ResponseWriter (TestLeanAnswersAsNetHTTP, TestH2AnswersAsNetHTTP).
func answerHandlers() map[string]http.HandlerFunc {
	big := strings.Repeat("0123456789abcdef", 300)
	return map[string]http.HandlerFunc{
		"small": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok\n")
		},
		"sniffed": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hi</html>") },
		"empty":   func(w http.ResponseWriter, r *http.Request) {},
		"big": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; i < 3; i++ {
				w.Write([]byte(big))
			}
		},
		"pieces": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; i < 200; i++ {
				fmt.Fprintf(w, "line %d\n", i)
			}
		},
		"flushed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
		},
		"declared": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("X-Multi", "a\r\nb")
			w.WriteHeader(201)
			w.Header().Set("X-After", "not sent")
			io.WriteString(w, "hello")
		},
		"short": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "hello")
		},
		"204": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(204)
			io.WriteString(w, "dropped")
		},
		"304": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "3")
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(304)
		},
		"103": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(103)
			io.WriteString(w, "body")
		},
		"close": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		},
		"identity": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Transfer-Encoding", "identity")
			io.WriteString(w, "raw")
			w.(http.Flusher).Flush()
		},
		"abort": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		},
		"readall": func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%d %q %v", r.ContentLength, b, err)
		},
		"readsome": func(w http.ResponseWriter, r *http.Request) {
			var b [3]byte
			n, err := r.Body.Read(b[:])
			fmt.Fprintf(w, "%q %v", b[:n], err)
		},
		"closebody": func(w http.ResponseWriter, r *http.Request) {
			err := r.Body.Close()
			_, err2 := r.Body.Read(make([]byte, 1))
			fmt.Fprintf(w, "%v %v", err, err2)
		},
		"fields": func(w http.ResponseWriter, r *http.Request) {
			h := w.Header() // kept: changed after WriteHeader below
			h["Date"] = nil // no Date
			h["X-Empty"] = []string{}
			h["Content-Type"] = nil // no sniffing either
			h.Add("X-B", "2")
			h.Add("X-A", "1")
			h.Add("X-B", "1")
			h.Set("Connection", "keep-alive, Close")
			w.WriteHeader(200)
			h.Set("X-After", "not sent")
			h.Del("X-A")
			io.WriteString(w, "<html>x</html>")
		},
		"echo": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s %q %v %d %s", r.Method, r.URL, r.Host, r.Close, r.ContentLength, r.Header.Get("X"))
		},
	}
}

func TestLeanAnswersAsNetHTTP(t *testing.T) {
	handlers := answerHandlers()
	requests := []string{
		"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"HEAD /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET /a HTTP/1.0\r\n\r\n",
		"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\nGET /b?c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
		"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"POST /a HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.0\r\n\r\n",
		"PUT /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("x", 300000) + "GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	}
	for name, h := range handlers {
		leanServed.Store(0)
		for _, raw := range requests {
			want := netHTTPOver(t, h, raw)
			if got := leanOver(t, h, raw); got != want {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				from := max(0, i-80)
				t.Errorf("%s, %q: differ at byte %d:\nlean     %q\nnet/http %q", name, raw, i,
					got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
			}
		}
		// at least the first request of each connection
		if n := leanServed.Load(); n < int64(len(requests)) {
			t.Errorf("%s: the lean loop served %d requests, want %d or more", name, n, len(requests))
		}
	}
}

// batchConn holds what is written while batching, to send it in one
// segment.
type batchConn struct {
	net.Conn
	batching bool
	buf      bytes.Buffer
}

func (c *batchConn) Write(b []byte) (int, error) {
	if c.batching {
		return c.buf.Write(b)
	}
	return c.Conn.Write(b)
}

// TestLeanTLSRecordsTogether: two requests in two TLS records that reach
// the server in one segment are both answered (the second waits in
// crypto/tls's buffer, where the poller does not see it).
func TestLeanTLSRecordsTogether(t *testing.T) {
	if !tlsInputKnown {
		t.Fatal("crypto/tls's input buffers were not found: the lean loop cannot tell when to wait on the socket")
	}
	_, secure, _ := startServer(t, `
    server {
        listen 127.0.0.1:%[2]d ssl;
        ssl_certificate %[3]s/ecdsa.crt;
        ssl_certificate_key %[3]s/ecdsa.key;
        location / { content_by_lua_block { ngx.say(ngx.var.request_uri) } }
    }`, 0)
	for _, proto := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", secure))
		if err != nil {
			t.Fatal(err)
		}
		bc := &batchConn{Conn: raw}
		c := tls.Client(bc, &tls.Config{InsecureSkipVerify: true, MaxVersion: proto, MinVersion: proto})
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		for round := 0; round < 3; round++ {
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			bc.batching = true
			for i := 0; i < 2; i++ {
				fmt.Fprintf(c, "GET /%d/%d HTTP/1.1\r\nHost: a\r\n\r\n", round, i)
			}
			bc.batching = false
			if _, err := raw.Write(bc.buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			bc.buf.Reset()
			for i := 0; i < 2; i++ {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("TLS %x round %d, answer %d: %v", proto, round, i, err)
				}
				body, _ := io.ReadAll(resp.Body)
				if want := fmt.Sprintf("/%d/%d\n", round, i); string(body) != want {
					t.Errorf("TLS %x: %q, want %q", proto, body, want)
				}
			}
		}
		c.Close()
	}
}

// TestLeanShutdown: a retiring generation closes its idle keep-alive
// connections at once, lets a request in flight finish (its connection
// then closed), and hands a connection over to net/http mid-way (a body)
// without losing the request.
func TestLeanShutdown(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(`daemon off;
error_log logs/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%d;
        location / { content_by_lua_block { ngx.req.read_body() ngx.say("got ", ngx.req.get_body_data()) } }
        location /slow { content_by_lua_block { ngx.log(ngx.WARN, "slow started") ngx.sleep(0.3) ngx.say("slow done") } }
    }
}
`, port))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	ask := func(c net.Conn, br *bufio.Reader, req string) string {
		t.Helper()
		io.WriteString(c, req)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// an idle keep-alive connection (the lean loop's), one handed to net/http
	idle, idleR := dial()
	if got := ask(idle, idleR, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); got != "got nil\n" {
		t.Errorf("lean: %q", got)
	}
	handed, handedR := dial()
	if got := ask(handed, handedR, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"); got != "got hi\n" {
		t.Errorf("net/http: %q", got)
	}
	busy, busyR := dial()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	waitLog(t, prefix+"logs/error.log", "slow started")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		g.shutdown(ctx)
		close(stopped)
	}()
	for name, c := range map[string]*bufio.Reader{"idle lean": idleR, "idle net/http": handedR} {
		if b, err := c.ReadByte(); err != io.EOF {
			t.Errorf("%s connection after shutdown: %q, %v; want EOF", name, b, err)
		}
	}
	resp, err := http.ReadResponse(busyR, nil)
	if err != nil {
		t.Fatalf("request in flight: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "slow done\n" {
		t.Errorf("request in flight: %q", b)
	}
	if _, err := busyR.ReadByte(); err != io.EOF {
		t.Errorf("the busy connection after its response: %v, want EOF", err)
	}
	<-stopped
	for _, grp := range g.groups {
		if n := grp.fresh.Load(); n != 0 {
			t.Errorf("%s: %d connections still counted as fresh", grp.key, n)
		}
	}
}

// BenchmarkLeanParse: a request with Host alone (wrk's) and a browser's.
func BenchmarkLeanParse(b *testing.B) {
	for name, raw := range map[string]string{
		"host": "GET /lua HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n",
		"browser": "GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\n" +
			"Accept: text/html,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
			"Connection: keep-alive\r\nCookie: a=b; c=d\r\nUpgrade-Insecure-Requests: 1\r\n\r\n",
	} {
		b.Run(name, func(b *testing.B) {
			hb := []byte(raw)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var r http.Request
				var u url.URL
				var lr leanRequest
				if !parseLeanRequest(hb, &r, &u, &lr) {
					b.Fatal("not parsed")
				}
			}
		})
	}
}

// TestValidFieldValue: the word-at-a-time check answers as the byte loop
// (httpguts.ValidHeaderFieldValue's rule) for every byte at every place
// of values up to 19 bytes long (two words and a tail).
func TestValidFieldValue(t *testing.T) {
	for n := 1; n < 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				if got, want := validFieldValue(string(b)), httpguts.ValidHeaderFieldValue(string(b)); got != want {
					t.Fatalf("validFieldValue(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
