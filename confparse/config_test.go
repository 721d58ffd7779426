package confparse

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// writeConf writes files (name -> text) under a new prefix with conf/ and
// logs/ directories and returns the prefix (with a trailing slash).
func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"conf", "logs", "html"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir + "/"
}

func mustLoad(t *testing.T, prefix string, opts ...func(*Options)) *Config {
	t.Helper()
	o := Options{Prefix: prefix}
	for _, f := range opts {
		f(&o)
	}
	cfg, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testNginxConf is shaped like the file Test::Nginx generates for a test.
const testNginxConf = `worker_processes  1;
daemon on;
master_process off;
error_log PREFIX/logs/error.log debug;
pid       PREFIX/logs/nginx.pid;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env LD_PRELOAD;
env TEST_NGINX_FOO=bar;

http {
    access_log PREFIX/logs/access.log;
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68000ms;
    client_body_temp_path PREFIX/client_body_temp;
    proxy_temp_path PREFIX/proxy_temp;
    fastcgi_temp_path PREFIX/fastcgi_temp;
    scgi_temp_path PREFIX/scgi_temp;
    uwsgi_temp_path PREFIX/uwsgi_temp;
    resolver 127.0.0.53 ipv6=off;
    server_tokens off;

    lua_package_path "PREFIX/lib/?.lua;;";
    lua_shared_dict dogs 1m;

    server {
        listen          1984;
        server_name     'localhost';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;

        # Begin preamble config...
        # End preamble config...

        # Begin test case config...
        location = /t {
            set $foo "bar";
            content_by_lua_block {
                ngx.say(ngx.var.foo)
            }
        }
        # End test case config.

        location / {
            root PREFIX/html;
            index index.html index.htm;
        }
    }
}

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  64;
}
env ASAN_OPTIONS;
`

func TestTestNginxShaped(t *testing.T) {
	prefix := writeConf(t, nil)
	text := strings.ReplaceAll(testNginxConf, "PREFIX/", prefix)
	if err := os.WriteFile(prefix+"conf/nginx.conf", []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, prefix, func(o *Options) { o.ConfFile = prefix + "conf/nginx.conf"; o.ErrorLog = prefix + "logs/error.log" })
	m := cfg.Main
	if m.WorkerProcesses != 1 || !m.Daemon || m.MasterProcess {
		t.Errorf("main = %+v", m)
	}
	if m.PID != prefix+"logs/nginx.pid" {
		t.Errorf("pid = %q", m.PID)
	}
	if !reflect.DeepEqual(m.ErrorLogs, []errlog.Target{{Path: prefix + "logs/error.log", Level: errlog.Debug}}) {
		t.Errorf("error logs = %+v", m.ErrorLogs)
	}
	if len(m.Env) != 5 || m.Env[3] != (EnvVar{Name: "TEST_NGINX_FOO", Value: "bar", Set: true}) || m.Env[4].Name != "ASAN_OPTIONS" {
		t.Errorf("env = %+v", m.Env)
	}
	if cfg.Events.WorkerConnections != 64 {
		t.Errorf("worker_connections = %d", cfg.Events.WorkerConnections)
	}
	h := cfg.HTTP
	if h.KeepaliveTimeout != 68*time.Second || h.DefaultType != "text/plain" || h.ServerTokens {
		t.Errorf("http settings = %+v", h.Settings)
	}
	if !reflect.DeepEqual(h.Resolver, []string{"127.0.0.53:53"}) || h.ResolverIPv6 {
		t.Errorf("resolver = %v ipv6=%v", h.Resolver, h.ResolverIPv6)
	}
	if !strings.HasPrefix(h.LuaPackagePath, prefix+"lib/?.lua;./?.lua;") || strings.Contains(h.LuaPackagePath, ";;") {
		t.Errorf("lua_package_path = %q", h.LuaPackagePath)
	}
	if len(h.SharedDicts) != 1 || h.SharedDicts[0].Name != "dogs" || h.SharedDicts[0].Size != 1<<20 {
		t.Errorf("shared dicts = %+v", h.SharedDicts)
	}
	if len(h.Servers) != 1 {
		t.Fatalf("servers = %d", len(h.Servers))
	}
	s := h.Servers[0]
	if !reflect.DeepEqual(s.Names, []string{"localhost"}) || len(s.Listens) != 1 || s.Listens[0].Addr != ":1984" || s.Listens[0].Network != "tcp" {
		t.Errorf("server = %+v", s)
	}
	if s.ClientMaxBodySize != 30<<20 {
		t.Errorf("client_max_body_size = %d", s.ClientMaxBodySize)
	}
	if len(s.Locations) != 2 {
		t.Fatalf("locations = %d", len(s.Locations))
	}
	lt, lr := s.Locations[0], s.Locations[1]
	if lt.Modifier != "=" || lt.Path != "/t" || lt.Content == nil || lt.Content.Name != "content_by_lua(nginx.conf:41)" {
		t.Errorf("location /t = %+v %+v", lt, lt.Content)
	}
	if len(lt.Rewrite) != 1 || *lt.Rewrite[0].Set != (SetVar{Name: "foo", Value: "bar"}) {
		t.Errorf("rewrite = %+v", lt.Rewrite)
	}
	if lr.Root != prefix+"html" || !reflect.DeepEqual(lr.Index, []string{"index.html", "index.htm"}) {
		t.Errorf("location / = %+v", lr.Settings)
	}
	if lt.ClientMaxBodySize != 30<<20 || lt.KeepaliveTimeout != 68*time.Second || lt.ServerTokens {
		t.Errorf("location /t did not inherit: %+v", lt.Settings)
	}
	if len(lt.AccessLogs) != 1 || lt.AccessLogs[0].Path != prefix+"logs/access.log" || lt.AccessLogs[0].Format != "combined" {
		t.Errorf("access logs = %+v", lt.AccessLogs)
	}
	if len(cfg.Files) != 1 || cfg.Files[0].Text != text {
		t.Errorf("files = %d", len(cfg.Files))
	}
}

func TestDefaults(t *testing.T) {
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": "events {}\nhttp { server { location / { } } }\n"})
	cfg := mustLoad(t, prefix)
	m := cfg.Main
	if m.WorkerProcesses != 1 || !m.Daemon || !m.MasterProcess || m.PID != prefix+"logs/nginx.pid" {
		t.Errorf("main = %+v", m)
	}
	if !reflect.DeepEqual(m.ErrorLogs, []errlog.Target{{Path: prefix + "logs/error.log", Level: errlog.Error}}) {
		t.Errorf("error logs = %+v", m.ErrorLogs)
	}
	if cfg.Events.WorkerConnections != 512 {
		t.Errorf("worker_connections = %d", cfg.Events.WorkerConnections)
	}
	h := cfg.HTTP
	if h.LuaMaxPendingTimers != 1024 || h.LuaMaxRunningTimers != 256 || h.LuaHookTimeout != time.Second ||
		h.LuaSocketConnectTimeout != time.Minute || h.LuaSocketReadTimeout != time.Minute ||
		h.LuaSocketSendTimeout != time.Minute || h.LuaSocketPoolSize != 30 || h.LuaSocketKeepalive != time.Minute ||
		h.LuaSSLVerifyDepth != 1 || h.ResolverTimeout != 30*time.Second || !h.ResolverIPv6 {
		t.Errorf("http lua defaults = %+v", h)
	}
	if h.LuaPackagePath != defaultLuaPath || h.LuaPackageCPath != defaultLuaCPath {
		t.Errorf("lua paths = %q %q", h.LuaPackagePath, h.LuaPackageCPath)
	}
	if h.LogFormats["combined"] == "" {
		t.Errorf("no combined log format")
	}
	s := h.Servers[0]
	wantListen := ":8000"
	if os.Geteuid() == 0 {
		wantListen = ":80"
	}
	if len(s.Listens) != 1 || s.Listens[0].Addr != wantListen || !reflect.DeepEqual(s.Names, []string{""}) {
		t.Errorf("server = %+v", s)
	}
	l := s.Locations[0]
	want := Settings{
		Root: prefix + "html", Index: []string{"index.html"}, DefaultType: "text/plain",
		KeepaliveTimeout: 75 * time.Second, KeepaliveRequests: 1000, ClientMaxBodySize: 1 << 20, ServerTokens: true,
		AbsoluteRedirect: true, PortInRedirect: true,
		AccessLogs:          []AccessLog{{Path: prefix + "logs/access.log", Format: "combined"}},
		ErrorLogs:           m.ErrorLogs,
		ProxyConnectTimeout: time.Minute, ProxyReadTimeout: time.Minute, ProxySendTimeout: time.Minute, SendTimeout: time.Minute,
		ProxyHTTPVersion: "1.0", ProxyNextUpstream: []string{"error", "timeout"},
		ProxySSL:             &ProxySSL{VerifyDepth: 1, Protocols: []string{"TLSv1.2", "TLSv1.3"}, SessionReuse: true},
		ClientBodyBufferSize: 16 << 10, ClientBodyInFileOnly: "off", ClientBodyTempPath: prefix + "client_body_temp",
	}
	if !reflect.DeepEqual(l.Settings, want) {
		t.Errorf("location settings\n got %+v\nwant %+v", l.Settings, want)
	}
	ssl := s.SSL
	if !reflect.DeepEqual(ssl.Protocols, []string{"TLSv1.2", "TLSv1.3"}) || ssl.ECDHCurve != "auto" ||
		ssl.SessionTimeout != 5*time.Minute || !ssl.SessionTickets || ssl.SessionCache.Mode != SessionCacheNone {
		t.Errorf("ssl defaults = %+v", ssl)
	}
}

func TestMerge(t *testing.T) {
	certDir, _ := filepath.Abs("../t/cert")
	conf := `events {}
http {
    root /srv/http;
    error_log logs/http.log warn;
    proxy_set_header X-A a;
    ssl_certificate CERT/ecdsa.crt;
    ssl_certificate_key CERT/ecdsa.key;
    ssl_certificate CERT/rsa.crt;
    ssl_certificate_key CERT/rsa.key;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 1h;
    access_log off;
    server {
        listen 127.0.0.1:8443 ssl default_server reuseport;
        listen [::1]:8443 ssl http2;
        server_name a.test *.a.test;
        server_name ~^b\d+$;
        ssl_protocols TLSv1.3;
        ssl_session_tickets off;
        keepalive_timeout 5s;
        location / {
            root html;
            location /nested/ {
                proxy_set_header X-B b;
                access_log logs/nested.log combined;
            }
        }
        location ~* \.PNG$ { return 404; }
        location ^~ /static/ { return 301 https://example.com/; }
        location @named { return 200 "named"; }
    }
    server {
        listen unix:/tmp/goresty.sock;
        ssl_certificate CERT/rsa.crt;
        ssl_certificate_key CERT/rsa.key;
        ssl_session_cache builtin:1000 shared:OTHER:1m;
        return https://example.com$request_uri;
    }
}
`
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": strings.ReplaceAll(conf, "CERT", certDir)})
	cfg := mustLoad(t, prefix)
	h := cfg.HTTP
	s1, s2 := h.Servers[0], h.Servers[1]
	wantListens := []Listen{
		{Network: "tcp", Addr: "127.0.0.1:8443", SSL: true, DefaultServer: true, Reuseport: true, Pos: Pos{prefix + "conf/nginx.conf", 14}},
		{Network: "tcp", Addr: "[::1]:8443", SSL: true, HTTP2: true, Pos: Pos{prefix + "conf/nginx.conf", 15}},
	}
	if !reflect.DeepEqual(s1.Listens, wantListens) {
		t.Errorf("listens = %+v", s1.Listens)
	}
	if !reflect.DeepEqual(s1.Names, []string{"a.test", "*.a.test", `~^b\d+$`}) {
		t.Errorf("names = %q", s1.Names)
	}
	if len(s1.SSL.Certificates) != 2 || s1.SSL.Certificates[0].Key != certDir+"/ecdsa.key" || s1.SSL.Certificates[1].Cert != certDir+"/rsa.crt" {
		t.Errorf("inherited certs = %+v", s1.SSL.Certificates)
	}
	if !reflect.DeepEqual(s1.SSL.Protocols, []string{"TLSv1.3"}) || s1.SSL.SessionTickets || s1.SSL.SessionTimeout != time.Hour {
		t.Errorf("server ssl = %+v", s1.SSL)
	}
	if s1.SSL.SessionCache != (SessionCache{Mode: SessionCacheShared, Name: "SSL", Size: 10 << 20}) {
		t.Errorf("session cache = %+v", s1.SSL.SessionCache)
	}
	if len(s2.SSL.Certificates) != 1 || s2.SSL.SessionCache != (SessionCache{Mode: SessionCacheShared, Name: "OTHER", Size: 1 << 20}) {
		t.Errorf("server 2 ssl = %+v", s2.SSL)
	}
	if s2.Listens[0].Network != "unix" || s2.Listens[0].Addr != "/tmp/goresty.sock" {
		t.Errorf("unix listen = %+v", s2.Listens[0])
	}
	if len(s2.Rewrite) != 1 || *s2.Rewrite[0].Return != (Return{Code: 302, Text: "https://example.com$request_uri"}) {
		t.Errorf("server return = %+v", s2.Rewrite)
	}
	root := s1.Locations[0]
	nested := root.Locations[0]
	if root.Root != prefix+"html" || nested.Root != prefix+"html" || s1.Root != "/srv/http" {
		t.Errorf("roots = %q %q %q", s1.Root, root.Root, nested.Root)
	}
	if nested.KeepaliveTimeout != 5*time.Second {
		t.Errorf("nested keepalive = %v", nested.KeepaliveTimeout)
	}
	if !reflect.DeepEqual(root.ProxySetHeaders, []Header{{"X-A", "a"}}) || !reflect.DeepEqual(nested.ProxySetHeaders, []Header{{"X-B", "b"}}) {
		t.Errorf("proxy_set_header = %v / %v", root.ProxySetHeaders, nested.ProxySetHeaders)
	}
	if len(root.AccessLogs) != 1 || !root.AccessLogs[0].Off || nested.AccessLogs[0].Path != prefix+"logs/nested.log" {
		t.Errorf("access logs = %+v / %+v", root.AccessLogs, nested.AccessLogs)
	}
	if !reflect.DeepEqual(nested.ErrorLogs, []errlog.Target{{Path: prefix + "logs/http.log", Level: errlog.Warn}}) {
		t.Errorf("error logs = %+v", nested.ErrorLogs)
	}
	mods := []string{}
	for _, l := range s1.Locations {
		mods = append(mods, l.Modifier+" "+l.Path)
	}
	if !reflect.DeepEqual(mods, []string{" /", `~* \.PNG$`, "^~ /static/", "@ named"}) {
		t.Errorf("locations = %q", mods)
	}
	if r := s1.Locations[2].Rewrite[0].Return; r.Code != 301 || r.Text != "https://example.com/" {
		t.Errorf("return = %+v", r)
	}
}

func TestLuaSocketLevels(t *testing.T) {
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": `events {}
http {
    lua_socket_read_timeout 5s;
    lua_socket_pool_size 10;
    server {
        lua_socket_connect_timeout 100ms;
        location /a { lua_socket_read_timeout 1s; }
        location /b { }
    }
}
`})
	cfg := mustLoad(t, prefix)
	h := cfg.HTTP
	if h.LuaSocketReadTimeout != 5*time.Second || h.LuaSocketConnectTimeout != time.Minute || h.LuaSocketPoolSize != 10 {
		t.Errorf("http = %v %v %v", h.LuaSocketReadTimeout, h.LuaSocketConnectTimeout, h.LuaSocketPoolSize)
	}
	s := h.Servers[0]
	want := LuaSocketSettings{ConnectTimeout: 100 * time.Millisecond, ReadTimeout: 5 * time.Second,
		SendTimeout: time.Minute, KeepaliveTimeout: time.Minute, PoolSize: 10,
		ResolverTimeout: 30 * time.Second, ResolverIPv6: true, SSLVerifyDepth: 1, SSLProtocols: []string{"TLSv1.2", "TLSv1.3"}}
	if !reflect.DeepEqual(s.LuaSocket, want) || !reflect.DeepEqual(s.Locations[1].LuaSocket, want) {
		t.Errorf("server %+v / location b %+v", s.LuaSocket, s.Locations[1].LuaSocket)
	}
	want.ReadTimeout = time.Second
	if !reflect.DeepEqual(s.Locations[0].LuaSocket, want) {
		t.Errorf("location a %+v", s.Locations[0].LuaSocket)
	}
}

func TestIncludeGlobAndFiles(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf":     "events {}\nhttp {\n    include sites/*.conf;\n    include ../conf/extra.inc;\n}\n",
		"conf/sites/b.conf":   "server { listen 2; }\n",
		"conf/sites/a.conf":   "server { listen 1; }\n",
		"conf/sites/skip.txt": "garbage",
		"conf/extra.inc":      "lua_shared_dict x 1m;\n",
	})
	cfg := mustLoad(t, prefix)
	if len(cfg.HTTP.Servers) != 2 || cfg.HTTP.Servers[0].Listens[0].Addr != ":1" || cfg.HTTP.Servers[1].Listens[0].Addr != ":2" {
		t.Errorf("servers from glob in wrong order")
	}
	if cfg.HTTP.Servers[1].Pos.File != prefix+"conf/sites/b.conf" || cfg.HTTP.Servers[1].Pos.Line != 1 {
		t.Errorf("pos = %v", cfg.HTTP.Servers[1].Pos)
	}
	var names []string
	for _, f := range cfg.Files {
		names = append(names, strings.TrimPrefix(f.Name, prefix))
	}
	if !reflect.DeepEqual(names, []string{"conf/nginx.conf", "conf/sites/a.conf", "conf/sites/b.conf", "conf/extra.inc"}) {
		t.Errorf("files = %q", names)
	}
}

func TestGlobals(t *testing.T) {
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": "events {}\n"})
	cfg := mustLoad(t, prefix, func(o *Options) { o.Globals = "daemon off; worker_processes auto; pid /tmp/x.pid;" })
	if cfg.Main.Daemon || cfg.Main.WorkerProcesses != runtime.NumCPU() || cfg.Main.PID != "/tmp/x.pid" {
		t.Errorf("main = %+v", cfg.Main)
	}
	for globals, want := range map[string]string{
		"daemon off":             `unexpected end of parameter, expecting ";" in command line`,
		"foo;":                   `unknown directive "foo" in command line`,
		"daemon maybe;":          `invalid value "maybe" in "daemon" directive, it must be "on" or "off" in command line`,
		"events {}":              `"events" directive is duplicate in ` + prefix + "conf/nginx.conf:1",
		`daemon "off`:            `unexpected end of parameter, expecting ";" in command line`,
		"http { listen 80; }":    `"listen" directive is not allowed here in command line`,
		"daemon off; }":          `unexpected "}" in command line`,
		"worker_processes 0;":    `"worker_processes" directive invalid value in command line`,
		"daemon off; daemon on;": `"daemon" directive is duplicate in command line`,
	} {
		_, err := Load(Options{Prefix: prefix, Globals: globals})
		if err == nil || err.Error() != want {
			t.Errorf("-g %q: got %v, want %s", globals, err, want)
		}
	}
}

