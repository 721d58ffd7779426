package httpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/goresty/goresty/ngxapi"
)

// goresty serves HTTP/1.x itself (issue 18): net/http keeps a 4 KB reader,
// a 4 KB writer and a goroutine whose stack grew in the handshake and the
// handler (8 KB) for every idle keep-alive connection, and starts a
// goroutine per request to watch the client. The lean loop keeps none of
// that while a connection waits, as nginx frees its buffers: the request
// is read into a pooled buffer that goes back before the handler runs,
// the response is framed in pooled buffers that go back once it is sent,
// and the wait for the next request happens in a new goroutine (the
// smallest stack) that asks the poller for readability and holds no
// buffer. What it does not serve itself (a request body, Expect, anything
// net/http would refuse) it hands, with the bytes read so far, to the
// address's net/http server (grp.srv, through grp.h1), which serves that
// connection from then on exactly as before; failed handshakes still go
// to grp.alt (tlsstrict.go). HTTP/2 (ALPN h2, or cleartext prior
// knowledge) goes to goresty's HTTP/2 server (h2conn.go).

// Connection states (leanConn.state).
const (
	lcActive int32 = iota // reading or answering a request
	lcIdle                // waiting for the next request
	lcClosed
	lcGone // handed to net/http or hijacked
)

type leanConn struct {
	qc       *quietConn
	c        net.Conn  // what requests are read from: qc, or &qc.tlsw
	wire     io.Writer // what answers are written to: the socket or the *tls.Conn
	tc       *tls.Conn // over TLS
	rc       syscall.RawConn
	grp      *addrGroup
	h        http.Handler
	state    atomic.Int32
	tlsState *tls.ConnectionState
	remote   string
	pend     *[]byte // a read buffer holding the next (pipelined) request's first bytes
	peek     [1]byte // a byte the abort watcher (leanCtx) or a TLS wait read
	peeked   bool
	peekFn   func(uintptr) bool     // peekFor
	waited   bool                   // peekFor peeked once
	h2       atomic.Pointer[h2Conn] // served as HTTP/2 (h2conn.go)
	// lingerArmed is the read deadline linger set (since monoBase), zero
	// once anything else set one (setReadDeadline).
	lingerArmed time.Duration
}

// setReadDeadline is how the lean loop moves the connection's read
// deadline: linger's own deadline no longer holds.
func (lc *leanConn) setReadDeadline(t time.Time) {
	lc.lingerArmed = 0
	lc.c.SetReadDeadline(t)
}

var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// leanSet is an address's lean connections, for shutdown.
type leanSet struct {
	mu       sync.Mutex
	conns    map[*leanConn]struct{}
	shutting atomic.Bool
}

func (s *leanSet) add(lc *leanConn) {
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*leanConn]struct{}{}
	}
	s.conns[lc] = struct{}{}
	s.mu.Unlock()
}

func (s *leanSet) remove(lc *leanConn) {
	s.mu.Lock()
	delete(s.conns, lc)
	s.mu.Unlock()
}

// each calls f for every connection, outside the lock.
func (s *leanSet) each(f func(*leanConn)) int {
	s.mu.Lock()
	all := make([]*leanConn, 0, len(s.conns))
	for lc := range s.conns {
		all = append(all, lc)
	}
	s.mu.Unlock()
	for _, lc := range all {
		f(lc)
	}
	return len(all)
}

// shutdown is http.Server.Shutdown: idle connections are closed at once,
// busy ones after their response, all of them when ctx ends.
func (s *leanSet) shutdown(ctx context.Context) {
	s.shutting.Store(true)
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	for {
		left := s.each(func(lc *leanConn) {
			if h2 := lc.h2.Load(); h2 != nil {
				h2.shutdown()
			} else if lc.state.CompareAndSwap(lcIdle, lcClosed) {
				lc.close()
			}
		})
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			s.closeAll()
			return
		case <-t.C:
			t.Reset(10 * time.Millisecond)
		}
	}
}

