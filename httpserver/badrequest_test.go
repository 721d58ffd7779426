package httpserver

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

func TestBadRequestPage(t *testing.T) {
	log := errlog.StderrLogger(errlog.Error)
	g := &generation{log: log}
	vs := &vserver{conf: &confparse.ServerConf{Settings: confparse.Settings{ServerTokens: false}}, name: "localhost"}
	grp := &addrGroup{network: "tcp", addr: "127.0.0.1:80", def: vs}
	qc := &quietConn{ln: &genListener{g: g, grp: grp}}
	for _, c := range []struct {
		in, status, title string
	}{
		{"HTTP/1.1 400 Bad Request" + goErrorHeaders + "400 Bad Request", "HTTP/1.1 400 Bad Request\r\n", "<title>400 Bad Request</title>"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + goErrorHeaders + "400 Bad Request: missing required Host header", "HTTP/1.1 400 Bad Request\r\n", "<title>400 Bad Request</title>"},
		{"HTTP/1.1 431 Request Header Fields Too Large" + goErrorHeaders + "431 Request Header Fields Too Large", "HTTP/1.1 400 Bad Request\r\n", "<title>400 Request Header Or Cookie Too Large</title>"},
		{"HTTP/1.1 501 Not Implemented" + goErrorHeaders + "Unsupported transfer encoding", "HTTP/1.1 501 Not Implemented\r\n", "<title>501 Not Implemented</title>"},
		{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version" + goErrorHeaders + "x", "HTTP/1.1 505 HTTP Version Not Supported\r\n", "<title>505 HTTP Version Not Supported</title>"},
		// ordinary responses (sorted headers, Date) and non-errors are left alone
		{"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\nabc", "", ""},
		{"HTTP/1.1 404 Not Found\r\nServer: goresty\r\n" + goErrorHeaders, "", ""},
		{"HTTP/1.1 200 OK" + goErrorHeaders, "", ""},
	} {
		out := string(qc.badRequestPage([]byte(c.in)))
		if c.status == "" {
			if out != "" {
				t.Errorf("%q rewritten", c.in)
			}
			continue
		}
		if !strings.HasPrefix(out, c.status) || !strings.Contains(out, c.title) ||
			!strings.Contains(out, "\r\nServer: goresty\r\n") || !strings.Contains(out, "<hr><center>goresty</center>") ||
			!strings.Contains(out, "\r\nContent-Type: text/html\r\n") || !strings.Contains(out, "\r\nConnection: close\r\n\r\n<html>") {
			t.Errorf("%q:\n%s", c.in, out)
		}
	}
}

func TestParseRefused(t *testing.T) {
	for _, c := range []struct {
		in, line, msg, host string
		lineOK              bool
		headers             int
	}{
		{"GARBAGE\r\n\r\n", "GARBAGE", "client sent invalid method while reading client request line", "", false, 0},
		{"\r\nget / HTTP/1.1\r\n\r\n", "get / HTTP/1.1", "client sent invalid method while reading client request line", "", false, 0},
		{"GET / HTTP/x\r\n\r\n", "GET / HTTP/x", "client sent invalid request while reading client request line", "", false, 0},
		{"GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nBad Header\r\nHost: late\r\n\r\n", "GET /a HTTP/1.1",
			`client sent invalid header line: "Bad\x20..." while reading client request headers`, "h", true, 2},
		{"GET /a HTTP/1.1\r\nX\x01Y: 1\r\n\r\n", "GET /a HTTP/1.1", `client sent invalid header line: "X\x01..." while reading client request headers`, "", true, 0},
		// a name without a value is nginx's (not the refusal's reason)
		{"GET /a HTTP/1.1\r\nHost: h\r\nNoValue\r\n", "GET /a HTTP/1.1", "client sent invalid request while reading client request headers", "h", true, 1},
		{"GET /cut", "GET /cut", "client sent invalid request while reading client request line", "", false, 0},
	} {
		h := parseRefused([]byte(c.in))
		if h.line != c.line || h.lineOK != c.lineOK || h.host != c.host || len(h.header) != c.headers {
			t.Errorf("%q: line %q ok %v host %q headers %v", c.in, h.line, h.lineOK, h.host, h.header)
		}
		if msg := refusalMessage(400, "400 Bad Request", &h); msg != c.msg {
			t.Errorf("%q: %s, want %s", c.in, msg, c.msg)
		}
	}
	if msg := refusalMessage(400, "400 Bad Request: missing required Host header", &refusedHead{}); msg != `client sent HTTP/1.1 request without "Host" header while reading client request headers` {
		t.Errorf("no Host: %s", msg)
	}
}
