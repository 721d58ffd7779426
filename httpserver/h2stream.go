package httpserver

import (
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"

	"github.com/goresty/goresty/ngxapi"
)

// h2Stream is one request and its response. Its fields below sc.mu's
// line are the connection's reader's and the handler's both. Streams
// are pooled (h2Streams) with their request, its header map and its
// context.
type h2Stream struct {
	sc  *h2Conn
	id  uint32
	req *http.Request
	url url.URL // req.URL
	// the request's header values, up to 8 (more: an array of their own)
	vals   [8]string
	reqv   http.Request // *req, with the stream's context (withContext)
	header http.Header  // kept when the stream is used again
	h      http.Handler
	w      h2Writer
	ctx    h2Ctx
	// the handler's request and first Lua context (requestSlots), and
	// whether they were handed out
	rq         request
	hc         ngxapi.HTTPCtx
	slotsTaken bool

	// guarded by sc.mu
	sendWin    int64 // what the response may still send
	recvWin    int64 // what the client may still send
	recvGiven  int64 // body bytes read, not yet given back
	declLen    int64 // the request's Content-Length, -1 when none
	gotLen     int64
	remoteDone bool  // END_STREAM came
	localDone  bool  // END_STREAM about to go out: closed once remoteDone too
	rstSent    bool  // RST_STREAM queued
	err        error // reset, or the connection gone: writes and reads fail
	body       h2Body
}

// headers opens a stream (or ends one with trailers).
func (sc *h2Conn) headers(b *h2Block) (http2.ErrCode, bool) {
	id := b.id
	if id%2 == 0 {
		return http2.ErrCodeProtocol, true
	}
	if id <= sc.maxID { // the reader's field (written under sc.mu for the others)
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if st := sc.streams[id]; st != nil {
			return st.trailersLocked(b)
		}
		return http2.ErrCodeStreamClosed, true
	}
	// a new stream, built before the one lock that opens it
	st := newH2Stream(sc, id)
	ok := st.request(b)
	var code http2.ErrCode
	sc.mu.Lock()
	sc.maxID = id
	switch {
	case sc.goAway: // after GOAWAY: the client opens it again elsewhere
	case len(sc.streams) >= h2MaxStreams:
		code = http2.ErrCodeRefusedStream
	case b.hasPrio && b.prioDep == id, !ok:
		code = http2.ErrCodeProtocol
	default:
		st.sendWin = sc.initWin
		st.recvWin = h2StreamWindow
		st.remoteDone = b.endStream
		st.body.cond.L = &sc.mu
		sc.streams[id] = st
		sc.pings = 0
		sc.mu.Unlock()
		sc.lc.notFresh()
		st.dispatch()
		return http2.ErrCodeNo, false
	}
	sc.mu.Unlock()
	st.recycle()
	return code, false
}

