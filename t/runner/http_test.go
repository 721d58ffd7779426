package runner

import (
	"strings"
	"testing"
)

func TestBuildRequest(t *testing.T) {
	body := "raw body\n"
	for _, tc := range []struct {
		name, req, more, conn string
		body                  *string
		want                  string
	}{
		{"defaults", "GET /t\n", "", "close", nil,
			"GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"no uri", "GET", "", "close", nil,
			"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"http/1.0 and comments", "# a comment\n  GET /x HTTP/1.0\n", "", "close", nil,
			"GET /x HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"body trimmed with length", "POST /t\n  hello world \n", "", "close", nil,
			"POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello world"},
		{"more headers, host and connection replaced", "GET /t\n", "Host: a.test\nConnection: keep-alive\n# ignored\nX-Foo:bar\n", "close", nil,
			"GET /t HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive\r\nX-Foo: bar\r\n\r\n"},
		{"chunked: no length", "POST /t\n3\r\nabc\r\n0\r\n\r\n", "Transfer-Encoding: chunked\n", "close", nil,
			"POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"explicit length keeps the body", "POST /t\nab\n", "Content-Length: 2\n", "close", nil,
			"POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab\n"},
		{"request_body verbatim", "POST /t\n", "", "keep-alive", &body,
			"POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nContent-Length: 9\r\n\r\nraw body\n"},
	} {
		got, err := BuildRequest(tc.req, tc.more, "localhost", tc.conn, tc.body)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw         string
		head              bool
		code, body, left  string
		header, headerVal string
		err               string
	}{
		{name: "content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\n\r\nabc",
			code: "200", body: "abc", header: "X-A", headerVal: "1, 2"},
		{name: "pipelined leftover", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\n\r\n",
			code: "200", body: "ok", left: "HTTP/1.1 404 Not Found\r\n\r\n"},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\nNEXT",
			code: "200", body: "hello!", left: "NEXT"},
		{name: "chunked truncated", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
			code: "200", body: "", err: "not enough octets"},
		{name: "no last chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			code: "200", body: "hello", err: "no last chunk"},
		{name: "until close", raw: "HTTP/1.0 500 Internal Server Error\r\nServer: x\r\n\r\nbody\nmore",
			code: "500", body: "body\nmore"},
		{name: "truncated length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
			code: "200", body: "abc", err: "response body truncated: 10 expected, but got 3"},
		{name: "head", raw: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", head: true, code: "200", body: ""},
		{name: "304", raw: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", code: "304", body: ""},
		{name: "garbage", raw: "hello", code: "", body: ""},
		{name: "empty", raw: "", code: "", body: ""},
	} {
		res, left, err := ParseResponse([]byte(tc.raw), tc.head)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if res.Code != tc.code || res.Body != tc.body || string(left) != tc.left {
			t.Errorf("%s: code %q body %q left %q; want %q %q %q", tc.name, res.Code, res.Body, left, tc.code, tc.body, tc.left)
		}
		if tc.header != "" {
			if v, _ := res.Header(tc.header); v != tc.headerVal {
				t.Errorf("%s: header %s = %q, want %q", tc.name, tc.header, v, tc.headerVal)
			}
		}
	}
}

func TestParseHeaderSpec(t *testing.T) {
	got := parseHeaderSpec("  Content-Type : text/plain \n!X-Absent\nX-Empty:\nX-Colon: a: b\n")
	want := []headerSpec{{key: "Content-Type", val: "text/plain"}, {key: "X-Absent", absent: true},
		{key: "X-Empty"}, {key: "X-Colon", val: "a: b"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
