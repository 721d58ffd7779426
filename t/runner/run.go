package runner

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Options configure a run. The zero value is not usable: Binary is needed.
type Options struct {
	Binary      string            // the server binary (goresty or nginx)
	RepeatEach  int               // > 0 forces this repeat count (TEST_NGINX_REPEAT_EACH), except in files with repeat_each(1)
	Env         map[string]string // base environment seen by the specs ($ENV{X}, $TEST_NGINX_X)
	Sleep       time.Duration     // wait before reading the error log (TEST_NGINX_SLEEP * 3)
	LoadModules string            // TEST_NGINX_LOAD_MODULES: "load_module X;" appended to main_config
	LogLevel    string            // TEST_NGINX_LOG_LEVEL: default error_log level (debug)
	Timeout     time.Duration     // TEST_NGINX_TIMEOUT: default client timeout (3s)
	Helpers     *Helpers          // builds helper commands for --- exec (may be nil)
	Verbose     bool
	NoClean     bool          // TEST_NGINX_NO_CLEAN: keep each file's server root (path is logged)
	StartWait   time.Duration // how long to wait for the pid file and the port (10s)
	// From "BINARY -V": versions for --- skip_nginx / --- skip_openssl
	// ("" when unknown: skip_openssl then skips, as Test::Nginx does).
	NginxVersion, OpenSSLVersion string
}

var (
	nginxVersionRe   = regexp.MustCompile(`(?:nginx|openresty)[^/\s]*/(\d+)\.(\d+)\.(\d+)`)
	anyVersionRe     = regexp.MustCompile(`\w+/(\d+)\.(\d+)\.(\d+)`)
	openSSLVersionRe = regexp.MustCompile(`built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?`)
)

// ParseVersions reads the nginx and OpenSSL versions from "BINARY -V"
// output, as Test::Nginx's get_nginx_version does.
func ParseVersions(out string) (nginx, openssl string) {
	if m := nginxVersionRe.FindStringSubmatch(out); m != nil {
		nginx = m[1] + "." + m[2] + "." + m[3]
	} else if m := anyVersionRe.FindStringSubmatch(out); m != nil {
		nginx = m[1] + "." + m[2] + "." + m[3]
	}
	if m := openSSLVersionRe.FindStringSubmatch(out); m != nil {
		openssl = m[1] + "." + m[2] + "." + m[3] + m[4]
	}
	return nginx, openssl
}

// Supported sections. Anything else makes the block fail.
var supportedSections = map[string]bool{
	"main_config": true, "http_config": true, "post_main_config": true, "config": true,
	"request": true, "pipelined_requests": true, "raw_request": true, "request_body": true,
	"more_headers": true, "raw_request_middle_delay": true,
	"response_body": true, "response_body_like": true, "response_body_unlike": true,
	"error_code": true, "error_code_like": true,
	"response_headers": true, "response_headers_like": true,
	"raw_response_headers_like": true, "raw_response_headers_unlike": true,
	"ignore_response": true, "abort": true,
	"error_log": true, "no_error_log": true, "grep_error_log": true, "grep_error_log_out": true,
	"shutdown_error_log": true, "no_shutdown_error_log": true,
	"access_log": true, "no_access_log": true,
	"must_die": true, "user_files": true, "wait": true, "timeout": true,
	"log_level": true, "server_name": true,
	"ONLY": true, "SKIP": true, "LAST": true, "no_check_leak": true,
	"skip_nginx": true, "skip_openssl": true, "response_body_filters": true,
	// goresty extensions
	"tls": true, "tls_session": true, "tls_protocol": true, "tls_error_like": true,
	"exec": true, "exec_out": true, "exec_out_like": true, "exec_status": true,
	"server_exits": true, "http2": true,
	// embedded mock servers
	"tcp_listen": true, "tcp_reply": true, "tcp_query": true, "tcp_query_len": true,
	"tcp_reply_delay": true, "tcp_shutdown": true, "tcp_shutdown_delay": true, "tcp_no_close": true,
	"udp_listen": true, "udp_reply": true, "udp_query": true, "udp_reply_delay": true,
}

