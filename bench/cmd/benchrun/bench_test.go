package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		in   []float64
		want stat
		str  string
	}{
		{nil, stat{}, "—"},
		{[]float64{5}, stat{5, 5, 5, 1}, "5"},
		{[]float64{3, 1, 2}, stat{2, 1, 3, 3}, "2 [1–3]"},
		{[]float64{4, 1, 3, 2}, stat{2.5, 1, 4, 4}, "2 [1–4]"},
	}
	for _, tc := range tests {
		got := summarize(tc.in)
		if got != tc.want || got.String() != tc.str {
			t.Errorf("summarize(%v) = %+v %q, want %+v %q", tc.in, got, got.String(), tc.want, tc.str)
		}
	}
}

func TestSTimeParsing(t *testing.T) {
	out := "Collecting connection statistics for 2 seconds\n" +
		"Now timing with session id reuse.\nstarting\nrrr*r\nrr\n\n" +
		"17455 connections in 0.60s; 29091.67 connections/user sec, bytes read 0\n" +
		"17455 connections in 3 real seconds, 0 bytes read per connection\n"
	m := sTimeConns.FindStringSubmatch(out)
	if m == nil || m[1] != "17455" {
		t.Fatalf("connections: %v", m)
	}
	if n := countReused(out[strings.Index(out, "starting"):]); n != 6 {
		t.Errorf("countReused = %d, want 6", n)
	}
}

func TestCPUTicks(t *testing.T) {
	before, err := cpuTicks([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	// spin until the kernel says this process used 50 ms of CPU (on a
	// loaded machine 50 ms of wall time may hold much less)
	start := selfCPU(t)
	for deadline := time.Now().Add(30 * time.Second); selfCPU(t)-start < 50*time.Millisecond && time.Now().Before(deadline); {
	}
	us, err := cpuSince(before)
	if err != nil {
		t.Fatal(err)
	}
	if us < 30000 {
		t.Errorf("50 ms of spinning counted as %.0f µs", us)
	}
	if _, err := cpuSince(map[int]uint64{1 << 30: 0}); err == nil {
		t.Error("a vanished pid is not an error")
	}
}

func TestLogLevels(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	log := "2026/11/24 14:00:00 [error] 12#12: *3 failed to store the session: no memory, client: 127.0.0.1, server: 0.0.0.0:443\n" +
		"2026/11/24 14:00:01 [error] 12#12: *9 failed to store the session: no memory, client: 127.0.0.1, server: 0.0.0.0:443\n" +
		"2026/11/24 14:00:02 [warn] 12#12: something\n" +
		"2026/11/24 14:00:02 [notice] 12#12: start worker\n"
	os.WriteFile(filepath.Join(dir, "logs", "error.log"), []byte(log), 0o644)
	in := &instance{Prefix: dir + "/"}
	if got := levels(in.logLevels()); got != "error: 2, warn: 1" {
		t.Errorf("levels = %q", got)
	}
	s := in.logSample(5)
	if len(s) != 1 || s[0] != "[error] failed to store the session: no memory" {
		t.Errorf("sample = %q", s)
	}
}

// The rendered configuration is valid nginx, and the instance machinery
// starts it, finds master and workers, fills its dict and stops it.
func TestNginxInstance(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed")
	}
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_lua_module.so"); err != nil {
		t.Skip("libnginx-mod-http-lua not installed")
	}
	certs, _ := filepath.Abs("../../../t/cert")
	p := confParams{Server: "nginx", Variant: "hooks", Workers: 2, Cert: filepath.Join(certs, "ecdsa.crt"),
		Key: filepath.Join(certs, "ecdsa.key"), Port: freePort(t), AdminPort: freePort(t), DictSize: "16m"}
	in, err := newInstance("nginx", nginx, t.TempDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.check(); err != nil {
		t.Fatal(err)
	}
	if err := in.start(); err != nil {
		t.Fatal(err)
	}
	defer in.stop()
	if n := len(in.pids()); n != 3 {
		t.Errorf("%d processes, want master + 2 workers", n)
	}
	stored, forced, err := fillRequest(&http.Client{Timeout: 10 * time.Second}, p.AdminPort, 10, 1000)
	if err != nil || stored != 1000 || forced != 0 {
		t.Errorf("fill: %d stored, %d forced, %v", stored, forced, err)
	}
	if n, err := dictKeys(p.AdminPort); err != nil || n != 1000 {
		t.Errorf("dict keys: %d %v", n, err)
	}
	if pss, rss, err := in.memory(); err != nil || pss <= 0 || rss < pss {
		t.Errorf("memory: pss %d rss %d %v", pss, rss, err)
	}
	in.stop()
	if in.alive() {
		t.Error("still running after stop")
	}
	if l := in.logLevels(); len(l) != 0 {
		t.Errorf("error log: %v %q", l, in.logSample(5))
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestRequestClientParsing(t *testing.T) {
	wrk := "Running 4s test @ https://127.0.0.1:1/lua\n  1 threads and 32 connections\n" +
		"  82349 requests in 4.00s, 12.30MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n" +
		"  Non-2xx or 3xx responses: 5\nRequests/sec:  20587.25\n"
	r, err := parseWrk(wrk, time.Second)
	if err != nil || r.Conns != 82344 || r.Errors != 8 {
		t.Errorf("parseWrk = %+v, %v; want 82344 requests, 8 errors", r, err)
	}
	h2 := "Application protocol: h2\n" +
		"requests: 8871 total, 8875 started, 8871 done, 8870 succeeded, 1 failed, 0 errored, 0 timeout\n" +
		"status codes: 8869 2xx, 0 3xx, 1 4xx, 0 5xx\n"
	r, err = parseH2load(h2, time.Second)
	if err != nil || r.Conns != 8869 || r.Errors != 2 {
		t.Errorf("parseH2load = %+v, %v; want 8869 requests, 2 errors", r, err)
	}
	if _, err := parseH2load(strings.Replace(h2, "h2", "http/1.1", 1), time.Second); err == nil {
		t.Error("parseH2load accepted a run that did not negotiate h2")
	}
}

// selfCPU is the CPU time this process has used (getrusage).
func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestInTurn(t *testing.T) {
	a, b, c := &instance{Label: "a", done: make(chan struct{})}, &instance{Label: "b", done: make(chan struct{})}, &instance{Label: "c", done: make(chan struct{})}
	labels := func(ins []*instance) string {
		var s []string
		for _, in := range ins {
			s = append(s, in.Label)
		}
		return strings.Join(s, " ")
	}
	ins := []*instance{a, b, c}
	for r, want := range map[int]string{1: "a b c", 2: "b c a", 3: "c a b"} {
		if got := labels(inTurn(ins, r)); got != want {
			t.Errorf("round %d: %q, want %q", r, got, want)
		}
	}
	close(b.done) // b exited
	if got := labels(inTurn(ins, 2)); got != "c a" {
		t.Errorf("round 2 without b: %q, want \"c a\"", got)
	}
}