func TestMainFileErrors(t *testing.T) {
	prefix := writeConf(t, nil)
	for _, c := range []struct{ conf, want string }{
		{"conf/none.conf", `open() "` + prefix + `conf/none.conf" failed (2: No such file or directory)`},
		{"conf", `read() "` + prefix + `conf" failed (21: Is a directory)`},
	} {
		_, err := Load(Options{Prefix: prefix, ConfFile: c.conf})
		var ce *Error
		if !errors.As(err, &ce) || err.Error() != c.want {
			t.Errorf("%s: got %v, want %s", c.conf, err, c.want)
		}
	}
	// The default conf file is conf/nginx.conf under the prefix.
	_, err := Load(Options{Prefix: prefix})
	if err == nil || !strings.Contains(err.Error(), prefix+"conf/nginx.conf") {
		t.Errorf("default conf: %v", err)
	}
}

func TestErrorLogOption(t *testing.T) {
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": "events {}\n"})
	cfg := mustLoad(t, prefix, func(o *Options) { o.ErrorLog = "logs/startup.log" })
	if !reflect.DeepEqual(cfg.Main.ErrorLogs, []errlog.Target{{Path: prefix + "logs/startup.log", Level: errlog.Error}}) {
		t.Errorf("error logs = %+v", cfg.Main.ErrorLogs)
	}
}