// TB is the part of testing.TB the runner reports through.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Logf(format string, args ...any)
	Skip(args ...any)
	Failed() bool
}

type fileRun struct {
	opts *Options
	file *File
	env  map[string]string
	root string // server root (prefix)
	prev *Block // last block with a --- config, for blocks without one
	// workers of the current run of a workers_each file; 0: the file's
	workers int
}

func workersText(n int) string {
	if n == WorkersAuto {
		return "auto"
	}
	return strconv.Itoa(n)
}

// Env returns the environment a file runs with: the base environment plus
// per-file TEST_NGINX_SERVER_PORT, TEST_NGINX_SERVER_SSL_PORT,
// TEST_NGINX_SERVER_ROOT and TEST_NGINX_HTML_DIR.
func fileEnv(base map[string]string, root string) (map[string]string, error) {
	env := make(map[string]string, len(base)+8)
	for k, v := range base {
		env[k] = v
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	sslPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	env["TEST_NGINX_SERVER_PORT"] = port
	env["TEST_NGINX_PORT"] = port
	env["TEST_NGINX_SERVER_SSL_PORT"] = sslPort
	env["TEST_NGINX_SERVER_ROOT"] = root
	env["TEST_NGINX_HTML_DIR"] = filepath.Join(root, "html")
	return env, nil
}

// RunFile runs every block of a .t file as a subtest of t.
func RunFile(t *testing.T, path string, opts *Options) {
	t.Helper()
	var work string
	if opts.NoClean {
		var err error
		work, err = os.MkdirTemp("", "goresty-spec-")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("server root kept in %s", filepath.Join(work, "servroot"))
	} else {
		work = t.TempDir()
	}
	root := filepath.Join(work, "servroot")
	env, err := fileEnv(opts.Env, root)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Blocks) == 0 {
		t.Fatalf("%s: no test blocks", path)
	}
	fr := &fileRun{opts: opts, file: f, env: f.Pre.Env, root: root}
	blocks := f.Blocks
	var only []*Block
	for _, b := range blocks {
		if b.Has("ONLY") {
			only = append(only, b)
		}
	}
	if len(only) > 0 {
		t.Logf("%s: running only the blocks with --- ONLY", f.Name)
		blocks = only
	}
	variants := f.Pre.WorkersEach
	if len(variants) == 0 {
		variants = []int{0} // the file's workers(N)
	}
	for _, b := range blocks {
		for _, wv := range variants {
			name := b.Name
			if len(variants) > 1 {
				name += " (workers " + workersText(wv) + ")"
			}
			fr.workers = wv
			t.Run(name, func(t *testing.T) {
				if b.Has("SKIP") {
					t.Skip("--- SKIP")
				}
				fr.runBlock(t, b)
			})
		}
		if b.Has("LAST") {
			break
		}
	}
	if len(only) > 0 {
		t.Errorf("%s: --- ONLY is set: other blocks were not run", f.Name)
	}
}

type blockRun struct {
	fr          *fileRun
	t           TB
	b           *Block
	cfgBlock    *Block // block providing main/http/config/user_files
	env         map[string]string
	randPorts   map[string]string
	timeout     time.Duration
	errLog      string
	accLog      string
	pidFile     string
	stderr      string
	logPos      int64
	pid         int
	repeat      int
	tlsOpts     *TLSOptions
	tlsCacheOn  bool
	stopTimeout time.Duration
	nreqs       int    // requests in this repetition
	logNote     string // explains which portion of the log a failed check saw
	finalNote   string
	tlsAddr     string
	sleep       time.Duration
}

