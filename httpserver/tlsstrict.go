package httpserver

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// net/http reads an HTTPS request inside crypto/tls when it is handed a
// *tls.Conn, where reqScan (strict.go) cannot follow the plaintext, and
// its own error answers (badrequest.go) are encrypted before we see them.
// So an accepted TLS connection is handed to http.Server as a tlsConn: not
// a *tls.Conn, so net/http serves it as HTTP/1 through our Read and Write,
// but one with a ConnectionState method, which net/http calls once, before
// reading the first request, to fill in Request.TLS. That call makes the
// handshake, with the deadline net/http would give it (the header timeout),
// in the connection's own goroutine as before: nothing is added to the
// handshake itself.
//
// A connection whose handshake fails is handed as the *tls.Conn to a
// second http.Server of the address (addrGroup.alt, through a handoff
// listener), which does with it what net/http always did (the failure's
// log line, or its answer to plain HTTP on a TLS port). The first server
// sees that connection end before its first request. One that negotiates
// h2 is served by goresty's HTTP/2 server (h2conn.go).
type tlsConn struct {
	*tls.Conn
	qc     *quietConn
	shaken bool        // ConnectionState made the handshake
	handed atomic.Bool // given to the address's alt server
}

// ConnectionState makes the handshake when net/http first asks (once,
// from the connection's goroutine); the zero state when the connection
// went to the alt server.
func (c *tlsConn) ConnectionState() tls.ConnectionState {
	if c.shaken {
		if c.handed.Load() {
			return tls.ConnectionState{}
		}
		return c.Conn.ConnectionState()
	}
	c.shaken = true
	// As net/http: read and write deadlines for the handshake; the write
	// one is lifted after it (net/http sets the read one again at once,
	// for the request header).
	c.Conn.SetDeadline(time.Now().Add(headerTimeout(c.qc.ln.grp)))
	err := c.Conn.Handshake()
	st := c.Conn.ConnectionState()
	if err == nil && !altProto(st.NegotiatedProtocol) {
		c.Conn.SetWriteDeadline(time.Time{})
		return st
	}
	c.handed.Store(true)
	c.qc.ln.grp.handoff.hand(c.Conn)
	return tls.ConnectionState{}
}

// altProto is whether ALPN chose a protocol the lean loop does not serve
// (neither HTTP/1 nor h2, h2conn.go): net/http's through TLSNextProto.
func altProto(proto string) bool {
	return proto != "" && proto != "http/1.1" && proto != "http/1.0" && proto != "h2"
}

func (c *tlsConn) Read(b []byte) (int, error) {
	if c.handed.Load() {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.qc.scanVal.feed(b[:n])
	}
	return n, err
}

func (c *tlsConn) Write(b []byte) (int, error) {
	if page := c.qc.nginxAnswer(b); page != nil {
		if _, err := c.Conn.Write(page); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// Once handed over, the connection is the alt server's: the first one's
// deadlines and Close do not reach it.

func (c *tlsConn) Close() error {
	if c.handed.Load() {
		return nil
	}
	return c.Conn.Close()
}

func (c *tlsConn) SetDeadline(t time.Time) error {
	if c.handed.Load() {
		return nil
	}
	return c.Conn.SetDeadline(t)
}

func (c *tlsConn) SetReadDeadline(t time.Time) error {
	if c.handed.Load() {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *tlsConn) SetWriteDeadline(t time.Time) error {
	if c.handed.Load() {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// handoff is the alt server's listener: it accepts what tlsConns hand it.
type handoff struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoff(addr net.Addr) *handoff {
	return &handoff{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// hand gives c to the alt server; closed when that one has stopped.
func (h *handoff) hand(c net.Conn) {
	select {
	case h.ch <- c:
	case <-h.done:
		c.Close()
	}
}

func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoff) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoff) Addr() net.Addr { return h.addr }

// altServer is the address's server for the connections tlsConn hands
// over (nil on plain HTTP).
func (g *generation) altServer(grp *addrGroup) {
	if grp.base == nil {
		return
	}
	grp.handoff = newHandoff(grp.ln.Addr())
	grp.alt = g.httpServer(grp)
}

// stopServers shuts the address's servers down: the lean loop's
// connections, then net/http's first server, then the alt one, each
// taking what the one before hands over until then.
func (grp *addrGroup) stopServers(stopLean func(*leanSet), stop func(*http.Server)) {
	stopLean(&grp.lean)
	if grp.srv != nil {
		stop(grp.srv)
	}
	if grp.alt != nil {
		stop(grp.alt)
	}
}
