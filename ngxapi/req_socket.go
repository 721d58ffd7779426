// ngx.req.socket: the downstream cosocket.

package ngxapi

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// ngx.req.socket() reads the request body as a stream (receive,
// receiveany, receiveuntil); ngx.req.socket(true) takes over the whole
// HTTP/1.x connection (the request body and whatever the client sends
// next, and send for the answer), as OpenResty's raw request socket: no
// response header is sent for the request any more (a 101 sent before
// stays), ngx.say/print/flush/eof answer "raw request socket acquired",
// and the connection is closed when the request ends. Both read and send
// with the location's lua_socket_* timeouts (settimeout(s) change them).

// reqSockState is the request's downstream socket, once taken.
type reqSockState struct {
	body bool     // ngx.req.socket() took the body
	raw  net.Conn // ngx.req.socket(true) took the connection
	sent atomic.Int64
}

// RawConn is the connection ngx.req.socket(true) took over, nil when
// none: the caller closes it when the request ends.
func (c *HTTPCtx) RawConn() net.Conn { return c.reqSock.raw }

// RawSent is what the raw request socket sent: part of the response's
// $body_bytes_sent, as nginx counts all that went on the connection.
func (c *HTTPCtx) RawSent() int64 { return c.reqSock.sent.Load() }

func (se *sockEnv) reqSocketMetas(L *lua.LState) (body, raw *lua.LTable) {
	read := map[string]lua.LGFunction{
		"receive":      func(L *lua.LState) int { return sockOf(L, "receive").receive(L) },
		"receiveany":   func(L *lua.LState) int { return sockOf(L, "receiveany").receiveany(L) },
		"receiveuntil": func(L *lua.LState) int { return sockOf(L, "receiveuntil").receiveuntil(L) },
		"settimeout":   func(L *lua.LState) int { return sockOf(L, "settimeout").settimeout(L) },
		"settimeouts":  func(L *lua.LState) int { return sockOf(L, "settimeouts").settimeouts(L) },
	}
	body = objectMeta(L, "tcp socket", read)
	read["send"] = func(L *lua.LState) int { return sockOf(L, "send").send(L) }
	raw = objectMeta(L, "tcp socket", read)
	return body, raw
}

// reqSocket is ngx.req.socket(raw?).
func reqSocket(w *luavm.Worker, L *lua.LState, c *HTTPCtx) int {
	raw := false
	switch n := L.GetTop(); n {
	case 0:
	case 1:
		raw = L.ToBool(1)
	default:
		L.RaiseError("expecting zero arguments, but got %d", n)
	}
	if c.Subrequest {
		L.RaiseError("attempt to read the request body in a subrequest")
	}
	if c.Req.ProtoMajor >= 2 {
		L.RaiseError("http v2 not supported yet")
	}
	if !raw && c.Req.ContentLength < 0 && len(c.Req.TransferEncoding) > 0 {
		return luaFail(L, "chunked request bodies not supported yet")
	}
	v, _ := sockEnvs.Load(w)
	se := v.(*sockEnv)
	if se.reqMT == nil {
		se.reqMT, se.rawReqMT = se.reqSocketMetas(L)
	}
	if raw {
		return rawReqSocket(se, L, c)
	}
	switch {
	case c.reqSock.body || c.BodyRead && len(c.Body) > 0:
		return luaFail(L, "request body already exists")
	case c.BodyRead:
		return luaFail(L, "request body discarded")
	case c.Req.ContentLength <= 0:
		return luaFail(L, "no body")
	}
	c.reqSock.body = true
	c.BodyRead = true // read_body and discard_body have nothing left to do
	conn := &bodyConn{body: c.Req.Body, rest: c.Req.ContentLength, rc: http.NewResponseController(c.W)}
	L.Push(se.downstream(L, conn, nil, se.reqMT))
	return 1
}