func (fr *fileRun) runBlock(t TB, b *Block) {
	br := &blockRun{fr: fr, t: t, b: b, env: fr.env, randPorts: map[string]string{}}
	for _, s := range b.Sections {
		if !supportedSections[s.Name] {
			t.Fatalf("%s: unsupported section %q (line %d)", br.label(), s.Name, s.Line)
		}
	}
	br.cfgBlock = b
	if !b.Has("config") {
		if fr.prev == nil {
			t.Fatalf("%s - no '--- config' section specified and could not get previous one", br.label())
		}
		br.cfgBlock = fr.prev
	} else {
		fr.prev = b
	}
	if reason := br.skipReason(); reason != "" {
		t.Skip(reason)
	}
	br.timeout = fr.opts.Timeout
	if fr.file.Pre.Timeout > 0 {
		br.timeout = time.Duration(fr.file.Pre.Timeout * float64(time.Second))
	}
	// QUIT is given the file's timeout, not a block's --- timeout (as
	// Test::Nginx's kill_process uses timeout())
	br.stopTimeout = br.timeout
	if s, ok, err := b.Str("timeout"); err != nil {
		t.Fatal(err)
	} else if ok {
		sec, err := parseTime(s)
		if err != nil {
			t.Fatalf("--- timeout: %v", err)
		}
		br.timeout = time.Duration(sec * float64(time.Second))
	}
	br.sleep = fr.opts.Sleep
	br.repeat = fr.file.Pre.RepeatEach
	if fr.opts.RepeatEach > 0 && !(fr.file.Pre.RepeatEachSet && fr.file.Pre.RepeatEach == 1) {
		// forced, except for files that declare repeat_each(1): their
		// blocks can only run once per server start
		br.repeat = fr.opts.RepeatEach
	}
	if br.repeat < 1 || b.Has("server_exits") {
		br.repeat = 1 // the server is gone after a --- server_exits block
	}
	if err := br.setupTLS(); err != nil {
		t.Fatal(err)
	}
	if err := br.setupRoot(); err != nil {
		t.Fatal(err)
	}
	if b.Has("must_die") {
		br.runMustDie()
		return
	}
	if !br.start() {
		return
	}
	defer br.stop()
	for rep := 0; rep < br.repeat; rep++ {
		br.runRepeat(rep)
	}
}

func (br *blockRun) expand(text string) string {
	out, err := Expand(text, br.env, br.randPorts)
	if err != nil {
		br.t.Fatalf("%s - %v", br.label(), err)
	}
	return out
}

func (br *blockRun) str(b *Block, name string) string {
	s, _, err := b.Str(name)
	if err != nil {
		br.t.Fatal(err)
	}
	return s
}