// closeAll is http.Server.Close: every connection closed now.
func (s *leanSet) closeAll() {
	s.shutting.Store(true)
	s.each(func(lc *leanConn) {
		lc.state.Store(lcClosed)
		lc.close()
	})
}

// leanAccept is the address's accept loop (http.Server.Serve's).
func (grp *addrGroup) leanAccept() {
	var delay time.Duration
	for {
		c, err := grp.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// as http.Server: EMFILE and the like, retried after a pause
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			grp.srv.ErrorLog.Printf("http: Accept error: %v; retrying in %v", err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		lc := &leanConn{c: c, grp: grp, h: grp.srv.Handler}
		lc.qc = connOf(c)
		if lc.qc.raw != nil {
			lc.rc = lc.qc.raw.rc
			lc.peekFn = lc.peekFor
		}
		if lc.qc.tlsw.Conn != nil {
			lc.tc = lc.qc.tlsw.Conn
			lc.wire = lc.tc
		} else {
			lc.wire = lc.qc.Conn
		}
		if lc.qc.fresh.CompareAndSwap(false, true) {
			grp.fresh.Add(1)
		}
		grp.lean.add(lc)
		go lc.start()
	}
}

// start makes the TLS handshake (in tlsConn.ConnectionState, which hands
// h2 and failures to grp.alt), then waits for the first request in a
// goroutine of its own: the handshake grew this one's stack.
func (lc *leanConn) start() {
	lc.remote = lc.qc.RemoteAddr().String()
	if lc.tc == nil {
		lc.wait(true)
		return
	}
	st := lc.qc.tlsw.ConnectionState()
	if lc.qc.tlsw.handed.Load() {
		lc.state.Store(lcGone)
		lc.grp.lean.remove(lc)
		lc.notFresh()
		return
	}
	lc.tlsState = &st
	if st.NegotiatedProtocol == "h2" {
		sc := newH2Conn(lc, lc.tc)
		lc.h2.Store(sc)
		go sc.serve() // a fresh stack: the handshake grew this one's
		return
	}
	go lc.wait(true)
}

func (lc *leanConn) notFresh() {
	if lc.qc.fresh.CompareAndSwap(true, false) {
		lc.grp.fresh.Add(-1)
	}
}

func (lc *leanConn) keepAlives() bool {
	return lc.grp.def.conf.KeepaliveTimeout > 0 && !lc.grp.lean.shutting.Load()
}

// wait parks until the next request arrives (keepalive_timeout, or
// client_header_timeout for the first), holding no buffer, then serves.
func (lc *leanConn) wait(first bool) {
	if !lc.state.CompareAndSwap(lcActive, lcIdle) {
		return
	}
	if lc.grp.lean.shutting.Load() && !first {
		if lc.state.CompareAndSwap(lcIdle, lcClosed) {
			lc.close()
		}
		return
	}
	d := lc.grp.def.conf.KeepaliveTimeout
	if first {
		d = headerTimeout(lc.grp)
	}
	lc.setReadDeadline(time.Now().Add(d))
	var err error
	switch {
	case lc.tlsHolds():
		// already here (sent with the handshake's last flight)
	case lc.pollable():
		err = lc.waitReadable()
	default: // cannot tell what crypto/tls holds: read into it
		var n int
		n, err = lc.c.Read(lc.peek[:])
		lc.peeked = n == 1
		if n == 1 {
			err = nil
		}
	}
	if !lc.state.CompareAndSwap(lcIdle, lcActive) {
		return // closed by shutdown
	}
	if err != nil {
		lc.qc.waitEnded(err)
		lc.state.Store(lcClosed)
		lc.close()
		return
	}
	lc.dispatch()
}

// waitReadable parks until the socket is readable (or its read deadline
// passes), reading nothing. RawConn.Read clears the poller's readiness
// first, so f peeks (MSG_PEEK) once for bytes that came before the wait;
// when it is called again the poller has seen them arrive (or the peer
// close), which the read that follows finds out.
func (lc *leanConn) waitReadable() error {
	lc.waited = false
	return lc.rc.Read(lc.peekFn)
}

// peekFor is waitReadable's f, made once per connection.
func (lc *leanConn) peekFor(fd uintptr) bool {
	if lc.waited {
		return true
	}
	lc.waited = true
	// MSG_DONTWAIT: it never blocks, so a raw call (rawio.go)
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&lc.peek[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return errno != syscall.EAGAIN
}

// A request is served by a goroutine whose stack already grew serving
// others: the waiting goroutine (the smallest stack, kept small) hands
// the connection to an idle server, or becomes one itself when none is
// idle. Growing a fresh stack to what the handler and crypto/tls need
// cost more per request than the hand-off (runtime.copystack was 12% of
// the CPU of a keep-alive request); servepool.go.
var leanServers = newServePool[*leanConn]()

func (lc *leanConn) dispatch() {
	if !leanServers.hand(lc) {
		serveLoop(lc)
	}
}

// serveLoop serves lc, then whatever connection it is handed next, until
// it is retired (handed nil).
func serveLoop(lc *leanConn) {
	for lc != nil {
		lc.serve()
		lc = leanServers.wait()
	}
}

// serve answers requests while the next one comes within lingerFor,
// then leaves the wait for the one after to a new goroutine.
func (lc *leanConn) serve() {
	for lc.serveOne() {
		if lc.grp.lean.shutting.Load() {
			lc.state.Store(lcClosed)
			lc.close()
			return
		}
		if !lc.linger() {
			go lc.wait(false)
			return
		}
	}
}

// lingerFor is how long, at least, a connection keeps its server waiting
// for the next request before the wait goes to a small goroutine: a busy
// client's next request usually comes sooner, and is then served without
// the hand-offs (a new goroutine, a wake-up of an idle server). The wait
// lasts up to twice that: a deadline that still has lingerFor to run is
// kept, so a connection busy with requests moves its deadline (a lock in
// the runtime's timers, and a clock read) once every lingerFor or so,
// not once per request.
const lingerFor = 2 * time.Millisecond

// linger is whether the next request is here or came within lingerFor.
func (lc *leanConn) linger() bool {
	if lc.readAhead() {
		return true
	}
	if !lc.pollable() {
		return false
	}
	if lc.tlsHolds() {
		return true
	}
	if now := time.Since(monoBase); lc.lingerArmed-now < lingerFor {
		lc.c.SetReadDeadline(monoBase.Add(now + 2*lingerFor))
		lc.lingerArmed = now + 2*lingerFor
	}
	return lc.waitReadable() == nil
}

// leanExchange is one request's state, allocated at once: the parsed
// request, the writer, the context, the body, and the handler's request
// and first Lua context (requestSlots).
type leanExchange struct {
	url  url.URL
	req  http.Request
	w    leanWriter
	ctx  leanCtx
	body leanBody
	rq   request
	hc   ngxapi.HTTPCtx
}

// serveOne reads one request and answers it; false when the connection
// is no longer the loop's (closed, handed over, hijacked).
func (lc *leanConn) serveOne() bool {
	bp := lc.pend
	lc.pend = nil
	if bp == nil {
		bp = readBufs.Get().(*[]byte)
	}
	b := *bp
	if lc.peeked {
		b = append(b, lc.peek[0])
		lc.peeked = false
	}
	// The first read runs under the wait's deadline (the bytes are
	// there); client_header_timeout is set only for a header that does not
	// come whole: a deadline change costs a lock in the runtime's timers.
	end := headerEnd(b)
	for reads := 0; end < 0; reads++ {
		if reads == 1 {
			lc.setReadDeadline(time.Now().Add(headerTimeout(lc.grp)))
		}
		if len(b) == cap(b) {
			lc.handOff(b, bp) // a header block over 4 KB: net/http's 1 MB
			return false
		}
		n, err := lc.c.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil && reads == 0 && n == 0 && isTimeout(err) {
			continue // the wait's deadline passed just after the bytes came: the header's now
		}
		if err != nil {
			if len(b) > 0 {
				lc.qc.cutRequest(b, err) // nginx's 400 or 408, logged and not answered
			} else {
				lc.qc.waitEnded(err)
			}
			*bp = b[:0]
			readBufs.Put(bp)
			lc.state.Store(lcClosed)
			lc.close()
			return false
		}
		end = headerEnd(b)
	}
	if lc.tc == nil && bytes.HasPrefix(b, h2PriLine) && (lc.grp.h2 || lc.grp.def.conf.HTTP2) {
		lc.serveH2c(b, bp)
		return false
	}
	lc.notFresh()
	ex := leanExchanges.Get().(*leanExchange)
	r := &ex.req
	ex.w.lr.names = lc.grp.def.conf.HeaderNames
	ex.w.slots = ex
	if !parseLeanRequest(b[:end], r, &ex.url, &ex.w.lr) {
		lc.handOff(b, bp)
		return false
	}
	if rest := len(b) - end; rest > 0 {
		*bp = b[:copy(b, b[end:])]
		lc.pend = bp
	} else {
		*bp = b[:0]
		readBufs.Put(bp)
	}
	r.RemoteAddr = lc.remote
	r.TLS = lc.tlsState
	ex.ctx.lc, ex.ctx.qc = lc, lc.qc
	w := &ex.w
	if r.ContentLength > 0 {
		b := &ex.body
		b.lc, b.ctx, b.left = lc, &ex.ctx, r.ContentLength
		b.canContinue.Store(w.lr.expect100 && r.ProtoMinor == 1)
		r.Body, w.reqBody, ex.ctx.bodyPending = b, b, true
		if lc.pend == nil || int64(len(*lc.pend)) < r.ContentLength {
			lc.setReadDeadline(time.Time{}) // no client_body_timeout: net/http's
		}
	}
	req := withContext(r, &ex.ctx)
	w.lc, w.req, w.contentLength = lc, req, -1
	if w.handlerHeader = w.spare.header; w.handlerHeader == nil {
		w.handlerHeader = respHeaders.Get().(http.Header)
	}
	w.spare.header = nil
	if !lc.run(w, req, &ex.ctx) {
		if !w.hijacked {
			lc.state.Store(lcClosed)
			lc.close()
		}
		return false
	}
	ex.recycle()
	return true
}

// leanExchanges holds exchanges whose requests are over, zeroed but for
// the request's header map and values, the response header map (cleared)
// and the writer's buffers: two or three allocations (2.5 KB) fewer per
// request, with their share of the collector's work, and no trip through
// the buffers' and maps' own pools.
var leanExchanges = sync.Pool{New: func() any { return new(leanExchange) }}

// recycle pools the exchange of a request that is over, unless something
// may still hold a part of it: the handler took the connection or read a
// body; someone was handed the context's Done channel (context.WithCancel's
// goroutine, net/http's Transport for proxy_pass, lua_check_client_abort's
// watcher could look at the context after its reuse); a Lua context is not
// Reusable, or the request had one of its own (ngx.exec's).
func (ex *leanExchange) recycle() {
	if ex.w.reqBody != nil || ex.w.hijacked || !ex.rq.slotsReusable(&ex.hc) || ex.ctx.doneHanded() {
		return
	}
	h, vals, sp, resp := ex.w.lr.hdr, ex.w.lr.vals, ex.w.spare, ex.w.handlerHeader
	*ex = leanExchange{}
	if len(h) <= 32 && cap(vals) <= 64 { // maps grown for an odd request are not kept
		clear(h)
		clear(vals[:cap(vals)])
		ex.w.lr.hdr, ex.w.lr.vals = h, vals[:0]
	}
	if len(resp) <= 32 {
		clear(resp)
		sp.header = resp
	}
	ex.w.spare = sp
	leanExchanges.Put(ex)
}

// respHeaders holds response header maps between requests: the handler,
// its log phase and the writer are done with one once run returns (a
// hijacked connection's is not returned).
var respHeaders = sync.Pool{New: func() any { return make(http.Header) }}

func putRespHeader(h http.Header) {
	if len(h) <= 32 { // a map grown for an odd response is not kept
		clear(h)
		respHeaders.Put(h)
	}
}

// h2PriLine is the first line of HTTP/2's connection preface.
var h2PriLine = []byte("PRI * HTTP/2.0\r\n")

// serveH2c serves HTTP/2 in cleartext with prior knowledge ("listen ...
// http2" without ssl), the preface's bytes read so far replayed.
func (lc *leanConn) serveH2c(b []byte, bp *[]byte) {
	rest := append([]byte(nil), b...)
	*bp = b[:0]
	readBufs.Put(bp)
	lc.state.Store(lcActive)
	sc := newH2Conn(lc, &replayConn{Conn: lc.c, rest: rest})
	lc.h2.Store(sc)
	go sc.serve()
}

// run calls the handler as net/http does: a panic other than
// http.ErrAbortHandler is logged with its stack, both close the
// connection.
func (lc *leanConn) run(w *leanWriter, req *http.Request, ctx *leanCtx) (keep bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				w.logf("http: panic serving %v: %v\n%s", lc.remote, p, buf)
			}
			ctx.end()
			if w.reqBody != nil {
				w.reqBody.end()
			}
			w.release()
			keep = false
		}
	}()
	lc.h.ServeHTTP(w, req)
	ctx.end()
	if w.hijacked {
		return false
	}
	return w.finish()
}