// request builds the stream's http.Request as net/http's HTTP/2 server
// does; false for a malformed one (a stream error).
func (st *h2Stream) request(b *h2Block) bool {
	method, scheme, authority, path := b.method, b.scheme, b.authority, b.path
	if b.protocol != "" { // no extended CONNECT
		return false
	}
	if method == "CONNECT" {
		if path != "" || scheme != "" || authority == "" {
			return false
		}
	} else if method == "" || path == "" || (scheme != "https" && scheme != "http") {
		return false
	}
	header := st.header
	vals := st.vals[:] // the values' one backing array
	if len(b.fields) > len(vals) {
		vals = make([]string, len(b.fields))
	}
	var connSpecific, expect, trailer bool
	cookies := 0
	for i, hf := range b.fields {
		switch hf.Name { // the names looked at below, found here rather than by lookups
		case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade", "te":
			connSpecific = true
		case "expect":
			expect = true
		case "cookie":
			cookies++
		case "trailer":
			trailer = true
		}
		k := canonicalKey(hf.Name)
		vals[i] = hf.Value
		if vv := header[k]; vv != nil {
			header[k] = append(vv, hf.Value)
		} else {
			header[k] = vals[i : i+1 : i+1]
		}
	}
	if authority == "" {
		authority = header.Get("Host")
	}
	if strings.IndexByte(authority, '@') >= 0 {
		return false
	}
	needsContinue := expect && httpguts.HeaderValuesContainsToken(header["Expect"], "100-continue")
	if needsContinue {
		delete(header, "Expect")
	}
	if cookies > 1 {
		header["Cookie"] = []string{strings.Join(header["Cookie"], "; ")}
	}
	var trailerKeys http.Header
	if trailer {
		trailerKeys = declaredTrailers(header["Trailer"])
		delete(header, "Trailer")
	}
	requestURI := path
	switch {
	case method == "CONNECT":
		st.url, requestURI = url.URL{Host: authority}, authority
	case path[0] == '/':
		if !parsePathQuery(path, &st.url) {
			return false
		}
	default: // "*", or not a request's
		u, err := url.ParseRequestURI(path)
		if err != nil {
			return false
		}
		st.url = *u
	}
	sc := st.sc
	st.reqv = http.Request{Method: method, URL: &st.url, Header: header, RequestURI: requestURI,
		Proto: "HTTP/2.0", ProtoMajor: 2, Host: authority, Body: http.NoBody,
		Trailer: trailerKeys, RemoteAddr: sc.lc.remote}
	r := &st.reqv
	if scheme == "https" {
		r.TLS = sc.lc.tlsState
	}
	if !b.endStream {
		r.ContentLength = -1
		if vv, ok := header["Content-Length"]; ok {
			r.ContentLength = 0
			if cl, err := strconv.ParseUint(vv[0], 10, 63); err == nil {
				r.ContentLength = int64(cl)
				st.declLen = int64(cl)
			}
		}
		st.body.st, st.body.needsContinue = st, needsContinue
		r.Body = &st.body
	}
	st.ctx.qc = sc.lc.qc
	st.req = withContext(r, &st.ctx)
	st.h = sc.lc.h
	if b.truncated {
		st.h = http.HandlerFunc(headerListTooLong)
	} else if connSpecific {
		if msg := badH2Header(header); msg != "" {
			st.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, msg, http.StatusBadRequest) })
		}
	}
	return true
}

// declaredTrailers are the trailers a request's Trailer fields declare.
func declaredTrailers(vv []string) http.Header {
	var trailer http.Header
	for _, v := range vv {
		for _, key := range strings.Split(v, ",") {
			switch key = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(key)); key {
			case "Transfer-Encoding", "Trailer", "Content-Length":
			default:
				if trailer == nil {
					trailer = make(http.Header)
				}
				trailer[key] = nil
			}
		}
	}
	return trailer
}

// badH2Header is net/http's answer to a connection-specific header
// (RFC 9113 8.2.2), or "".
func badH2Header(h http.Header) string {
	for _, k := range []string{"Connection", "Proxy-Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade"} {
		if _, ok := h[k]; ok {
			return fmt.Sprintf("request header %q is not valid in HTTP/2", k)
		}
	}
	if te := h["Te"]; len(te) > 0 && (len(te) > 1 || (te[0] != "trailers" && te[0] != "")) {
		return `request header "TE" may only be "trailers" in HTTP/2`
	}
	return ""
}

func headerListTooLong(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
	io.WriteString(w, "<h1>HTTP Error 431</h1><p>Request Header Field(s) Too Large</p>")
}