func (br *blockRun) setupRoot() error {
	root := br.fr.root
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for _, d := range []string{"conf", "html", "logs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(root, "html", "index.html"),
		[]byte("<html><head><title>It works!</title></head><body>It works!</body></html>"), 0o644); err != nil {
		return err
	}
	br.errLog = filepath.Join(root, "logs", "error.log")
	br.accLog = filepath.Join(root, "logs", "access.log")
	br.pidFile = filepath.Join(root, "logs", "nginx.pid")
	br.stderr = filepath.Join(root, "stderr.out")
	if err := br.writeUserFiles(); err != nil {
		return err
	}
	pre := br.fr.file.Pre
	cb := br.cfgBlock
	logLevel := br.fr.opts.LogLevel
	if pre.LogLevel != "" {
		logLevel = pre.LogLevel
	}
	if s := br.str(br.b, "log_level"); s != "" {
		logLevel = strings.TrimSpace(s)
	}
	serverName := "localhost"
	if pre.ServerName != "" {
		serverName = pre.ServerName
	}
	if s := br.str(br.b, "server_name"); s != "" {
		serverName = strings.TrimSpace(s)
	}
	serverName = strings.ReplaceAll(serverName, `\`, `\\`)
	serverName = strings.ReplaceAll(serverName, `'`, `\'`)
	main := br.str(cb, "main_config")
	if br.fr.opts.LoadModules != "" {
		var mods []string
		for _, m := range strings.Fields(br.fr.opts.LoadModules) {
			mods = append(mods, "load_module "+m+";")
		}
		main += strings.Join(mods, " ")
	}
	workers := 1
	if pre.Workers > 0 || pre.Workers == WorkersAuto {
		workers = pre.Workers
	}
	if br.fr.workers != 0 {
		workers = br.fr.workers // this run of workers_each
	}
	wc := 64
	if pre.WorkerConnections > 0 {
		wc = pre.WorkerConnections
	}
	listenOpts := ""
	if br.b.Has("http2") {
		listenOpts = " http2" // as Test::Nginx for --- http2
	}
	p := ConfParams{
		Workers:           workers,
		Daemon:            true,
		MasterOn:          pre.MasterOn,
		ErrorLog:          br.errLog,
		LogLevel:          logLevel,
		PidFile:           br.pidFile,
		AccessLog:         br.accLog,
		EnvToNginx:        pre.EnvToNginx,
		MainConfig:        br.expand(main),
		HTTPConfig:        br.expand(br.str(cb, "http_config")),
		PostMainConfig:    br.expand(br.str(cb, "post_main_config")),
		Port:              br.env["TEST_NGINX_SERVER_PORT"] + listenOpts,
		ServerName:        serverName,
		Config:            br.expand(br.str(cb, "config")),
		HTMLDir:           filepath.Join(root, "html"),
		NoRootLocation:    pre.NoRootLocation,
		WorkerConnections: wc,
		Root:              os.Geteuid() == 0,
	}
	return os.WriteFile(filepath.Join(root, "conf", "nginx.conf"), []byte(WriteConfig(p)), 0o644)
}

var userFileRe = regexp.MustCompile(`^>>> (\S+)(?:\s+(.+))?$`)

func (br *blockRun) writeUserFiles() error {
	s := br.cfgBlock.Get("user_files")
	if br.b.Has("user_files") {
		s = br.b.Get("user_files")
	}
	if s == nil {
		return nil
	}
	type uf struct{ name, body, date string }
	var files []uf
	switch s.Value.Kind {
	case KindStr:
		var cur *uf
		for _, l := range strings.SplitAfter(s.Value.Str, "\n") {
			if m := userFileRe.FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
				files = append(files, uf{name: m[1], date: m[2]})
				cur = &files[len(files)-1]
				continue
			}
			if cur != nil {
				cur.body += l
			}
		}
	case KindList:
		for _, e := range s.Value.List {
			if e.Kind != KindList || len(e.List) < 1 {
				return fmt.Errorf("--- user_files: each entry must be [name, body, date?]")
			}
			f := uf{name: e.List[0].Str}
			if len(e.List) > 1 {
				f.body = e.List[1].Str
			}
			if len(e.List) > 2 {
				f.date = e.List[2].Str
			}
			files = append(files, f)
		}
	default:
		return fmt.Errorf("--- user_files: wrong value type %s", s.Value.Kind)
	}
	for _, f := range files {
		path := f.name
		if !filepath.IsAbs(path) {
			path = filepath.Join(br.fr.root, "html", f.name)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(br.expand(f.body)), 0o644); err != nil {
			return err
		}
		if f.date != "" {
			tm, err := parseTouchDate(f.date)
			if err != nil {
				return err
			}
			if err := os.Chtimes(path, tm, tm); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseTouchDate parses touch -t's [[CC]YY]MMDDhhmm[.ss], in GMT.
func parseTouchDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	sec := "00"
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, sec = s[:i], s[i+1:]
	}
	switch len(s) {
	case 8:
		s = strconv.Itoa(time.Now().UTC().Year()) + s
	case 10:
		s = "20" + s
	}
	return time.Parse("20060102150405", s+sec)
}

func (br *blockRun) procEnv() []string {
	keys := make([]string, 0, len(br.env))
	for k := range br.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys)+len(br.randPorts))
	for _, k := range keys {
		out = append(out, k+"="+br.env[k])
	}
	for k, v := range br.randPorts {
		out = append(out, k+"="+v)
	}
	return out
}

