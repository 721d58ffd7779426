package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goresty/goresty/httpserver/keysign"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestVersionAndHelp(t *testing.T) {
	code, _, e := runCmd("-v")
	if code != 0 || e != "nginx version: nginx/1.22.1 (goresty/"+Version+")\n" {
		t.Errorf("-v: %d %q", code, e)
	}
	// -V read as Test::Nginx's get_nginx_version reads it (the first
	// nginx/X.Y.Z anywhere), nginx's layout line by line.
	code, _, e = runCmd("-V")
	m := regexp.MustCompile(`(?s)(?:nginx|openresty)/(\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(e)
	if code != 0 || m == nil || m[1]+"."+m[2]+"."+m[3] != "1.22.1" {
		t.Errorf("-V: %d %q", code, e)
	}
	lines := strings.Split(strings.TrimSuffix(e, "\n"), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], "built with Go crypto/tls (go") || strings.Contains(e, "built with OpenSSL") ||
		lines[2] != "TLS SNI support enabled" || !strings.HasPrefix(lines[len(lines)-1], "configure arguments: --with-http_ssl_module --with-http_v2_module ") {
		t.Errorf("-V layout: %q", lines)
	}
	if desc, _ := keysign.Backend(); !strings.Contains(e, "\nRSA private keys sign with "+desc+"\n") {
		t.Errorf("-V does not say RSA keys sign with %s: %q", desc, e)
	}
	for _, h := range []string{"-h", "-?"} {
		code, _, e = runCmd(h)
		if code != 0 || !strings.HasPrefix(e, "Usage: goresty [-?hvVtTq]") {
			t.Errorf("%s: %d %q", h, code, e)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, `goresty: invalid option: "x"`},
		{[]string{"-tx"}, `goresty: invalid option: "x"`},
		{[]string{"foo"}, `goresty: invalid option: "foo"`},
		{[]string{"-c"}, `goresty: option "-c" requires file name`},
		{[]string{"-p"}, `goresty: option "-p" requires directory name`},
		{[]string{"-e"}, `goresty: option "-e" requires file name`},
		{[]string{"-g"}, `goresty: option "-g" requires parameter`},
		{[]string{"-s"}, `goresty: option "-s" requires parameter`},
		{[]string{"-s", "foo"}, `goresty: invalid option: "-s foo"`},
	} {
		code, _, e := runCmd(c.args...)
		if code != 1 || e != c.want+"\n" {
			t.Errorf("%q: %d %q, want %q", c.args, code, e, c.want)
		}
	}
}

// TestShippedConf: "goresty -t" accepts every configuration the repository
// ships in conf/.
func TestShippedConf(t *testing.T) {
	root := repoRoot(t)
	conf := filepath.Join(root, "conf/nginx.conf")
	// fleet.conf names the seal key every host shares, which its comment
	// tells the operator to make (openssl rand 32): a copy gets one.
	fleet := copyConf(t)
	if err := os.WriteFile(filepath.Join(fleet, "conf/session-seal.key"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ prefix, name string }{{root, "nginx.conf"}, {fleet, "fleet.conf"}} {
		name := c.name
		path := filepath.Join(c.prefix, "conf", name)
		code, out, e := runCmd("-t", "-p", c.prefix, "-c", "conf/"+name)
		want := "goresty: the configuration file " + path + " syntax is ok\n" +
			"goresty: configuration file " + path + " test is successful\n"
		if code != 0 || e != want || out != "" {
			t.Fatalf("-t -c conf/%s: %d\n%s", name, code, e)
		}
	}
	// Grouped flags, glued values, -q.
	code, out, e := runCmd("-tq", "-p"+root+"/", "-cconf/nginx.conf")
	if code != 0 || e != "" || out != "" {
		t.Fatalf("-tq: %d %q %q", code, out, e)
	}
	// -T dumps every file read.
	code, out, _ = runCmd("-T", "-q", "-p", root)
	text, _ := os.ReadFile(conf)
	if code != 0 || out != "# configuration file "+conf+":\n"+string(text)+"\n" {
		t.Fatalf("-T: %d %q", code, out)
	}
}

// copyConf copies the repository's conf/ into a new prefix.
func copyConf(t *testing.T) string {
	t.Helper()
	prefix := t.TempDir()
	src := filepath.Join(repoRoot(t), "conf")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(prefix, "conf", rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(prefix, "logs"), 0o755)
	return prefix
}

// TestBrokenVariants: each mutation of the shipped conf makes -t fail with
// one [emerg] line naming the file and line, and the line also lands in
// the error log.
func TestBrokenVariants(t *testing.T) {
	for _, c := range []struct {
		name     string
		old, new string // first occurrence of old is replaced
		want     string // regexp for the message after "[emerg] "; LINE = the line of the change
	}{
		{"store hook in server", "    server {\n", "    server {\n        ssl_session_store_by_lua_block { return }\n",
			`"ssl_session_store_by_lua_block" directive is not allowed here in FILE:LINE1`},
		{"unknown directive", "events {", "no_such_directive on;\nevents {", `unknown directive "no_such_directive" in FILE:LINE`},
		{"bad flag", "daemon off;", "daemon maybe;", `invalid value "maybe" in "daemon" directive, it must be "on" or "off" in FILE:LINE`},
		{"bad size", "ssl_sessions 10m", "ssl_sessions 10x", `invalid lua shared dict size "10x" in FILE:LINE`},
		{"bad time", "ssl_session_timeout 5m", "ssl_session_timeout 5x", `"ssl_session_timeout" directive invalid value in FILE:LINE`},
		{"missing cert", "cert/server.crt", "cert/missing.crt", `open\(\) "PREFIX/conf/cert/missing.crt" failed \(2: No such file or directory\) in FILE:LINE`},
		{"duplicate", "worker_processes auto;", "worker_processes auto; worker_processes 2;", `"worker_processes" directive is duplicate in FILE:LINE`},
		{"missing semicolon", "pid logs/nginx.pid;", "pid logs/nginx.pid", `directive "pid" is not terminated by ";" in FILE:\d+`},
		{"extra brace", "events {", "}\nevents {", `unexpected "}" in FILE:LINE`},
		{"lua syntax", "ngx.say(\"hello from goresty over \"", "ngx.say(\"hello from goresty over \" .. .. ",
			`failed to load inlined Lua code: content_by_lua\(nginx.conf:\d+\):2: .* in FILE:\d+`},
		{"binary", "events {", "\x00\x01events {", `unexpected "\\x00" in FILE:LINE`},
	} {
		t.Run(c.name, func(t *testing.T) {
			prefix := copyConf(t)
			conf := filepath.Join(prefix, "conf/nginx.conf")
			b, _ := os.ReadFile(conf)
			text := string(b)
			i := strings.Index(text, c.old)
			if i < 0 {
				t.Fatalf("conf/nginx.conf has no %q any more: update this variant", c.old)
			}
			line := strings.Count(text[:i], "\n") + 1
			text = text[:i] + c.new + text[i+len(c.old):]
			os.WriteFile(conf, []byte(text), 0o644)
			want := strings.NewReplacer("FILE", regexp.QuoteMeta(conf), "PREFIX", regexp.QuoteMeta(prefix),
				"LINE1", strconv.Itoa(line+1), "LINE", strconv.Itoa(line)).Replace(c.want)
			errLog := filepath.Join(prefix, "logs/startup.log")
			code, out, e := runCmd("-t", "-p", prefix, "-e", errLog)
			lines := strings.Split(strings.TrimSuffix(e, "\n"), "\n")
			if code != 1 || out != "" || len(lines) != 2 {
				t.Fatalf("exit %d, stderr:\n%s", code, e)
			}
			if !regexp.MustCompile(`^goresty: \[emerg\] (` + want + `)$`).MatchString(lines[0]) {
				t.Fatalf("got  %s\nwant %s", lines[0], want)
			}
			if lines[1] != "goresty: configuration file "+conf+" test failed" {
				t.Fatalf("second line %q", lines[1])
			}
			logged, _ := os.ReadFile(errLog)
			msg := strings.TrimPrefix(lines[0], "goresty: [emerg] ")
			if !regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: ` + regexp.QuoteMeta(msg) + "\n$").Match(logged) {
				t.Fatalf("error log: %q", logged)
			}
		})
	}
}

