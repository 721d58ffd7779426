package httpserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

var certDir, _ = filepath.Abs("../t/cert")

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer writes conf (with %[1]d = plain port, %[2]d = TLS port,
// %[3]s = cert dir, %[4]d = backend port) into a prefix and serves it.
func startServer(t testing.TB, conf string, backend int) (plain, secure int, prefix string) {
	t.Helper()
	prefix = testPrefix(t)
	plain, secure = freePort(t), freePort(t)
	full := fmt.Sprintf("daemon off;\nerror_log logs/error.log debug;\nevents {}\nhttp {\n"+conf+"\n}\n", plain, secure, certDir, backend)
	g := startGeneration(t, prefix, full)
	t.Cleanup(g.close)
	return plain, secure, prefix
}

// testPrefix makes a server prefix (conf, logs, html) in a temporary
// directory.
func testPrefix(t testing.TB) string {
	prefix := t.TempDir() + "/"
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(prefix+d, 0o755)
	}
	return prefix
}

// startGeneration writes conf (a whole nginx.conf) into prefix, builds its
// generation and starts it; its sockets and error log are released at
// cleanup, after the test has stopped it (g.close or g.shutdown).
func startGeneration(t testing.TB, prefix, conf string) *generation {
	t.Helper()
	if err := os.WriteFile(prefix+"conf/nginx.conf", []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := confparse.Load(confparse.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	log, err := errlog.New(cfg.Main.ErrorLogs)
	if err != nil {
		t.Fatal(err)
	}
	socks := map[string]*socket{}
	t.Cleanup(func() {
		closeSockets(socks, nil)
		log.Close()
	})
	g, err := build(cfg, log, socks)
	if err != nil {
		t.Fatal(err)
	}
	g.start()
	return g
}

func tlsClient(t *testing.T, sni string, h2 bool) *http.Client {
	pem, err := os.ReadFile(certDir + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: sni}, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const vhostConf = `
    default_type text/plain;
    log_format tls '$ssl_server_name $ssl_protocol $ssl_session_reused $status $request';
    access_log logs/access.log tls;
    server {
        listen 127.0.0.1:%[2]d ssl http2;
        listen 127.0.0.1:%[1]d;
        server_name a.test.com;
        ssl_certificate %[3]s/ecdsa.crt;
        ssl_certificate_key %[3]s/ecdsa.key;
        ssl_certificate %[3]s/rsa.crt;
        ssl_certificate_key %[3]s/rsa.key;
        location / {
            content_by_lua_block {
                ngx.header["X-Multi"] = {"1", "2"}
                local rh = ngx.resp.get_headers()
                assert(type(rh["x-multi"]) == "table" and rh["x-multi"][2] == "2")
                ngx.say("a ", ngx.var.server_name, " ", ngx.var.scheme, " ", ngx.var.ssl_server_name,
                        " ", ngx.req.http_version(), " ", ngx.var.arg_x, " ", ngx.var.http_x_test)
            }
        }
        location = /exit { content_by_lua_block { ngx.exit(403) } }
        location = /status { content_by_lua_block { ngx.status = 202 ngx.print("s") ngx.exit(ngx.OK) } }
        location = /redirect { content_by_lua_block { ngx.redirect("/there", 301) } }
        location = /error { content_by_lua_block { error("boom") } }
        location = /body {
            client_max_body_size 10;
            content_by_lua_block {
                ngx.req.read_body()
                local args = ngx.req.get_post_args()
                ngx.say(ngx.req.get_body_data(), " ", args.k)
            }
        }
        location = /var {
            set $v "init";
            content_by_lua_block {
                ngx.var.v = "changed"
                ngx.say(ngx.var.v)
                local ok, err = pcall(function() ngx.var.nosuch = 1 end)
                ngx.say(ok, " ", err:match("variable \"nosuch\" not found for writing") ~= nil)
            }
        }
    }
    server {
        listen 127.0.0.1:%[2]d ssl default_server;
        server_name *.test.com;
        server_tokens off;
        ssl_certificate %[3]s/rsa.crt;
        ssl_certificate_key %[3]s/rsa.key;
        location / { return 200 "wild $host\n"; }
        location /r { return 302 /elsewhere; }
    }
`

func TestServeVhostsTLS(t *testing.T) {
	plain, secure, prefix := startServer(t, vhostConf, 0)
	ca := tlsClient(t, "a.test.com", false)
	resp, body := get(t, ca, fmt.Sprintf("https://127.0.0.1:%d/x?x=1", secure), "Host", "a.test.com", "X-Test", "yes")
	if body != "a a.test.com https a.test.com 1.1 1 yes\n" || resp.StatusCode != 200 {
		t.Errorf("a: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Values("X-Multi"); len(got) != 2 {
		t.Errorf("X-Multi %q", got)
	}
	if resp.Header.Get("Server") != "goresty/"+Version || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("headers %v", resp.Header)
	}
	if resp.TLS.PeerCertificates[0].PublicKeyAlgorithm.String() != "ECDSA" {
		t.Errorf("ECDSA client got %s", resp.TLS.PeerCertificates[0].PublicKeyAlgorithm)
	}
	// h2 on the same listener
	h2 := tlsClient(t, "a.test.com", true)
	resp, body = get(t, h2, fmt.Sprintf("https://127.0.0.1:%d/", secure), "Host", "a.test.com")
	if resp.ProtoMajor != 2 || !strings.HasPrefix(body, "a a.test.com https a.test.com 2 ") {
		t.Errorf("h2: %s %q", resp.Proto, body)
	}
	// SNI picks the wildcard server (and its certificate)
	cb := tlsClient(t, "b.test.com", false)
	resp, body = get(t, cb, fmt.Sprintf("https://127.0.0.1:%d/", secure), "Host", "b.test.com")
	if body != "wild b.test.com\n" {
		t.Errorf("b: %q", body)
	}
	resp, body = get(t, cb, fmt.Sprintf("https://127.0.0.1:%d/r", secure), "Host", "b.test.com")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != fmt.Sprintf("https://b.test.com:%d/elsewhere", secure) ||
		resp.Header.Get("Server") != "goresty" || !strings.Contains(body, "<hr><center>goresty</center>") {
		t.Errorf("redirect: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	// plain HTTP side by side
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, body = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/", plain))
	if !strings.HasPrefix(body, "a a.test.com http nil 1.1") {
		t.Errorf("plain: %q", body)
	}
	resp, body = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/exit", plain))
	if resp.StatusCode != 403 || !strings.Contains(body, "<title>403 Forbidden</title>") {
		t.Errorf("exit: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/status", plain))
	if resp.StatusCode != 202 || body != "s" {
		t.Errorf("status: %d %q", resp.StatusCode, body)
	}
	resp, _ = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/redirect", plain))
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/there" {
		t.Errorf("redirect: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/error", plain))
	if resp.StatusCode != 500 {
		t.Errorf("error: %d", resp.StatusCode)
	}
	resp, body = get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/var", plain))
	if body != "changed\nfalse true\n" {
		t.Errorf("var: %q", body)
	}
	r, err := hc.Post(fmt.Sprintf("http://127.0.0.1:%d/body", plain), "application/x-www-form-urlencoded", strings.NewReader("k=v"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if string(b) != "k=v v\n" {
		t.Errorf("body: %q", b)
	}
	r, err = hc.Post(fmt.Sprintf("http://127.0.0.1:%d/body", plain), "text/plain", strings.NewReader("0123456789abc"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 413 {
		t.Errorf("too large: %d", r.StatusCode)
	}
	time.Sleep(10 * time.Millisecond)
	al, _ := os.ReadFile(prefix + "logs/access.log")
	if !strings.Contains(string(al), "a.test.com TLSv1.3 . 200 GET /x?x=1 HTTP/1.1\n") || !strings.Contains(string(al), "- - - 403 GET /exit HTTP/1.1\n") {
		t.Errorf("access log:\n%s", al)
	}
	el, _ := os.ReadFile(prefix + "logs/error.log")
	if !strings.Contains(string(el), "content_by_lua(nginx.conf:") || !strings.Contains(string(el), "boom") {
		t.Errorf("error log:\n%s", el)
	}
}

func TestStaticAndProxy(t *testing.T) {
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "1")
		fmt.Fprintf(w, "%s %s host=%s xf=%s conn=%q", r.Method, r.RequestURI, r.Host, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Drop"))
	})}
	bl, _ := net.Listen("tcp", "127.0.0.1:0")
	go backend.Serve(bl)
	defer backend.Close()
	bport := bl.Addr().(*net.TCPAddr).Port
	dead := freePort(t)
	conf := fmt.Sprintf(`
    server {
        listen 127.0.0.1:%%[1]d;
        server_name localhost;
        location / { root html; index index.html; }
        location /app/ {
            proxy_pass http://127.0.0.1:%%[4]d/back/;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Drop "";
        }
        location /raw/ { proxy_pass http://127.0.0.1:%%[4]d; }
        location /dead/ { proxy_pass http://127.0.0.1:%d; }
    }`, dead)
	plain, _, prefix := startServer(t, conf, bport)
	os.WriteFile(prefix+"html/index.html", []byte("<h1>hi</h1>\n"), 0o644)
	os.WriteFile(prefix+"html/a.css", []byte("x{}"), 0o644)
	os.MkdirAll(prefix+"html/dir", 0o755)
	os.MkdirAll(prefix+"html/noindex", 0o755)
	os.WriteFile(prefix+"html/dir/index.html", []byte("dir"), 0o644)
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := fmt.Sprintf("http://127.0.0.1:%d", plain)
	resp, body := get(t, hc, base+"/")
	if body != "<h1>hi</h1>\n" || resp.Header.Get("Content-Type") != "text/html" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("index: %q %v", body, resp.Header)
	}
	resp, _ = get(t, hc, base+"/", "If-Modified-Since", resp.Header.Get("Last-Modified"))
	if resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, body = get(t, hc, base+"/a.css")
	if body != "x{}" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("css: %q %v", body, resp.Header)
	}
	resp, _ = get(t, hc, base+"/dir")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != base+"/dir/" {
		t.Errorf("dir: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, body = get(t, hc, base+"/dir/"); body != "dir" {
		t.Errorf("dir index: %q", body)
	}
	if resp, _ = get(t, hc, base+"/noindex/"); resp.StatusCode != 403 {
		t.Errorf("noindex: %d", resp.StatusCode)
	}
	if resp, _ = get(t, hc, base+"/missing"); resp.StatusCode != 404 {
		t.Errorf("missing: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("HEAD", base+"/", nil)
	r, err := hc.Do(req)
	if err != nil || r.StatusCode != 200 || r.ContentLength != 12 {
		t.Errorf("HEAD: %v %v", r, err)
	}
	resp, body = get(t, hc, base+"/app/x/y?q=1")
	want := fmt.Sprintf(`GET /back/x/y?q=1 host=127.0.0.1:%d xf=127.0.0.1 conn=""`, bport)
	if body != want || resp.Header.Get("X-Backend") != "1" || resp.Header.Get("Server") != "goresty/"+Version {
		t.Errorf("proxy: %q want %q, %v", body, want, resp.Header)
	}
	resp, body = get(t, hc, base+"/raw/a%20b?z")
	if !strings.HasPrefix(body, "GET /raw/a%20b?z ") {
		t.Errorf("raw proxy: %q", body)
	}
	resp, _ = get(t, hc, base+"/dead/")
	if resp.StatusCode != 502 {
		t.Errorf("dead upstream: %d", resp.StatusCode)
	}
	el, _ := os.ReadFile(prefix + "logs/error.log")
	for _, s := range []string{"directory index of \"" + prefix + "html/noindex/\" is forbidden", "open() \"" + prefix + "html/missing\" failed (2: No such file or directory)", "connect() failed (111: Connection refused) while connecting to upstream"} {
		if !strings.Contains(string(el), s) {
			t.Errorf("error log lacks %q:\n%s", s, el)
		}
	}
}

// "listen PORT" and "listen [::]:PORT" coexist (IPv4 only / IPv6 only, as
// nginx), and a unix socket serves too.
func TestListenFamiliesAndUnix(t *testing.T) {
	sock := t.TempDir() + "/s.sock"
	conf := `
    server {
        listen %[1]d;
        listen [::1]:%[1]d;
        listen unix:` + sock + `;
        location / { return 200 "$remote_addr\n"; }
    }`
	plain, _, _ := startServer(t, conf, 0)
	hc := &http.Client{Timeout: 5 * time.Second}
	if _, body := get(t, hc, fmt.Sprintf("http://127.0.0.1:%d/", plain)); body != "127.0.0.1\n" {
		t.Errorf("v4: %q", body)
	}
	if _, body := get(t, hc, fmt.Sprintf("http://[::1]:%d/", plain)); body != "::1\n" {
		t.Errorf("v6: %q", body)
	}
	uc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	if _, body := get(t, uc, "http://x/"); body != "unix:\n" {
		t.Errorf("unix: %q", body)
	}
}
