package httpserver

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// net/http answers a request it cannot parse (bad request line or header,
// no Host, unknown protocol version or Transfer-Encoding, headers past
// MaxHeaderBytes) by itself, in plain text, with no hook: it writes
//
//	HTTP/1.1 <code> <text>\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n<text>
//
// straight to the connection in one Write. That connection is our
// quietConn (plain HTTP) or tlsConn (over TLS, before encryption), which
// turn such a write into nginx's HTML error page (and log nginx's [info]
// line). Ordinary responses never match: Go writes their headers sorted,
// with Date, so "Content-Type" never comes before "Connection" right after
// the status line.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// badRequestPage returns nginx's answer for net/http's own error response
// b, or nil when b is not one.
func (c *quietConn) badRequestPage(b []byte) []byte {
	if len(b) < 13 || !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) || c.ln == nil {
		return nil
	}
	i := bytes.Index(b, []byte(goErrorHeaders))
	if i < 0 || bytes.IndexByte(b[:i], '\n') >= 0 {
		return nil
	}
	code, err := strconv.Atoi(string(b[9:12]))
	if err != nil || code < 400 {
		return nil
	}
	status := string(b[9:i])
	head := c.refusedHead()
	grp, g := c.ln.grp, c.ln.g
	srv := grp.def
	if head.known {
		srv = c.refusedServer(&head)
	}
	if g.log.Enabled(errlog.Info) {
		g.log.LogConn(errlog.Info, c.refusalConn(&head, srv), refusalMessage(code, status, &head))
	}
	if code == http.StatusRequestHeaderFieldsTooLarge {
		code = 494
	}
	shown := code
	if code >= 494 && code <= 497 {
		shown = 400
	}
	body := errorPageBody(code, srv.conf.ServerTokens)
	server := "goresty"
	if srv.conf.ServerTokens {
		server = "goresty/" + Version
	}
	out := make([]byte, 0, 200+len(body))
	out = append(out, "HTTP/1.1 "...)
	out = append(out, statusLine(shown)...)
	out = append(out, "\r\nServer: "...)
	out = append(out, server...)
	out = append(out, "\r\nDate: "...)
	out = time.Now().UTC().AppendFormat(out, http.TimeFormat)
	out = append(out, "\r\nContent-Type: text/html\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\nConnection: close\r\n\r\n"...)
	// logged when the connection closes, after this answer went out
	c.refused.Store(&refusedRequest{head: head, srv: srv, code: shown, sent: int64(len(body)), start: time.Now(),
		header: sentAnswer{"Content-Type": {"text/html"}, "Content-Length": {strconv.Itoa(len(body))}, "Connection": {"close"}}})
	return append(out, body...)
}

// statusLine is "400 Bad Request": the code and Go's text (nginx's
// status lines use the standard reason phrases).
func statusLine(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