// TestStartErrorLogged: a config error on start (not -t) is one [emerg]
// line on stderr, appended to PREFIX/logs/error.log by default, exit 1.
func TestStartErrorLogged(t *testing.T) {
	prefix := t.TempDir()
	os.MkdirAll(prefix+"/conf", 0o755)
	os.MkdirAll(prefix+"/logs", 0o755)
	os.WriteFile(prefix+"/conf/nginx.conf", []byte("events {}\nhttp {\n  server {\n    ssl_session_fetch_by_lua_block { }\n  }\n}\n"), 0o644)
	code, _, e := runCmd("-p", prefix)
	want := `goresty: [emerg] "ssl_session_fetch_by_lua_block" directive is not allowed here in ` + prefix + "/conf/nginx.conf:4\n"
	if code != 1 || e != want {
		t.Fatalf("%d %q", code, e)
	}
	logged, _ := os.ReadFile(prefix + "/logs/error.log")
	if !bytes.Contains(logged, []byte("[emerg] ")) || !bytes.HasSuffix(logged, []byte(strings.TrimPrefix(want, "goresty: [emerg] "))) {
		t.Fatalf("error log %q", logged)
	}
	// Missing conf file and a directory as conf.
	code, _, e = runCmd("-p", prefix, "-c", "conf/none.conf")
	if code != 1 || e != `goresty: [emerg] open() "`+prefix+`/conf/none.conf" failed (2: No such file or directory)`+"\n" {
		t.Fatalf("%d %q", code, e)
	}
	code, _, e = runCmd("-p", prefix, "-c", "conf")
	if code != 1 || e != `goresty: [emerg] read() "`+prefix+`/conf" failed (21: Is a directory)`+"\n" {
		t.Fatalf("%d %q", code, e)
	}
}