func (br *blockRun) start() bool {
	t := br.t
	var res StartResult
	for try := 0; ; try++ {
		res = RunStart(br.fr.opts.Binary, br.fr.root, br.stderr, br.procEnv(), 30*time.Second)
		if res.Err == nil && res.ExitCode == 0 {
			break
		}
		if try < 5 && strings.Contains(res.Stderr+br.readAll(br.errLog), "Address already in use") {
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
			continue
		}
		t.Errorf("%s - cannot start the server: %v (exit %d)\nstderr:\n%s\nerror.log tail:\n%s",
			br.label(), res.Err, res.ExitCode, res.Stderr, tail(br.readAll(br.errLog), 20))
		return false
	}
	wait := br.fr.opts.StartWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	pid, err := WaitReady(br.pidFile, br.env["TEST_NGINX_SERVER_PORT"], wait)
	if err != nil {
		t.Errorf("%s - %v\nstderr:\n%s\nerror.log tail:\n%s", br.label(), err, res.Stderr, tail(br.readAll(br.errLog), 20))
		if pid > 0 {
			Stop(pid, time.Second)
		}
		return false
	}
	br.pid = pid
	return true
}

func (br *blockRun) stop() {
	t := br.t
	if br.pid == 0 {
		return
	}
	defer br.logContext()
	if br.b.Has("server_exits") {
		// the block stops the server itself (e.g. --- exec sends QUIT)
		if !WaitExit(br.pid, br.timeout) {
			t.Errorf("%s - --- server_exits: the server process %d is still running %v after the block", br.label(), br.pid, br.timeout)
			Stop(br.pid, time.Second)
		}
		return
	}
	if !Alive(br.pid) {
		t.Errorf("%s - the server process %d exited before the end of the test\nerror.log tail:\n%s\nstderr:\n%s",
			br.label(), br.pid, tail(br.readAll(br.errLog), 20), br.readAll(br.stderr))
		return
	}
	// The pid file may name another process by now (a binary upgrade, or a
	// spec that restarted the server): stop that one too.
	if p, err := ReadPid(br.pidFile); err == nil && p != br.pid && Alive(p) {
		if msg := Stop(p, br.stopTimeout); msg != "" {
			t.Errorf("%s - %s", br.label(), msg)
		}
	}
	if msg := Stop(br.pid, br.stopTimeout); msg != "" {
		t.Errorf("%s - %s", br.label(), msg)
	}
	for _, f := range []string{br.stderr, br.errLog} {
		out := br.readAll(f)
		if loc := crashRe.FindStringIndex(out); loc != nil {
			t.Errorf("%s - the server crashed or raced (%s):\n%s", br.label(), filepath.Base(f), tail(out[loc[0]:], 60))
		}
	}
	if br.b.Has("shutdown_error_log") || br.b.Has("no_shutdown_error_log") {
		lines := br.logLines()
		br.matchLines("shutdown_error_log", br.b.Get("shutdown_error_log"), lines, true, 0)
		br.matchLines("no_shutdown_error_log", br.b.Get("no_shutdown_error_log"), lines, false, 0)
	}
}