func TestLuaFileAndHooks(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf": "events {}\nhttp {\n ssl_session_store_by_lua_file lua/store.lua;\n" +
			" ssl_session_fetch_by_lua_block { return }\n init_worker_by_lua_file /abs-is-kept-below;\n}\n",
		"lua/store.lua": "return\n",
	})
	_, err := Load(Options{Prefix: prefix})
	if err == nil || err.Error() != `open() "/abs-is-kept-below" failed (2: No such file or directory) in `+prefix+"conf/nginx.conf:5" {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(prefix+"conf/nginx.conf", []byte("events {}\nhttp {\n ssl_session_store_by_lua_file lua/store.lua;\n"+
		" ssl_session_fetch_by_lua_block { return }\n}\n"), 0o644)
	cfg := mustLoad(t, prefix)
	st := cfg.HTTP.SSLSessionStore
	if st.File != prefix+"lua/store.lua" || st.Name != st.File || st.Source != "" || st.Pos.Line != 3 {
		t.Errorf("store = %+v", st)
	}
	if f := cfg.HTTP.SSLSessionFetch; f.Name != "ssl_session_fetch_by_lua(nginx.conf:4)" || f.Source != " return " {
		t.Errorf("fetch = %+v", f)
	}
}

func TestDirectivesTable(t *testing.T) {
	ds := Directives()
	byName := map[string]DirectiveInfo{}
	for i, d := range ds {
		if i > 0 && ds[i-1].Name > d.Name {
			t.Errorf("not sorted at %s", d.Name)
		}
		if len(d.Contexts) == 0 {
			t.Errorf("%s has no context", d.Name)
		}
		if d.Syntax == "" {
			t.Errorf("%s has no syntax", d.Name)
		}
		if _, seen := byName[d.Name]; !seen {
			byName[d.Name] = d // the first row of a name (http's "server")
		}
	}
	want := map[string]string{
		"worker_processes": "main", "daemon": "main", "master_process": "main", "pid": "main", "env": "main",
		"user": "main", "events": "main", "http": "main", "error_log": "main http server location",
		"worker_connections": "events", "accept_mutex": "events", "use": "events", "multi_accept": "events",
		"server": "http", "lua_shared_dict": "http", "lua_package_path": "http", "lua_package_cpath": "http",
		"init_by_lua_block": "http", "init_by_lua_file": "http", "init_worker_by_lua_block": "http",
		"init_worker_by_lua_file": "http", "ssl_session_store_by_lua_block": "http",
		"ssl_session_store_by_lua_file": "http", "ssl_session_fetch_by_lua_block": "http",
		"ssl_session_fetch_by_lua_file": "http", "lua_max_pending_timers": "http", "lua_max_running_timers": "http",
		"lua_hook_timeout": "http", "lua_socket_connect_timeout": "http server location if in location", "lua_socket_read_timeout": "http server location if in location",
		"lua_socket_send_timeout": "http server location if in location", "lua_socket_pool_size": "http server location if in location",
		"lua_socket_keepalive_timeout": "http server location if in location",
		"lua_ssl_trusted_certificate":  "http server location", "lua_ssl_verify_depth": "http server location", "lua_ssl_protocols": "http server location",
		"lua_code_cache": "http server location if in location", "resolver": "http server location", "resolver_timeout": "http server location", "log_format": "http",
		"ssl_session_seal_key": "http", "root": "http server location if in location", "index": "http server location",
		"default_type": "http server location", "keepalive_timeout": "http server location",
		"client_max_body_size": "http server location", "server_tokens": "http server location",
		"access_log": "http server location if in location", "proxy_set_header": "http server location",
		"client_body_temp_path": "http server location", "proxy_temp_path": "http server location",
		"fastcgi_temp_path": "http server location", "scgi_temp_path": "http server location",
		"uwsgi_temp_path": "http server location", "ssl_certificate": "http server",
		"ssl_certificate_key": "http server", "ssl_protocols": "http server", "ssl_ciphers": "http server",
		"ssl_prefer_server_ciphers": "http server", "ssl_ecdh_curve": "http server",
		"ssl_session_timeout": "http server", "ssl_session_tickets": "http server",
		"ssl_session_ticket_key": "http server", "ssl_session_cache": "http server", "listen": "server",
		"server_name": "server", "http2": "http server", "location": "server location", "set": "server location if in server if in location",
		"return": "server location if in server if in location", "content_by_lua_block": "location if in location", "content_by_lua_file": "location if in location",
		"proxy_pass": "location if in location", "ssl_session_metrics": "location", "include": "main events http server location upstream if in server if in location",
	}
	for name, ctx := range want {
		d, ok := byName[name]
		if !ok {
			t.Errorf("%s not declared", name)
			continue
		}
		if got := strings.Join(d.Contexts, " "); got != ctx {
			t.Errorf("%s contexts = %q, want %q", name, got, ctx)
		}
		if strings.HasSuffix(name, "_by_lua_block") != (d.Block && d.MaxArgs == 0 && strings.HasSuffix(name, "_block")) {
			t.Errorf("%s: lua blocks take a block and no arguments", name)
		}
	}
}

