package runner

import (
	"strings"
	"testing"
)

// The skeleton must keep Test::Nginx's line numbers; the README documents
// them for one-line main_config/http_config/config/post_main_config.
func TestWriteConfigLineNumbers(t *testing.T) {
	conf := WriteConfig(ConfParams{
		Workers: 1, Daemon: true, ErrorLog: "/p/logs/error.log", LogLevel: "debug",
		PidFile: "/p/logs/nginx.pid", AccessLog: "/p/logs/access.log",
		Config: "CONFIG\n",
		Port:   "1984", ServerName: "localhost", HTMLDir: "/p/html", WorkerConnections: 64, Root: true,
	})
	lines := strings.Split(conf, "\n")
	want := map[int]string{
		1: "worker_processes  1;", 2: "daemon on;", 3: "master_process off;",
		4: "error_log /p/logs/error.log debug;", 5: "pid       /p/logs/nginx.pid;",
		13: "#env LUA_PATH;", 16: "", 18: "http {", 25: "", 27: "    server {",
		28: "        listen          1984;", 29: "        server_name     'localhost';",
		39: "        # Begin test case config...", 40: "CONFIG", 42: "        # End test case config.",
		44: "        location / {", 45: "            root /p/html;", 49: "}", 51: "",
		53: "#timer_resolution 100ms;", 55: "events {", 58: "    worker_connections  64;", 59: "}",
		60: "env ASAN_OPTIONS;", 63: "user root;",
	}
	for n, w := range want {
		if got := lines[n-1]; got != w {
			t.Errorf("line %d = %q, want %q", n, got, w)
		}
	}
	if len(lines) != 64 || lines[63] != "" {
		t.Errorf("conf has %d lines:\n%s", len(lines), conf)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"TEST_NGINX_SERVER_PORT": "1984", "TEST_NGINX_HTML_DIR": "/h"}
	rp := map[string]string{}
	got, err := Expand("listen $TEST_NGINX_SERVER_PORT; root $TEST_NGINX_HTML_DIR/x; a $TEST_NGINX_RAND_PORT_1 b $TEST_NGINX_RAND_PORT_1 c $TEST_NGINX_RAND_PORT_2", env, rp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "listen 1984; root /h/x; a "+rp["TEST_NGINX_RAND_PORT_1"]+" b "+rp["TEST_NGINX_RAND_PORT_1"]+" c ") {
		t.Errorf("got %q", got)
	}
	if rp["TEST_NGINX_RAND_PORT_1"] == "" || rp["TEST_NGINX_RAND_PORT_1"] == rp["TEST_NGINX_RAND_PORT_2"] {
		t.Errorf("rand ports %v", rp)
	}
	if _, err := Expand("$TEST_NGINX_NOPE", env, rp); err == nil || !strings.Contains(err.Error(), "no environment TEST_NGINX_NOPE defined") {
		t.Errorf("unknown variable: err = %v", err)
	}
}

func TestParseVersions(t *testing.T) {
	for _, tc := range []struct{ out, nginx, openssl string }{
		{"nginx version: nginx/1.22.1\nbuilt with OpenSSL 3.0.22 25 Aug 2026 (running with OpenSSL 3.0.19 27 Jan 2026)\n", "1.22.1", "3.0.22"},
		{"nginx version: openresty/1.21.4.3\nbuilt with OpenSSL 1.1.1w  11 Sep 2023\n", "1.21.4", "1.1.1w"},
		{"nginx version: nginx/1.22.1 (goresty/0.1.0)\nbuilt with Go crypto/tls (go1.26.8), TLS 1.2 and 1.3; not OpenSSL\n", "1.22.1", ""},
	} {
		n, o := ParseVersions(tc.out)
		if n != tc.nginx || o != tc.openssl {
			t.Errorf("ParseVersions(%q) = %q, %q; want %q, %q", tc.out, n, o, tc.nginx, tc.openssl)
		}
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.22.1", "1.22.1", 0}, {"1.22.1", "1.9.15", 1}, {"1.1.1k", "1.1.1", 1}, {"1.1.1a", "1.1.1b", -1}, {"3.0.2", "1.1.1w", 1},
	} {
		if got := compareVersions(tc.a, tc.b); (got > 0) != (tc.want > 0) || (got < 0) != (tc.want < 0) {
			t.Errorf("compareVersions(%s, %s) = %d, want sign %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLintFile(t *testing.T) {
	errs := LintFile("testdata/lint.t", map[string]string{})
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{
		`lint.t:5: TEST 1: no config, unknown section, unknown variable: unsupported section "stap" (line 8)`,
		`TEST 1: no config, unknown section, unknown variable: the first block needs a --- config`,
		`TEST 1: no config, unknown section, unknown variable: --- more_headers: no environment TEST_NGINX_NOPE defined`,
		`TEST 2: pairs: --- ONLY left in the file`,
		`TEST 2: pairs: --- grep_error_log and --- grep_error_log_out go together`,
		`TEST 2: pairs: no --- request, --- pipelined_requests, --- raw_request or --- exec`,
		`TEST 2: pairs: --- tls_session needs --- tls`,
		`TEST 2: pairs: --- exec_out needs --- exec`,
		`TEST 3: bad tls: --- tls: unknown TLS version "1.4"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if len(errs) != 9 {
		t.Errorf("%d errors, want 9:\n%s", len(errs), got)
	}
}
