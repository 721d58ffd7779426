package httpserver

import (
	"reflect"
	"strings"
	"testing"
)

// TestReqScan: the flags of each header block of a connection's byte
// stream, whatever the read boundaries (every split point is tried).
func TestReqScan(t *testing.T) {
	const ok = scanQueued
	cases := []struct {
		name, in string
		want     []uint8
	}{
		{"get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", []uint8{ok}},
		{"pipelined with bodies",
			"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
				"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n" +
				"GET /c HTTP/1.1\r\nHost: a\r\n\r\n",
			[]uint8{ok, ok, ok}},
		{"bare LF lines", "GET / HTTP/1.1\nHost: a\n\nGET / HTTP/1.1\nHost: a\n\n", []uint8{ok, ok}},
		{"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", []uint8{ok | scanCLTE}},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", []uint8{ok | scanFold}},
		{"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", []uint8{ok | scanTE10}},
		{"HTTP/1.0 without TE", "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n", []uint8{ok, ok}},
		{"a long request line", "GET /" + strings.Repeat("x", 100) + " HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", []uint8{ok | scanTE10}},
		{"body bytes are not headers", "POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n x: y\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", []uint8{ok, ok}},
		{"HTTP/2 preface stops", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for split := 0; split <= len(tc.in); split++ {
				var s reqScan
				s.init()
				s.feed([]byte(tc.in[:split]))
				s.feed([]byte(tc.in[split:]))
				var got []uint8
				for f := s.pop(); f != 0; f = s.pop() {
					got = append(got, f)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("split at %d: flags %v, want %v", split, got, tc.want)
				}
			}
		})
	}
}

func FuzzReqScan(f *testing.F) {
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 7)
	f.Add([]byte("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), 3)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		var s reqScan
		s.init()
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		s.feed(b[:split])
		s.feed(b[split:])
		for f := s.pop(); f != 0; f = s.pop() {
			if f&scanQueued == 0 {
				t.Fatalf("flags %d without scanQueued", f)
			}
		}
	})
}
