package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsServer accepts connections and completes handshakes until the test ends.
func tlsServer(t *testing.T) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join("../../../t/cert", "ecdsa.crt"), filepath.Join("../../../t/cert", "ecdsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
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
			go func() {
				defer c.Close()
				c.(*tls.Conn).Handshake()
				var b [1]byte
				c.Read(b[:]) // until the client closes
			}()
		}
	}()
	return ln.Addr().String()
}

func loadOut(t *testing.T, args ...string) Result {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("tlsload %v: exit %d: %s", args, code, errb.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	return r
}

func TestModes(t *testing.T) {
	addr := tlsServer(t)
	tests := []struct {
		args        []string
		wantResumed bool
	}{
		{[]string{"-tls1_2", "-mode", "new"}, false},
		{[]string{"-tls1_2", "-mode", "reuse"}, true},
		{[]string{"-tls1_3", "-mode", "new"}, false},
		{[]string{"-tls1_3", "-mode", "reuse"}, true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := loadOut(t, append([]string{"-connect", addr, "-n", "20", "-c", "4", "-t", "20s"}, tc.args...)...)
			if r.Connections != 20 || r.Errors != 0 {
				t.Fatalf("connections %d errors %d (%v), want 20 and 0", r.Connections, r.Errors, r.ErrorKinds)
			}
			want := int64(0)
			if tc.wantResumed {
				want = 20
			}
			if r.Resumed != want {
				t.Errorf("resumed %d, want %d", r.Resumed, want)
			}
			if r.P99ms <= 0 || r.MaxMs < r.P99ms || r.P99ms < r.P50ms {
				t.Errorf("latencies p50 %v p99 %v max %v", r.P50ms, r.P99ms, r.MaxMs)
			}
		})
	}
}

func TestErrorsCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := loadOut(t, "-connect", addr, "-n", "5", "-t", "10s")
	if r.Connections != 0 || r.Errors != 5 || r.ErrorKinds["dial: connect: connection refused"] != 5 {
		t.Errorf("got %+v", r)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-mode", "x"}, {"-tls1_2", "-tls1_3"}, {"-c", "0"}, {"-t", "0s"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestPct(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := pct(lat, p); got != want {
			t.Errorf("pct %d = %v, want %v", p, got, want)
		}
	}
	if pct(nil, 99) != 0 {
		t.Error("pct of nothing")
	}
}