func (br *blockRun) readAll(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logLines returns the error log lines written since the last call (all of
// them with check_accum_error_log).
func (br *blockRun) logLines() []string {
	data, err := os.ReadFile(br.errLog)
	if err != nil {
		return nil
	}
	pos := br.logPos
	if pos > int64(len(data)) {
		pos = 0
	}
	if br.fr.file.Pre.CheckAccumErrLog {
		pos = 0
	} else {
		// only whole lines: a half-written last line is read next time
		end := int64(strings.LastIndexByte(string(data), '\n') + 1)
		if end < pos {
			end = pos
		}
		data = data[:end]
		br.logPos = end
	}
	return splitLines(string(data[pos:]))
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.TrimSuffix(s, "\n")+"\n", "\n")[:strings.Count(strings.TrimSuffix(s, "\n")+"\n", "\n")]
}

func (br *blockRun) runMustDie() {
	t := br.t
	want := strings.TrimSpace(br.str(br.b, "must_die"))
	for rep := 0; rep < br.repeat; rep++ {
		os.Remove(br.pidFile)
		res := RunStart(br.fr.opts.Binary, br.fr.root, br.stderr, br.procEnv(), 30*time.Second)
		switch {
		case res.Err != nil && !res.Signaled:
			t.Errorf("%s - failed to execute the server command line: %v", br.label(), res.Err)
		case res.Signaled:
			t.Errorf("%s - the server was killed by a signal: %v\nstderr:\n%s", br.label(), res.Err, res.Stderr)
		case want != "" && isNumber(want):
			if strconv.Itoa(res.ExitCode) != want {
				t.Errorf("%s - die with the expected exit code: got %d, want %s\nstderr:\n%s", br.label(), res.ExitCode, want, res.Stderr)
			}
		case res.ExitCode == 0:
			t.Errorf("%s - die as expected: the server started (exit status 0)", br.label())
		}
		// error_log patterns are matched against stderr and error.log
		lines := append(splitLines(res.Stderr), br.logLines()...)
		br.checkLogLines(lines, rep)
		if res.ExitCode == 0 && res.Err == nil {
			wait := br.fr.opts.StartWait
			if wait == 0 || wait > 2*time.Second {
				wait = 2 * time.Second
			}
			if pid, err := WaitReady(br.pidFile, "", wait); err == nil {
				Stop(pid, br.stopTimeout)
			}
		}
	}
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// setupTLS reads the goresty "--- tls" section.
func (br *blockRun) setupTLS() error {
	s := br.b.Get("tls")
	if s == nil {
		for _, n := range []string{"tls_session", "tls_protocol", "tls_error_like"} {
			if br.b.Has(n) {
				return fmt.Errorf("--- %s needs --- tls", n)
			}
		}
		return nil
	}
	if s.Value.Kind != KindStr {
		return fmt.Errorf("--- tls: expected key: value lines")
	}
	o := &TLSOptions{}
	port := br.env["TEST_NGINX_SERVER_SSL_PORT"]
	cacheOn := false
	txt := strings.TrimSpace(s.Value.Str)
	if txt == "on" || txt == "1" {
		txt = ""
	}
	for _, l := range strings.Split(txt, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return fmt.Errorf("--- tls: bad line %q (want key: value)", l)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(br.expand(strings.TrimSpace(v)))
		switch k {
		case "sni", "server_name":
			o.ServerName = v
		case "port":
			port = v
		case "version", "versions":
			lo, hi, _ := strings.Cut(v, "-")
			if hi == "" {
				hi = lo
			}
			var err error
			if o.MinVersion, err = parseTLSVersion(lo); err != nil {
				return err
			}
			if o.MaxVersion, err = parseTLSVersion(hi); err != nil {
				return err
			}
		case "session_cache", "sessions":
			switch v {
			case "on":
				cacheOn = true
			case "off":
			default:
				return fmt.Errorf("--- tls: session_cache must be on or off")
			}
		case "verify":
			switch v {
			case "on":
				o.Verify = true
				pool := x509.NewCertPool()
				ca := filepath.Join(br.env["TEST_NGINX_CERT_DIR"], "ca.crt")
				pem, err := os.ReadFile(ca)
				if err != nil {
					return fmt.Errorf("--- tls: verify: %v", err)
				}
				pool.AppendCertsFromPEM(pem)
				o.RootCAs = &tls.Config{RootCAs: pool}
			case "off":
			default:
				return fmt.Errorf("--- tls: verify must be on or off")
			}
		case "alpn":
			for _, p := range strings.Split(v, ",") {
				o.ALPN = append(o.ALPN, strings.TrimSpace(p))
			}
		default:
			return fmt.Errorf("--- tls: unsupported key %q", k)
		}
	}
	br.tlsCacheOn = cacheOn
	br.tlsOpts = o
	br.tlsAddr = "127.0.0.1:" + port
	return nil
}

func parseTLSVersion(s string) (uint16, error) {
	switch strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "TLSv"), "tls") {
	case "1.0", "1":
		return tls.VersionTLS10, nil
	case "1.1":
		return tls.VersionTLS11, nil
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	case "", "any":
		return 0, nil
	}
	return 0, fmt.Errorf("--- tls: unknown TLS version %q", s)
}