// TestConcurrentLoad: Load may run while another Load runs (a reload
// tested while serving); run it under -race.
func TestConcurrentLoad(t *testing.T) {
	prefix := writeConf(t, nil)
	text := strings.ReplaceAll(testNginxConf, "PREFIX/", prefix)
	os.WriteFile(prefix+"conf/nginx.conf", []byte(text), 0o644)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, err := Load(Options{Prefix: prefix})
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// load_module (Test::Nginx's TEST_NGINX_LOAD_MODULES, configs shared with
// nginx): an existing file is accepted (relative to the prefix) and not
// loaded, with a warning; regex and named locations may repeat (nginx).
func TestLoadModuleAndRepeatedLocations(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"modules/ndk.so": "not really a module",
		"conf/nginx.conf": "load_module modules/ndk.so;\nevents {}\nhttp { server {\n" +
			"location ~ ^/x {} location ~ ^/x {} location @n {} location @n {} location = /a {} location /a {}\n} }\n",
	})
	cfg := mustLoad(t, prefix)
	want := []string{"load_module ignored: goresty has no dynamic modules in " + prefix + "conf/nginx.conf:1"}
	if !reflect.DeepEqual(cfg.Warnings, want) {
		t.Fatalf("Warnings = %q, want %q", cfg.Warnings, want)
	}
	if n := len(cfg.HTTP.Servers[0].Locations); n != 6 {
		t.Fatalf("%d locations", n)
	}
}

