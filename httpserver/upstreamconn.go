package httpserver

import (
	"bytes"
	"context"
	"net"
	"time"
)

// upstreamIOKey carries a request's upstreamIO to the dial functions.
type upstreamIOKey struct{}

// upstreamIO is how a connection to an upstream writes: proxy_send_timeout
// and proxy_http_version of the location that made it.
type upstreamIO struct {
	sendTimeout time.Duration
	http10      bool
}

// upstreamConn bounds each write by proxy_send_timeout (nginx's timer
// between two successive writes) and, for proxy_http_version 1.0, sends the
// request line as HTTP/1.0 (Go's client writes HTTP/1.1; with 1.0 the
// connection carries one request, with "Connection: close").
type upstreamConn struct {
	net.Conn
	sendTimeout time.Duration
	http10      bool // the first request line is still to be written
}

// wrapUpstream gives conn the write behaviour ctx's request asks for.
func wrapUpstream(ctx context.Context, conn net.Conn) net.Conn {
	io, _ := ctx.Value(upstreamIOKey{}).(upstreamIO)
	return &upstreamConn{Conn: conn, sendTimeout: io.sendTimeout, http10: io.http10}
}

var http11Line = []byte(" HTTP/1.1\r\n")

func (c *upstreamConn) Write(b []byte) (int, error) {
	if c.http10 {
		c.http10 = false
		if i := bytes.Index(b, http11Line); i >= 0 && bytes.IndexByte(b[:i], '\n') < 0 {
			nb := append([]byte(nil), b...)
			copy(nb[i:], " HTTP/1.0\r\n") // same length
			b = nb
		}
	}
	if c.sendTimeout > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.sendTimeout))
	}
	return c.Conn.Write(b)
}