// trailersLocked takes a HEADERS frame on an open stream: the request's
// trailers (sc.mu held).
func (st *h2Stream) trailersLocked(b *h2Block) (http2.ErrCode, bool) {
	switch {
	case st.rstSent:
		return http2.ErrCodeNo, false
	case st.localDone && st.remoteDone:
		// closed, though its handler has not returned yet (RFC 9113 5.1)
		return http2.ErrCodeStreamClosed, true
	case st.err != nil || st.remoteDone:
		return http2.ErrCodeStreamClosed, false
	case !b.endStream || b.pseudo != 0:
		return http2.ErrCodeProtocol, false
	}
	if t := st.req.Trailer; t != nil {
		for _, hf := range b.fields {
			k := canonicalKey(hf.Name)
			if _, declared := t[k]; declared && httpguts.ValidTrailerHeader(k) {
				t[k] = append(t[k], hf.Value)
			}
		}
	}
	return st.endRemoteLocked()
}

// endRemoteLocked is the request's END_STREAM (sc.mu held).
func (st *h2Stream) endRemoteLocked() (http2.ErrCode, bool) {
	st.remoteDone = true
	if st.declLen >= 0 && st.gotLen != st.declLen {
		st.body.failLocked(fmt.Errorf("request declared a Content-Length of %d but only wrote %d bytes", st.declLen, st.gotLen))
		return http2.ErrCodeProtocol, false
	}
	st.body.eof = true
	st.body.cond.Broadcast()
	return http2.ErrCodeNo, false
}

// data takes a DATA frame: the request body, within the windows.
func (sc *h2Conn) data(f *http2.DataFrame) (http2.ErrCode, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	id, n := f.StreamID, int64(f.Length)
	if sc.idleID(id) {
		return http2.ErrCodeProtocol, true
	}
	if n > sc.recvWin {
		return http2.ErrCodeFlowControl, true
	}
	sc.recvWin -= n
	st := sc.streams[id]
	if st == nil || st.err != nil || st.remoteDone {
		sc.giveBackLocked(n)
		if st != nil && st.rstSent {
			return http2.ErrCodeNo, false // reset by us: frames in flight
		}
		return http2.ErrCodeStreamClosed, false
	}
	if n > st.recvWin {
		sc.giveBackLocked(n)
		return http2.ErrCodeFlowControl, false
	}
	st.recvWin -= n
	data := f.Data()
	if pad := n - int64(len(data)); pad > 0 {
		st.giveBackLocked(pad)
	}
	if st.declLen >= 0 && st.gotLen+int64(len(data)) > st.declLen {
		st.body.failLocked(fmt.Errorf("sender tried to send more than declared Content-Length of %d bytes", st.declLen))
		return http2.ErrCodeProtocol, false
	}
	st.gotLen += int64(len(data))
	if len(data) > 0 {
		if st.body.closed {
			st.giveBackLocked(int64(len(data)))
		} else {
			st.body.buf = append(st.body.buf, data...)
			st.body.cond.Broadcast()
		}
	}
	if f.StreamEnded() {
		return st.endRemoteLocked()
	}
	return http2.ErrCodeNo, false
}

// giveBackLocked returns n bytes of the stream's window, and of the
// connection's (sc.mu held).
func (st *h2Stream) giveBackLocked(n int64) {
	st.sc.giveBackLocked(n)
	if st.remoteDone {
		return
	}
	st.recvGiven += n
	if st.recvGiven >= h2StreamWindow/4 {
		st.sc.ctrl = appendWindowUpdate(st.sc.ctrl, st.id, uint32(st.recvGiven))
		st.recvWin += st.recvGiven
		st.recvGiven = 0
	}
}

// resetLocked ends the stream for err: the handler's context canceled,
// its body reads and response writes failing (sc.mu held).
func (st *h2Stream) resetLocked(err error) {
	if st.err != nil {
		return
	}
	st.err = err
	st.body.failLocked(err)
	st.sc.cond.Broadcast()
	st.ctx.cancel()
}

// Streams are served by pooled goroutines, as the lean loop's requests
// (their stacks grew serving others).
var h2Servers = newServePool[*h2Stream]()

func (st *h2Stream) dispatch() {
	if !h2Servers.hand(st) {
		go h2ServeLoop(st)
	}
}

func h2ServeLoop(st *h2Stream) {
	for st != nil {
		if st.run() {
			st.recycle()
		}
		st = h2Servers.wait()
	}
}