// canWatch is whether the abort watcher may read: not when the next
// request's bytes are already here.
func (lc *leanConn) canWatch() bool {
	return !lc.readAhead() && lc.state.Load() == lcActive
}

// readAhead is whether bytes of the next request were read already (the
// read buffer kept, or the watcher's byte).
func (lc *leanConn) readAhead() bool { return lc.pend != nil || lc.peeked }

// pollable is whether the wait can be on the socket: nothing between it
// and the loop can hold bytes the poller does not see (or, over TLS, what
// crypto/tls holds can be known).
func (lc *leanConn) pollable() bool { return lc.rc != nil && (lc.tc == nil || tlsInputKnown) }

// tlsHolds is whether crypto/tls holds bytes read from the socket that it
// has not returned yet.
func (lc *leanConn) tlsHolds() bool {
	return lc.tc != nil && tlsInputKnown && tlsInputBuffered(lc.tc)
}

// handOff gives the connection to net/http with b, the bytes read from it
// and not yet served; bp goes back to the pool.
func (lc *leanConn) handOff(b []byte, bp *[]byte) {
	rest := append([]byte(nil), b...)
	lc.qc.handedHead(rest)
	*bp = b[:0]
	readBufs.Put(bp)
	lc.state.Store(lcGone)
	lc.grp.lean.remove(lc)
	lc.setReadDeadline(time.Time{})
	var c net.Conn = &replayConn{Conn: lc.c, rest: rest}
	if lc.tc != nil {
		c = &replayTLSConn{replayConn{Conn: lc.c, rest: rest}}
	}
	lc.grp.h1.hand(c)
}

// hijack gives the connection to the handler: the connection and what
// was read from it past the request.
func (lc *leanConn) hijack() (net.Conn, []byte) {
	lc.state.Store(lcGone)
	lc.grp.lean.remove(lc)
	lc.lingerArmed = 0
	lc.c.SetDeadline(time.Time{})
	var rest []byte
	if lc.pend != nil {
		rest = append(rest, *lc.pend...)
		*lc.pend = (*lc.pend)[:0]
		readBufs.Put(lc.pend)
		lc.pend = nil
	}
	if lc.peeked {
		rest = append(rest, lc.peek[0])
		lc.peeked = false
	}
	return lc.c, rest
}

func (lc *leanConn) close() {
	lc.grp.lean.remove(lc)
	lc.notFresh()
	lc.c.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// replayConn is a connection handed to net/http: the bytes already read
// from it come first.
type replayConn struct {
	net.Conn
	rest []byte
}

func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(b, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// replayTLSConn is a replayConn over TLS: net/http fills in Request.TLS
// from its ConnectionState.
type replayTLSConn struct{ replayConn }

func (c *replayTLSConn) ConnectionState() tls.ConnectionState {
	return c.Conn.(*tlsConn).ConnectionState()
}