// client_header_timeout: http value inherited by servers, default 60s.
func TestClientHeaderTimeout(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf": "events {}\nhttp {\n client_header_timeout 5s;\n server { listen 1; }\n server { listen 2; client_header_timeout 250ms; }\n}\n",
	})
	cfg := mustLoad(t, prefix)
	h := cfg.HTTP
	if h.ClientHeaderTimeout != 5*time.Second || h.Servers[0].ClientHeaderTimeout != 5*time.Second || h.Servers[1].ClientHeaderTimeout != 250*time.Millisecond {
		t.Fatalf("got %v %v %v", h.ClientHeaderTimeout, h.Servers[0].ClientHeaderTimeout, h.Servers[1].ClientHeaderTimeout)
	}
	prefix = writeConf(t, map[string]string{"conf/nginx.conf": "events {}\nhttp { server { listen 1; } }\n"})
	if got := mustLoad(t, prefix).HTTP.Servers[0].ClientHeaderTimeout; got != 60*time.Second {
		t.Fatalf("default %v", got)
	}
}

// underscores_in_headers, ignore_invalid_headers: http values inherited by
// servers unless they set their own; defaults off and on.
func TestHeaderNames(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf": "events {}\nhttp {\n underscores_in_headers on;\n server { listen 1; }\n server { listen 2; underscores_in_headers off; ignore_invalid_headers off; }\n}\n",
	})
	h := mustLoad(t, prefix).HTTP
	if got := []HeaderNames{h.HeaderNames, h.Servers[0].HeaderNames, h.Servers[1].HeaderNames}; got[0] != (HeaderNames{UnderscoresInHeaders: true}) ||
		got[1] != got[0] || got[2] != (HeaderNames{KeepInvalidHeaders: true}) {
		t.Fatalf("got %+v", got)
	}
	prefix = writeConf(t, map[string]string{"conf/nginx.conf": "events {}\nhttp { server { listen 1; } }\n"})
	if got := mustLoad(t, prefix).HTTP.Servers[0].HeaderNames; got != (HeaderNames{}) {
		t.Fatalf("default %+v", got)
	}
}