// h2Streams are streams whose handlers have returned, for the next
// requests: a stream, its Request and header map are four allocations
// (about 1.4 KB) fewer per request.
var h2Streams = sync.Pool{New: func() any { return &h2Stream{header: make(http.Header)} }}

func newH2Stream(sc *h2Conn, id uint32) *h2Stream {
	st := h2Streams.Get().(*h2Stream)
	st.sc, st.id, st.declLen = sc, id, -1
	return st
}

// recycle pools a stream that is done with: its connection's reader
// no longer finds it, its handler has returned. Only when no one was
// handed its context's Done channel before the context was canceled:
// a goroutine waiting on that (context.WithCancel's, net/http's
// Transport's for proxy_pass) could look at the context after its
// reuse.
func (st *h2Stream) recycle() {
	if st.ctx.doneHanded() || len(st.header) > 32 { // a map grown for an odd request is not kept
		return
	}
	if !st.rq.slotsReusable(&st.hc) {
		return
	}
	clear(st.header)
	*st = h2Stream{header: st.header}
	h2Streams.Put(st)
}

// run calls the handler as net/http's HTTP/2 server does: a panic other
// than http.ErrAbortHandler is logged with its stack, both reset the
// stream. False after a panic (the stream is not used again).
func (st *h2Stream) run() (ok bool) {
	sc, w := st.sc, &st.w
	w.st, w.req = st, st.req
	defer sc.streamDone(st)
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				w.logf("http2: panic serving %v: %v\n%s", sc.lc.remote, p, buf)
			}
			st.ctx.cancel()
			w.release()
			w.putHeader()
			sc.resetStream(st.id, http2.ErrCodeInternal)
		}
	}()
	st.h.ServeHTTP(w, st.req)
	st.ctx.cancel()
	w.finish()
	w.putHeader()
	return true
}

// h2Body is a request's body: what the reader received, read by the
// handler; reading gives the windows back.
type h2Body struct {
	st            *h2Stream
	cond          sync.Cond // sc.mu: data came, or the end
	buf           []byte
	off           int
	eof, closed   bool
	err           error
	needsContinue bool
}

func (b *h2Body) Read(p []byte) (int, error) {
	st := b.st
	sc := st.sc
	if b.needsContinue {
		b.needsContinue = false
		st.w.continue100()
	}
	sc.mu.Lock()
	for b.off == len(b.buf) && !b.eof && b.err == nil && !b.closed {
		b.cond.Wait()
	}
	var n int
	var err error
	switch {
	case b.closed:
		err = errH2BodyClosed
	case b.err != nil:
		err = b.err
	case b.off < len(b.buf):
		n = copy(p, b.buf[b.off:])
		b.off += n
		if b.off == len(b.buf) {
			b.buf, b.off = b.buf[:0], 0
		}
		st.giveBackLocked(int64(n))
	default:
		err = io.EOF
	}
	sc.mu.Unlock()
	if n > 0 {
		sc.flushCtrl()
	}
	return n, err
}

func (b *h2Body) Close() error {
	if b.st == nil {
		return nil
	}
	sc := b.st.sc
	sc.mu.Lock()
	if !b.closed {
		b.closed = true
		if n := b.unread(); n > 0 {
			b.st.giveBackLocked(n)
		}
		b.buf, b.off = nil, 0
	}
	sc.mu.Unlock()
	sc.flushCtrl()
	return nil
}

// unread is what was received and not read (sc.mu held).
func (b *h2Body) unread() int64 { return int64(len(b.buf) - b.off) }

func (b *h2Body) failLocked(err error) {
	if b.err == nil {
		b.err = err
	}
	b.cond.Broadcast()
}

// h2Ctx is a stream's context: canceled when the stream is reset, the
// connection goes, or the handler returns (as net/http's).
type h2Ctx struct{ ctxBase }

func (c *h2Ctx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}
