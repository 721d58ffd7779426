package httpserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// loadConf writes an nginx.conf with the given http block into a fresh
// prefix and loads it.
func loadConf(t *testing.T, prefix, httpBlock string) *confparse.Config {
	t.Helper()
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(prefix+d, 0o755)
	}
	full := "daemon off;\nerror_log logs/error.log info;\nevents {}\nhttp {\n" + httpBlock + "\n}\n"
	if err := os.WriteFile(prefix+"conf/nginx.conf", []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := confparse.Load(confparse.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// An idle pooled cosocket connection (setkeepalive) is closed when its
// generation stops, not left open until the keepalive timeout.
func TestShutdownClosesCosocketPools(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := backend.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	port := freePort(t)
	prefix := t.TempDir() + "/"
	cfg := loadConf(t, prefix, fmt.Sprintf(`
    access_log off;
    server {
        listen 127.0.0.1:%d;
        location / {
            content_by_lua_block {
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", %d))
                assert(sock:setkeepalive(60000, 10))
                ngx.print("pooled")
            }
        }
    }`, port, backend.Addr().(*net.TCPAddr).Port))
	log, _ := errlog.New(cfg.Main.ErrorLogs)
	defer log.Close()
	socks := map[string]*socket{}
	g, err := build(cfg, log, socks)
	if err != nil {
		t.Fatal(err)
	}
	g.start()
	_, body := get(t, noKeepAlive(), fmt.Sprintf("http://127.0.0.1:%d/", port))
	if body != "pooled" {
		t.Fatalf("body %q", body)
	}
	var bc net.Conn
	select {
	case bc = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("backend saw no connection")
	}
	defer bc.Close()
	g.detach()
	closeSockets(socks, nil)
	g.shutdown(context.Background())
	bc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := bc.Read(make([]byte, 1))
	if err == nil || n != 0 {
		t.Fatalf("pooled connection still open after shutdown: n=%d err=%v", n, err)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("pooled connection still open 5s after shutdown")
	}
}

// After a reload, dicts the new configuration dropped are freed; kept ones
// keep their contents; ssl_session_cache shared zones count as dicts.
func TestRetainDictsAfterReload(t *testing.T) {
	prefix := t.TempDir() + "/"
	port := freePort(t)
	conf := func(dicts, cache string) *confparse.Config {
		return loadConf(t, prefix, fmt.Sprintf(`
    %s
    ssl_session_cache %s;
    server { listen 127.0.0.1:%d; location / { return 200; } }`, dicts, cache, port))
	}
	cfg1 := conf("lua_shared_dict rt_keep 1m; lua_shared_dict rt_drop 1m;", "shared:rt_sess:1m")
	names := dictNames(cfg1)
	want := map[string]bool{"rt_keep": true, "rt_drop": true, "ssl_session_cache:rt_sess": true}
	for _, n := range names {
		delete(want, n)
	}
	if len(want) != 0 {
		t.Fatalf("dictNames(cfg1) = %v, missing %v", names, want)
	}
	keep := shdict.Default.Open("rt_keep", 1<<20)
	keep.Set("k", shdict.StringValue("v"), 0, 0)
	shdict.Default.Open("rt_drop", 1<<20)
	shdict.Default.Open("ssl_session_cache:rt_sess", 1<<20)

	cfg2 := conf("lua_shared_dict rt_keep 1m;", "off")
	retainDicts(cfg2)
	if d := shdict.Default.Get("rt_drop"); d != nil {
		t.Error("rt_drop survived a reload without it")
	}
	if d := shdict.Default.Get("ssl_session_cache:rt_sess"); d != nil {
		t.Error("the shared session cache survived a reload without it")
	}
	d := shdict.Default.Get("rt_keep")
	if d != keep {
		t.Fatal("rt_keep was replaced")
	}
	if v, ok := d.GetString("k"); !ok || v != "v" {
		t.Errorf("rt_keep lost its contents: %q %v", v, ok)
	}
}

func noKeepAlive() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// error_log in a server and in a location: the request's lines go to the
// innermost level's log only.
func TestLevelErrorLogs(t *testing.T) {
	plain, _, prefix := startServer(t, `
    access_log off;
    server {
        listen 127.0.0.1:%[1]d;
        error_log logs/srv.log warn;
        location /own/ { error_log logs/loc.log; }
        location / { }
    }`, 0)
	c := noKeepAlive()
	get(t, c, fmt.Sprintf("http://127.0.0.1:%d/own/a.html", plain))
	get(t, c, fmt.Sprintf("http://127.0.0.1:%d/b.html", plain))
	read := func(name string) string { b, _ := os.ReadFile(prefix + "logs/" + name); return string(b) }
	for _, c := range []struct{ file, has, hasnt string }{
		{"loc.log", "/own/a.html\" failed", "/b.html"},
		{"srv.log", "/b.html\" failed", "/own/a.html"},
		{"error.log", "", "failed (2:"},
	} {
		log := read(c.file)
		if c.has != "" && !strings.Contains(log, c.has) || strings.Contains(log, c.hasnt) {
			t.Errorf("%s:\n%s", c.file, log)
		}
	}
}