// label names the block in messages: "file.t:LINE: TEST N: title".
func (br *blockRun) label() string {
	return fmt.Sprintf("%s:%d: %s", br.fr.file.Name, br.b.Line, br.b.Name)
}

var skipSpecRe = regexp.MustCompile(`^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)([a-z])?(?:\s*:\s*(.*?))?\s*$`)

// skipReason evaluates --- skip_nginx / --- skip_openssl ("N: < 1.19.0" or
// "N: >= 1.1.1a: reason"); the test count N is ignored.
func (br *blockRun) skipReason() string {
	for _, n := range []string{"skip_nginx", "skip_openssl"} {
		spec := br.str(br.b, n)
		if spec == "" {
			continue
		}
		m := skipSpecRe.FindStringSubmatch(spec)
		if m == nil {
			br.t.Fatalf("%s - invalid --- %s spec: %s", br.label(), n, spec)
		}
		have := br.fr.opts.NginxVersion
		what := "nginx"
		if n == "skip_openssl" {
			have, what = br.fr.opts.OpenSSLVersion, "OpenSSL"
		}
		reason := m[7]
		if reason == "" {
			reason = fmt.Sprintf("%s version %s %s.%s.%s%s", what, m[2], m[3], m[4], m[5], m[6])
		}
		if have == "" {
			if n == "skip_openssl" {
				return "Not built with OpenSSL"
			}
			if strings.HasPrefix(m[2], "<") {
				return reason
			}
			continue
		}
		c := compareVersions(have, m[3]+"."+m[4]+"."+m[5]+m[6])
		var skip bool
		switch m[2] {
		case "<":
			skip = c < 0
		case "<=":
			skip = c <= 0
		case ">":
			skip = c > 0
		case ">=":
			skip = c >= 0
		}
		if skip {
			return reason
		}
	}
	return ""
}

// compareVersions compares "1.22.1" style versions, with an optional
// OpenSSL letter suffix ("1.1.1k").
func compareVersions(a, b string) int {
	key := func(v string) []int {
		var out []int
		for _, p := range strings.Split(v, ".") {
			n, letter := p, 0
			if l := len(p); l > 0 && p[l-1] >= 'a' && p[l-1] <= 'z' {
				n, letter = p[:l-1], int(p[l-1]-'a'+1)
			}
			x, _ := strconv.Atoi(n)
			out = append(out, x*100+letter)
		}
		return out
	}
	ka, kb := key(a), key(b)
	for i := 0; i < len(ka) && i < len(kb); i++ {
		if ka[i] != kb[i] {
			if ka[i] < kb[i] {
				return -1
			}
			return 1
		}
	}
	return len(ka) - len(kb)
}

var crashRe = regexp.MustCompile(`(?m)^(panic:|fatal error:|WARNING: DATA RACE)`)

var notableLogRe = regexp.MustCompile(`\[(warn|error|crit|alert|emerg)\]`)

// logContext logs, for a failed block, the last error log lines at warn
// level and above (the debug lines are in the kept server root with
// TEST_NGINX_NO_CLEAN=1).
func (br *blockRun) logContext() {
	if !br.t.Failed() {
		return
	}
	var notable []string
	for _, l := range splitLines(br.readAll(br.errLog)) {
		if notableLogRe.MatchString(l) {
			notable = append(notable, strings.TrimSuffix(l, "\n"))
		}
	}
	if len(notable) > 20 {
		notable = notable[len(notable)-20:]
	}
	if len(notable) > 0 {
		br.t.Logf("%s - error.log, last lines at warn and above:\n%s", br.label(), strings.Join(notable, "\n"))
	}
}