// The last content handler written in a location serves it, as in nginx
// (which accepts content_by_lua* and proxy_pass in one location).
func TestLastContentHandlerWins(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf": "events {}\nhttp { server { listen 1;\n" +
			"location /a { content_by_lua 'ngx.say(1)'; proxy_pass http://127.0.0.1:2; }\n" +
			"location /b { proxy_pass http://127.0.0.1:2; content_by_lua_block { ngx.say(1) } }\n" +
			"location /c { content_by_lua_file conf/nginx.conf; ssl_session_metrics; }\n} }\n",
	})
	locs := mustLoad(t, prefix).HTTP.Servers[0].Locations
	a, b, c := locs[0], locs[1], locs[2]
	if a.Content != nil || a.ProxyPass == "" || b.Content == nil || b.ProxyPass != "" || c.Content != nil || !c.SSLSessionMetrics {
		t.Fatalf("a: %v %q, b: %v %q, c: %v %v", a.Content, a.ProxyPass, b.Content, b.ProxyPass, c.Content, c.SSLSessionMetrics)
	}
}

// resolver, resolver_timeout, lua_ssl_* and types may be written in http,
// server and location (nginx's contexts); each level inherits what it does
// not set.
func TestCosocketSettingsLevels(t *testing.T) {
	ca, err := os.ReadFile("../t/cert/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	prefix := writeConf(t, map[string]string{"conf/ca.pem": string(ca), "conf/nginx.conf": `events {}
http {
    resolver 127.0.0.1 valid=10s;
    lua_ssl_protocols tlsv1.2;
    http2 on;
    types { text/x-a a; }
    server {
        resolver [::1]:5353 ipv6=off;
        resolver_timeout 2s;
        lua_ssl_trusted_certificate ca.pem;
        types { text/x-b b; }
        location /a { lua_ssl_verify_depth 3; lua_ssl_protocols TLSv1.3; resolver 127.0.0.2; }
        location /b { }
    }
    server { http2 off; }
}
`})
	h := mustLoad(t, prefix).HTTP
	if !reflect.DeepEqual(h.Resolver, []string{"127.0.0.1:53"}) || h.ResolverValid != 10*time.Second || !reflect.DeepEqual(h.LuaSSLProtocols, []string{"TLSv1.2"}) {
		t.Errorf("http: %v %v %v", h.Resolver, h.ResolverValid, h.LuaSSLProtocols)
	}
	s := h.Servers[0]
	want := LuaSocketSettings{ConnectTimeout: time.Minute, ReadTimeout: time.Minute, SendTimeout: time.Minute, KeepaliveTimeout: time.Minute, PoolSize: 30,
		Resolver: []string{"[::1]:5353"}, ResolverTimeout: 2 * time.Second, ResolverIPv6: false,
		SSLTrustedCertificate: prefix + "conf/ca.pem", SSLVerifyDepth: 1, SSLProtocols: []string{"TLSv1.2"}}
	if !reflect.DeepEqual(s.LuaSocket, want) || !reflect.DeepEqual(s.Locations[1].LuaSocket, want) {
		t.Errorf("server %+v\nlocation b %+v", s.LuaSocket, s.Locations[1].LuaSocket)
	}
	want.Resolver, want.ResolverIPv6, want.SSLVerifyDepth, want.SSLProtocols = []string{"127.0.0.2:53"}, true, 3, []string{"TLSv1.3"}
	if !reflect.DeepEqual(s.Locations[0].LuaSocket, want) {
		t.Errorf("location a %+v", s.Locations[0].LuaSocket)
	}
	if !s.HTTP2 || h.Servers[1].HTTP2 {
		t.Errorf("http2: %v %v", s.HTTP2, h.Servers[1].HTTP2)
	}
	if h.Types["a"] != "text/x-a" || s.Types["b"] != "text/x-b" || s.Types["a"] != "" || s.Locations[0].Types["b"] != "text/x-b" || h.Servers[1].Types["a"] != "text/x-a" {
		t.Errorf("types: http %v server %v location %v", h.Types, s.Types, s.Locations[0].Types)
	}
}
