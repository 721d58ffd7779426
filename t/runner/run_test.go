package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a TB that records what a block reports.
type recorder struct {
	mu      sync.Mutex
	errs    []string
	logs    []string
	skipped bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
	r.mu.Unlock()
}
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)            { r.Errorf("%s", fmt.Sprint(a...)); runtime.Goexit() }
func (r *recorder) Logf(f string, a ...any) {
	r.mu.Lock()
	r.logs = append(r.logs, fmt.Sprintf(f, a...))
	r.mu.Unlock()
}
func (r *recorder) Skip(a ...any) { r.skipped = true; runtime.Goexit() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs) > 0
}

// runRecorded runs every block of a file and returns what each reported.
func runRecorded(t *testing.T, path string, opts *Options) map[string]*recorder {
	t.Helper()
	root := filepath.Join(t.TempDir(), "servroot")
	env, err := fileEnv(opts.Env, root)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(path, env)
	if err != nil {
		t.Fatal(err)
	}
	fr := &fileRun{opts: opts, file: f, env: f.Pre.Env, root: root}
	out := map[string]*recorder{}
	for _, b := range f.Blocks {
		rec := &recorder{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			fr.runBlock(rec, b)
		}()
		<-done
		out[b.Name] = rec
	}
	return out
}

func testOptions(binary string) *Options {
	return &Options{
		Binary:    binary,
		Env:       map[string]string{"TEST_NGINX_CERT_DIR": certDir(), "PATH": os.Getenv("PATH")},
		LogLevel:  "debug",
		Timeout:   3 * time.Second,
		Sleep:     45 * time.Millisecond,
		StartWait: time.Second,
	}
}

func checkOutcomes(t *testing.T, got map[string]*recorder, want map[string][]string) {
	t.Helper()
	for name, rec := range got {
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expectation in the test table", name)
			continue
		}
		all := strings.Join(rec.errs, "\n")
		if len(w) == 0 && len(rec.errs) > 0 {
			t.Errorf("%s: should pass, got:\n%s", name, all)
		}
		for _, s := range w {
			if !strings.Contains(all, s) {
				t.Errorf("%s: should report %q, got:\n%s", name, s, all)
			}
		}
	}
}