func TestSignals(t *testing.T) {
	prefix := t.TempDir()
	os.MkdirAll(prefix+"/conf", 0o755)
	os.MkdirAll(prefix+"/logs", 0o755)
	pidFile := prefix + "/run.pid"
	os.WriteFile(prefix+"/conf/nginx.conf", []byte("pid "+pidFile+";\nevents {}\n"), 0o644)

	code, _, e := runCmd("-p", prefix, "-s", "reload")
	if code != 1 || e != `goresty: [error] open() "`+pidFile+`" failed (2: No such file or directory)`+"\n" {
		t.Fatalf("no pid file: %d %q", code, e)
	}
	os.WriteFile(pidFile, []byte("abc\n"), 0o644)
	code, _, e = runCmd("-p", prefix, "-s", "reload")
	if code != 1 || e != `goresty: [error] invalid PID number "abc" in "`+pidFile+`"`+"\n" {
		t.Fatalf("bad pid: %d %q", code, e)
	}
	if b, _ := os.ReadFile(prefix + "/logs/error.log"); !regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: invalid PID number "abc" in "` + regexp.QuoteMeta(pidFile) + `"$`).Match(b) {
		t.Fatalf("error.log: %q", b)
	}

	for sigName, sig := range map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT, "reopen": syscall.SIGUSR1, "reload": syscall.SIGHUP} {
		child := exec.Command("sleep", "30")
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(pidFile, []byte(strconv.Itoa(child.Process.Pid)+"\n"), 0o644)
		code, _, e := runCmd("-p", prefix, "-s", sigName)
		if code != 0 || e != "" {
			t.Fatalf("-s %s: %d %q", sigName, code, e)
		}
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		select {
		case err := <-done:
			ws, ok := child.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != sig {
				t.Fatalf("-s %s: child ended with %v, want signal %v", sigName, err, sig)
			}
		case <-time.After(10 * time.Second):
			child.Process.Kill()
			t.Fatalf("-s %s: child not signalled", sigName)
		}
	}
}

// TestTestRunsServerChecks: -t also runs httpserver.Check (ciphers,
// certificates, curves, regexes): its errors are [emerg] and fail the test,
// its warnings (and confparse's) are printed as nginx's "[warn]" lines,
// even with -q.
func TestTestRunsServerChecks(t *testing.T) {
	certs := filepath.Join(repoRoot(t), "t/cert")
	prefix := t.TempDir() + "/"
	os.MkdirAll(prefix+"logs", 0o755)
	os.WriteFile(prefix+"mod.so", nil, 0o644)
	server := func(extra string) string {
		return "load_module mod.so;\nevents {}\nhttp {\n" +
			"    ssl_certificate " + certs + "/ecdsa.crt;\n    ssl_certificate_key " + certs + "/ecdsa.key;\n" +
			"    server {\n        listen 127.0.0.1:1 ssl;\n        server_name a;\n" + extra +
			"    }\n    server { listen 127.0.0.1:1 ssl; server_name a; }\n}\n"
	}
	for _, c := range []struct {
		name, conf string
		code       int
		want       []string // stderr lines (regexps, anchored)
	}{
		{"warnings", server("        ssl_protocols TLSv1 TLSv1.2;\n"), 0, []string{
			`goresty: \[warn\] load_module ignored: goresty has no dynamic modules in \S+/nginx.conf:1`,
			`goresty: \[warn\] conflicting server name "a" on 127\.0\.0\.1:1, ignored`,
			`goresty: \[warn\] ssl_protocols TLSv1 is not supported by goresty .*`,
			`goresty: the configuration file \S+ syntax is ok`,
			`goresty: configuration file \S+ test is successful`,
		}},
		{"bad cipher", server("        ssl_ciphers NO-SUCH-CIPHER;\n"), 1, []string{
			`goresty: \[warn\] load_module ignored: .*`,
			`goresty: \[warn\] conflicting server name "a" on 127\.0\.0\.1:1, ignored`,
			`goresty: \[emerg\] SSL_CTX_set_cipher_list\("NO-SUCH-CIPHER"\) failed .*`,
			`goresty: configuration file \S+ test failed`,
		}},
		{"bad curve", server("        ssl_ecdh_curve nosuchcurve;\n"), 1, []string{
			`goresty: \[warn\] load_module ignored: .*`,
			`goresty: \[warn\] conflicting server name .*`,
			`goresty: \[emerg\] SSL_CTX_set1_curves_list\("nosuchcurve"\) failed .*`,
			`goresty: configuration file \S+ test failed`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(prefix+"nginx.conf", []byte(c.conf), 0o644)
			for _, args := range [][]string{{"-t"}, {"-tq"}} {
				code, _, e := runCmd(append(args, "-p", prefix, "-c", "nginx.conf")...)
				want := c.want
				if args[0] == "-tq" && code == 0 {
					want = want[:len(want)-2]
				}
				lines := strings.Split(strings.TrimSuffix(e, "\n"), "\n")
				ok := code == c.code && len(lines) == len(want)
				for i := 0; ok && i < len(want); i++ {
					ok = regexp.MustCompile(`\A` + want[i] + `\z`).MatchString(lines[i])
				}
				if !ok {
					t.Errorf("%v: exit %d\n%s", args, code, e)
				}
			}
		})
	}
}

// TestStartLogDestinations: start-up messages go where nginx puts them: the
// -e file gets the log line and stderr "goresty: [emerg] ..."; with -e
// stderr, stderr gets the log line only; a start-up log that cannot be
// opened is an [alert], then the log line goes to stderr.
func TestStartLogDestinations(t *testing.T) {
	prefix := t.TempDir()
	os.MkdirAll(prefix+"/conf", 0o755)
	os.MkdirAll(prefix+"/logs", 0o755)
	os.WriteFile(prefix+"/conf/nginx.conf", []byte("events {}\nhttp { foo; }\n"), 0o644)
	msg := `unknown directive "foo" in ` + prefix + `/conf/nginx.conf:2`
	logLine := `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: ` + regexp.QuoteMeta(msg) + "\n"

	code, _, e := runCmd("-p", prefix, "-e", "logs/start.log")
	b, _ := os.ReadFile(prefix + "/logs/start.log")
	if code != 1 || e != "goresty: [emerg] "+msg+"\n" || !regexp.MustCompile(`\A`+logLine+`\z`).Match(b) {
		t.Errorf("-e FILE: %d %q, file %q", code, e, b)
	}
	code, _, e = runCmd("-p", prefix, "-e", "stderr")
	if code != 1 || !regexp.MustCompile(`\A`+logLine+`\z`).MatchString(e) {
		t.Errorf("-e stderr: %d %q", code, e)
	}
	code, _, e = runCmd("-p", prefix, "-e", "nodir/x.log")
	alert := `goresty: \[alert\] could not open error log file: open\(\) "` + regexp.QuoteMeta(prefix) + `/nodir/x.log" failed \(2: No such file or directory\)\n`
	if code != 1 || !regexp.MustCompile(`\A`+alert+logLine+`\z`).MatchString(e) {
		t.Errorf("-e unopenable: %d %q", code, e)
	}
}
