package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/goresty/goresty/httpserver/tlssession"
	"github.com/goresty/goresty/luavm/errlog"
)

// socket is one listening socket. Sockets live across reloads: each
// configuration generation accepts on them through its own genListener.
type socket struct {
	key       string // network + " " + addr
	network   string
	addr      string
	reuseport bool
	ln        net.Listener
}

func openSocket(network, addr string, reuseport bool) (*socket, error) {
	lc := net.ListenConfig{KeepAlive: -1} // no TCP keep-alive set-up on accepted connections
	// As nginx: "listen 80" is IPv4 only and "listen [::]:80" IPv6 only
	// (ipv6only=on), so both can be configured side by side.
	lnet := network
	v6only := false
	if network == "tcp" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.To4() != nil) {
				lnet = "tcp4"
			} else if ip != nil {
				lnet, v6only = "tcp6", true
			}
		}
	}
	if reuseport || v6only {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				if reuseport {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
				}
				if v6only && serr == nil {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	if network == "unix" {
		// nginx removes a stale socket file left by a previous run
		if st, err := os.Lstat(addr); err == nil && st.Mode()&os.ModeSocket != 0 {
			os.Remove(addr)
		}
	}
	ln, err := lc.Listen(context.Background(), lnet, addr)
	if err != nil {
		shown := addr
		if network == "unix" {
			shown = "unix:" + addr
		} else if strings.HasPrefix(addr, ":") {
			shown = "0.0.0.0" + addr
		}
		return nil, fmt.Errorf("bind() to %s failed (%s)", shown, errlog.ErrnoText(err))
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return &socket{key: network + " " + addr, network: network, addr: addr, reuseport: reuseport, ln: ln}, nil
}

type deadliner interface{ SetDeadline(time.Time) error }

// genListener is a generation's view of a socket: Accept calls the socket's
// Accept directly (no goroutine hand-off); detach wakes it up and makes it
// return net.ErrClosed without closing the socket (reload).
type genListener struct {
	s        *socket
	g        *generation
	grp      *addrGroup
	detached atomic.Bool
	done     chan struct{}
	once     sync.Once
}

func (l *genListener) Accept() (net.Conn, error) {
	for {
		if l.detached.Load() {
			return nil, net.ErrClosed
		}
		c, err := l.s.ln.Accept()
		if err != nil {
			if l.detached.Load() {
				if c != nil {
					c.Close()
				}
				return nil, net.ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// a deadline poke meant for an older generation
				if d, ok := l.s.ln.(deadliner); ok {
					d.SetDeadline(time.Time{})
				}
				continue
			}
			return nil, err
		}
		if !l.g.admit() {
			c.Close()
			continue
		}
		qc := &quietConn{Conn: c, id: nextConnID(), ln: l, raw: newRawSock(c)}
		qc.scanVal.init()
		qc.scan = &qc.scanVal
		if l.grp.base != nil {
			qc.tlsw = tlsConn{Conn: tls.Server(qc, l.grp.base), qc: qc}
			return &qc.tlsw, nil
		}
		return qc, nil
	}
}

// Close is called by http.Server on Shutdown/Close: it detaches.
func (l *genListener) Close() error {
	l.detach()
	return nil
}

func (l *genListener) detach() {
	l.once.Do(func() { l.detached.Store(true) })
	l.poke()
}

// poke wakes the goroutines blocked in the socket's Accept; the current
// generation's listener just accepts again.
func (l *genListener) poke() {
	if d, ok := l.s.ln.(deadliner); ok {
		d.SetDeadline(time.Unix(1, 0))
	}
}

// waitDetached waits until the generation's accept loop has left Accept. A
// poke can be missed by a goroutine that was just about to call Accept (and
// its deadline reset by the next generation), so it pokes again until then;
// a connection accepted meanwhile is served by this generation.
func (l *genListener) waitDetached() {
	t := time.NewTimer(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			l.poke()
			t.Reset(5 * time.Millisecond)
		}
	}
}

func (l *genListener) Addr() net.Addr { return l.s.ln.Addr() }

var connCounter atomic.Uint64

func nextConnID() uint64 { return connCounter.Add(1) }

// quietConn is an accepted connection. Once the peer is gone (EOF or an
// error on read) or has sent a TLS 1.2 alert, a TLS alert write (the
// close_notify on close) is dropped instead of failing on the wire.
type quietConn struct {
	net.Conn
	id       uint64
	ln       *genListener            // the generation and address group that accepted it
	peerGone atomic.Bool             // set by Read, read by Write: net/http reads in the background while a handler writes
	fresh    atomic.Bool             // counted in addrGroup.fresh
	sess     *tlssession.ConnSession // &sessVal once the handshake uses it
	// Per-connection session state and hook log suffixes, kept inside the
	// connection (no allocation of their own on the handshake path).
	sessVal tlssession.ConnSession
	logc    errlog.Conn
	// scan follows the connection's HTTP/1 requests (strict.go): fed
	// by Read on plain HTTP, by tlsw's Read over TLS.
	scan    *reqScan
	scanVal reqScan
	tlsw    tlsConn     // over TLS: what http.Server is given (tlsstrict.go)
	raw     *rawSock    // Conn's socket for raw reads and writes (rawio.go); nil without one
	closed  atomic.Bool // counted out of openConns (connlimit.go)
	// requests counts the HTTP/1.x requests read (keepalive_requests)
	requests atomic.Int64
	// head is what the lean loop read of the request it handed to
	// net/http (after headAt requests), refused the refusal net/http
	// answered, to log when the connection closes (refused.go)
	head    []byte
	headAt  int64
	refused atomic.Pointer[refusedRequest]
	// clientCert is the client certificate's verification (clientcert.go);
	// luaVerify, when set, is what ngx.ssl.verify_client asked for.
	clientCert clientCertState
	luaVerify  *clientVerify
}

func (c *quietConn) Read(b []byte) (int, error) {
	n, err := c.sockRead(b)
	if n > 0 && c.tlsw.Conn == nil {
		c.scanVal.feed(b[:n])
	}
	if err != nil {
		c.peerGone.Store(true)
	} else if n >= 5 && b[0] == 0x15 && b[1] == 3 {
		c.peerGone.Store(true) // an alert record, in practice close_notify
	}
	return n, err
}

func (c *quietConn) Write(b []byte) (int, error) {
	if len(b) > 0 {
		switch b[0] {
		case 0x15: // TLS alert
			if c.peerGone.Load() && len(b) <= 64 {
				return len(b), nil
			}
		case 'H':
			if page := c.nginxAnswer(b); page != nil {
				if _, err := c.Conn.Write(page); err != nil {
					return 0, err
				}
				return len(b), nil
			}
		}
	}
	return c.sockWrite(b)
}

// nginxAnswer is nginx's answer to replace b with when b is net/http's own
// answer to a bad request (plain HTTP here, the plaintext in tlsConn), else
// nil.
func (c *quietConn) nginxAnswer(b []byte) []byte {
	if len(b) > 9 && b[0] == 'H' && (b[9] == '4' || b[9] == '5') {
		return c.badRequestPage(b)
	}
	return nil
}

// connOf digs our quietConn out of what http.Server hands to ConnContext.
func connOf(c net.Conn) *quietConn {
	switch x := c.(type) {
	case *quietConn:
		return x
	case *tlsConn:
		if !x.handed.Load() {
			return x.qc
		}
	case *tls.Conn:
		if q, ok := x.NetConn().(*quietConn); ok {
			return q
		}
	case *replayConn:
		return connOf(x.Conn)
	case *replayTLSConn:
		return connOf(x.Conn)
	}
	return nil
}

var _ io.Reader = (*quietConn)(nil)