// TestMatchers runs testdata/matchers.t against Debian's nginx: the
// "passes" blocks must pass and the "fails" blocks must report exactly the
// expected problems, proving the matchers fail when they should.
func TestMatchers(t *testing.T) {
	t.Parallel()
	nginx := "/usr/sbin/nginx"
	if _, err := os.Stat(nginx); err != nil {
		t.Skip("needs nginx (apt-get install -y nginx)")
	}
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_lua_module.so"); err != nil {
		t.Skip("needs Debian's Lua module for nginx (apt-get install -y libnginx-mod-http-lua)")
	}
	o := testOptions(nginx)
	o.NginxVersion = "1.22.1"
	got := runRecorded(t, "testdata/matchers.t", o)
	if !got["TEST 21: passes: skipped by skip_nginx"].skipped {
		t.Errorf("TEST 21 should be skipped")
	}
	checkOutcomes(t, got, map[string][]string{
		"TEST 1: passes: body, code, headers, log": nil,
		"TEST 2: fails: body, code, headers": {
			`status code ok (repeat 0, req 0): got "200", want "201"`,
			`status code ok (repeat 1, req 0)`,
			`response_body - response is expected (repeat 0, req 0):`,
			`header X-Foo ok (repeat 0, req 0): got "bar", want "baz"`,
			`header X-Foo not present in the raw headers (repeat 0, req 0): it is`,
		},
		"TEST 3: fails: body_like, headers_like, raw headers": {
			`response_body_like - response is expected (repeat 0, req 0)`,
			`header Content-Type like ok (repeat 0, req 0): got "text/plain", want like /^image/.*$/`,
			`raw_response_headers_unlike (repeat 0, req 0)`,
		},
		"TEST 4: fails: error_log, no_error_log, grep_error_log": {
			`pattern "this is never logged" should match a line in error.log (repeat 0)`,
			`pattern "this is never logged" should match a line in error.log (repeat 1)`,
			`pattern "http finalize request" should not match any line in error.log but matches line`,
			`grep_error_log_out (repeat 0):`,
		},
		"TEST 5: passes: lists per request, pipelined, eval bodies": nil,
		"TEST 6: fails: per-request lists": {
			`response_body - response is expected (repeat 0, req 1):` + "\ngot:  \"/t/b\\n\"\nwant: \"/t/c\\n\"",
		},
		"TEST 7: fails: an unsupported section":         {`unsupported section "stap" (line`},
		"TEST 8: passes: must_die, error_log on stderr": nil,
		"TEST 9: fails: must_die, but it starts":        {`die as expected: the server started (exit status 0)`},
		"TEST 10: fails: timeout":                       {`ERROR: client socket timed out (repeat 0, req 0)`, `response_body - response is expected`},
		"TEST 11: passes: exec with env and expansion":  nil,
		"TEST 12: fails: exec status and output": {
			`exec "echo out; exit 2" (repeat 0): exit status 2, want 0`,
			`exec_out_like (repeat 0):`,
		},
		"TEST 13: passes: user_files and static files":                                nil,
		"TEST 15: passes: server_exits after exec sends QUIT":                         nil,
		"TEST 16: fails: the server dies during the block":                            {"the server process", "exited before the end of the test"},
		"TEST 17: fails: server_exits but it keeps running":                           {"--- server_exits: the server process", "is still running"},
		"TEST 18: passes: tcp_listen mock server with a lua cosocket":                 nil,
		"TEST 19: fails: tcp_query mismatch":                                          {"tcp_query ok (repeat 0):\ngot:  \"ping\\n\"\nwant: \"pong\\n\"", "tcp_query ok (repeat 1)"},
		"TEST 20: passes: udp_listen mock server":                                     nil,
		"TEST 21: passes: skipped by skip_nginx":                                      nil,
		"TEST 22: passes: response_body_filters":                                      nil,
		"TEST 23: passes: http2 cleartext (prior knowledge)":                          nil,
		"TEST 24: passes: http2 over TLS, with a request body and session resumption": nil,
		"TEST 14: fails: grep_error_log per repetition": {
			"grep_error_log_out (repeat 0):\ngot:\n\"http finalize request\\n",
		},
	})
}

// A binary that is not a server at all: the runner reports the start
// failure with its stderr, or the missing pid file.
func TestStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fail := filepath.Join(dir, "fail")
	os.WriteFile(fail, []byte("#!/bin/sh\necho 'nginx: [emerg] boom in conf' >&2\nexit 1\n"), 0o755)
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	tfile := filepath.Join(dir, "x.t")
	os.WriteFile(tfile, []byte(`__DATA__
=== TEST 1: start
--- config
--- request
GET /
=== TEST 2: must_die with stderr
--- config
--- must_die: 1
--- error_log
[emerg] boom
--- no_error_log
boom in conf
=== TEST 3: must_die code
--- config
--- must_die: 2
`), 0o644)
	o := testOptions(fail)
	got := runRecorded(t, tfile, o)
	checkOutcomes(t, got, map[string][]string{
		"TEST 1: start":                {"cannot start the server: <nil> (exit 1)", "stderr:\nnginx: [emerg] boom in conf"},
		"TEST 2: must_die with stderr": {`pattern "boom in conf" should not match any line in error.log but matches line "nginx: [emerg] boom in conf"`},
		"TEST 3: must_die code":        {"die with the expected exit code: got 1, want 2"},
	})
	if n := len(got["TEST 2: must_die with stderr"].errs); n != 1 {
		t.Errorf("TEST 2: want exactly the no_error_log failure, got %d", n)
	}
	o = testOptions(ok)
	got = runRecorded(t, tfile, o)
	if errs := strings.Join(got["TEST 1: start"].errs, "\n"); !strings.Contains(errs, "server not ready") {
		t.Errorf("no pid file: got %q", errs)
	}
}

func certDir() string {
	d, _ := filepath.Abs("../cert")
	return d
}
