package tlssession

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestServerCPUPerResumedHandshake measures, as /work/shared/NOTES.md did
// for nginx+lua (≈78 µs), the server CPU (utime+stime of this process)
// per resumed TLS 1.2 handshake driven by `openssl s_time -reuse` in its
// own process, through the Lua fetch hook over a lua_shared_dict. It only
// runs with GORESTY_CPU_BENCH=1 (it takes a few seconds and wants a quiet
// machine); it reports, it does not assert.
func TestServerCPUPerResumedHandshake(t *testing.T) {
	if os.Getenv("GORESTY_CPU_BENCH") == "" {
		t.Skip("set GORESTY_CPU_BENCH=1")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	secs := 5
	if s := os.Getenv("GORESTY_CPU_BENCH_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	for _, mode := range []string{"lua", "stateless", "go-default"} {
		t.Run(mode, func(t *testing.T) {
			var srv *tls.Config
			var c *Counters
			switch mode {
			case "lua":
				e := newLuaEnv(t, storeLuaQuiet, fetchLuaQuiet, nil)
				srv, c = e.server(nil, "a"), e.c
			case "stateless":
				e := newEnv(t, nil, nil)
				srv, c = e.server(nil, "a"), e.c
			default:
				srv = &tls.Config{Certificates: []tls.Certificate{serverCert(t)}}
			}
			srv.CurvePreferences = []tls.CurveID{tls.CurveP256}
			addr := serveLean(t, srv)
			before := cpu()
			out, err := exec.Command("openssl", "s_time", "-connect", addr, "-reuse", "-tls1_2",
				"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-time", strconv.Itoa(secs)).CombinedOutput()
			used := cpu() - before
			if err != nil {
				t.Fatalf("s_time: %v\n%s", err, out)
			}
			m := regexp.MustCompile(`(\d+) connections in [\d.]+s`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("no connection count:\n%s", out)
			}
			n, _ := strconv.Atoi(string(m[1]))
			if c != nil && c.Hits.Load() < uint64(n)*9/10 {
				t.Errorf("only %d of %d connections resumed", c.Hits.Load(), n)
			}
			t.Logf("%s: %d resumed connections, server CPU %.1f µs/connection", mode, n, float64(used.Microseconds())/float64(n))
		})
	}
}

// serveLean accepts like a tuned server would (NOTES.md): no TCP
// keep-alive on accepted connections, no close_notify to a client that
// already left; it only handshakes.
func serveLean(t *testing.T, cfg *tls.Config) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetKeepAlive(false)
			go func() {
				tc := tls.Server(c, cfg)
				tc.Handshake()
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
