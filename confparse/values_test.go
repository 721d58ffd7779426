package confparse

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1024": 1024, "8k": 8 << 10, "8K": 8 << 10, "10m": 10 << 20, "30M": 30 << 20, "1g": 1 << 30,
		"": -1, "k": -1, "1.5m": -1, "-1": -1, "10x": -1, "1kb": -1, "99999999999999999999": -1,
	} {
		got, ok := parseSize(in)
		if (want < 0) == ok || (ok && got != want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in  string
		sec bool
		out time.Duration
		ok  bool
	}{
		{"30", false, 30 * time.Second, true},
		{"5s", false, 5 * time.Second, true},
		{"1h", false, time.Hour, true},
		{"68000ms", false, 68 * time.Second, true},
		{"1h 30m", false, 90 * time.Minute, true},
		{"1d12h", true, 36 * time.Hour, true},
		{"2w", true, 14 * 24 * time.Hour, true},
		{"1M", true, 30 * 24 * time.Hour, true},
		{"1y", true, 365 * 24 * time.Hour, true},
		{"500ms", true, 0, false},
		{"5q", false, 0, false},
		{"", false, 0, false},
		{"s", false, 0, false},
		{"1.5s", false, 0, false},
		{"-1s", false, 0, false},
		{"999999999999999999y", false, 0, false},
	} {
		got, ok := parseTime(c.in, c.sec)
		if ok != c.ok || got != c.out {
			t.Errorf("parseTime(%q, %v) = %v, %v; want %v, %v", c.in, c.sec, got, ok, c.out, c.ok)
		}
	}
}

func TestParseListen(t *testing.T) {
	for _, c := range []struct{ in, network, addr, err string }{
		{"1984", "tcp", ":1984", ""},
		{"*:80", "tcp", ":80", ""},
		{"127.0.0.1:443", "tcp", "127.0.0.1:443", ""},
		{"127.0.0.1", "tcp", "127.0.0.1:80", ""},
		{"[::]:443", "tcp", "[::]:443", ""},
		{"[::1]", "tcp", "[::1]:80", ""},
		{"localhost:8080", "tcp", "localhost:8080", ""},
		{"unix:/tmp/s.sock", "unix", "/tmp/s.sock", ""},
		{"0443", "tcp", ":443", ""},
		{"99999", "", "", `invalid port in "99999" of the "listen" directive`},
		{"0", "", "", `invalid port in "0" of the "listen" directive`},
		{"a:b", "", "", `invalid port in "a:b" of the "listen" directive`},
		{"1.2.3.4.5:80", "", "", `host not found in "1.2.3.4.5:80" of the "listen" directive`},
		{"[::1:80", "", "", `invalid host in "[::1:80" of the "listen" directive`},
		{"[zz]:80", "", "", `host not found in "[zz]:80" of the "listen" directive`},
		{"unix:", "", "", "no path in the unix domain socket"},
	} {
		n, a, e := parseListen(c.in)
		if n != c.network || a != c.addr || e != c.err {
			t.Errorf("parseListen(%q) = %q %q %q", c.in, n, a, e)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`a\"b`: `a"b`, `a\'b`: `a'b`, `a\\b`: `a\b`, `a\tb`: "a\tb", `a\nb`: "a\nb", `a\rb`: "a\rb",
		`a\xb`: `a\xb`, `\d+`: `\d+`, `plain`: `plain`,
	} {
		if got := unescape([]byte(in)); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