// rawReqSocket is ngx.req.socket(true): the connection is hijacked from
// net/http off the worker (pending output is written out first).
func rawReqSocket(se *sockEnv, L *lua.LState, c *HTTPCtx) int {
	switch {
	case c.reqSock.raw != nil:
		return luaFail(L, "duplicate call")
	case c.Req.ProtoMajor == 1 && c.Req.ProtoMinor == 0 && (len(c.out) > 0 || c.BytesSent > 0):
		// nginx buffers an HTTP/1.0 response to learn its length
		return luaFail(L, "http 1.0 buffering")
	}
	c.filterOut(true, false)
	flush := c.HeadersSent
	c.HeadersSent = true // no header goes out after this
	obj := se.downstream(L, nil, nil, se.rawReqMT)
	s := obj.RawGetInt(1).(*lua.LUserData).Value.(*tcpSock)
	// the op only fills in s (the thread is parked meanwhile) and hands
	// back the object made here
	return se.w.Suspend(L, func() []lua.LValue {
		if err := c.writeRaw(flush); err != nil {
			return fail(errText(err))
		}
		conn, rw, err := http.NewResponseController(c.W).Hijack()
		if err != nil {
			return fail(err.Error())
		}
		lc := &lingerConn{Conn: conn}
		c.reqSock.raw = lc
		c.discard = true
		pre, _ := rw.Reader.Peek(rw.Reader.Buffered())
		s.conn, s.buf = conn, append([]byte(nil), pre...)
		s.sent = &c.reqSock.sent
		s.closer.set(lc, nil)
		return []lua.LValue{obj}
	})
}

// downstream makes a request socket object over conn, with pre already
// read from it.
func (se *sockEnv) downstream(L *lua.LState, conn net.Conn, pre []byte, mt *lua.LTable) *lua.LTable {
	d := se.current()
	s := &tcpSock{se: se, sockBinding: sockBinding{owner: se.owner(), bound: true}, defs: d, connTO: d.connTO, sendTO: d.sendTO, closer: &sockCloser{}}
	s.readTO.Store(int64(d.readTO))
	if conn != nil {
		s.conn, s.buf = conn, pre
		s.closer.set(conn, nil)
	}
	return sockObject(L, s, mt)
}

// bodyConn is the request body seen as a connection that closes after
// Content-Length bytes.
type bodyConn struct {
	body io.Reader
	rest int64
	rc   *http.ResponseController
}

func (b *bodyConn) Read(p []byte) (int, error) {
	if b.rest <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.rest {
		p = p[:b.rest]
	}
	n, err := b.body.Read(p)
	b.rest -= int64(n)
	if n > 0 {
		return n, nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return n, err
}

func (b *bodyConn) SetReadDeadline(t time.Time) error { return b.rc.SetReadDeadline(t) }
func (b *bodyConn) SetDeadline(t time.Time) error     { return b.rc.SetReadDeadline(t) }
func (b *bodyConn) Write(p []byte) (int, error)       { return 0, net.ErrClosed }
func (b *bodyConn) SetWriteDeadline(time.Time) error  { return nil }
func (b *bodyConn) Close() error                      { return nil }
func (b *bodyConn) LocalAddr() net.Addr               { return nil }
func (b *bodyConn) RemoteAddr() net.Addr              { return nil }

// nginx's lingering_close defaults (lingering_time, lingering_timeout):
// how long a closed raw connection goes on reading what the client sends.
const (
	lingeringTime    = 30 * time.Second
	lingeringTimeout = 5 * time.Second
)

// lingerConn closes a raw request connection as nginx's lingering close
// does: the write side first, then what the client still sends is read
// and dropped until it closes (at most lingeringTimeout between reads,
// lingeringTime in all). Closing with unread input would reset the
// connection, and a client would see "connection reset by peer" where it
// sees "closed" with nginx (a websocket server refusing a frame it has
// not read).
type lingerConn struct {
	net.Conn
	once sync.Once
}

func (l *lingerConn) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		cw, ok := l.Conn.(interface{ CloseWrite() error })
		if !ok {
			err = l.Conn.Close()
			return
		}
		if err = cw.CloseWrite(); err != nil {
			l.Conn.Close()
			return
		}
		go drainAndClose(l.Conn)
	})
	return err
}

func drainAndClose(c net.Conn) {
	defer c.Close()
	end := time.Now().Add(lingeringTime)
	buf := make([]byte, 4096) // NGX_HTTP_LINGERING_BUFFER_SIZE
	for {
		d := time.Now().Add(lingeringTimeout)
		if d.After(end) {
			d = end
		}
		if c.SetReadDeadline(d) != nil {
			return
		}
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
