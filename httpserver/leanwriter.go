package httpserver

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/ngxapi"
)

// leanWriter is the http.ResponseWriter of a request the lean loop serves.
// It frames responses as net/http's server does (what clients and the
// specs see does not depend on which of the two served a request): the
// header as it was at WriteHeader, Date, a Content-Length computed when
// the whole body is known before 2 KB of it were written (else chunked on
// HTTP/1.1, close-delimited on HTTP/1.0), no body for HEAD, 1xx, 204 and
// 304, the connection kept or closed by the same rules. Its buffers come
// from pools and go back when the response is done.
type leanWriter struct {
	lc      *leanConn
	req     *http.Request
	lr      leanRequest
	reqBody *leanBody     // nil without a request body
	slots   *leanExchange // room for the handler's state, until taken

	handlerHeader http.Header
	// snap is the header as of WriteHeader (net/http's clone, so that
	// changes after it do not reach the client), flat and sorted as it
	// goes on the wire: a pooled slice instead of a new map per response
	snap          *[]hdrField
	calledHeader  bool
	wroteHeader   bool // logically (WriteHeader or the first Write)
	sentHeader    bool // physically, into out
	handlerDone   bool
	hijacked      bool
	finished      bool // finish ran; keep is its answer
	keep          bool
	chunking      bool
	status        int
	contentLength int64 // declared, -1 when not
	written       int64
	sent          int64 // bytes written to the connection ($bytes_sent)
	headerSize    int64 // of them, the response header's
	closeAfter    bool
	err           error // the first write error on the connection
	clenBuf       [20]byte

	body *[]byte // bytes not yet framed (net/http's 2 KB response buffer)
	out  *[]byte // framed bytes not yet written to the connection
	// spare: buffers and maps of the exchange's earlier requests, kept
	// for its next (leanExchange.recycle) instead of going back to their
	// pools
	spare leanSpares
}

// leanSpares are what a pooled exchange keeps across its requests.
type leanSpares struct {
	body, out *[]byte
	snap      *[]hdrField
	header    http.Header // the response header map, cleared
}

// takeBuf is the spare buffer if there is one, else one from pool.
func takeBuf(spare **[]byte, pool *sync.Pool) *[]byte {
	if b := *spare; b != nil {
		*spare = nil
		return b
	}
	return pool.Get().(*[]byte)
}

const (
	chunkingAfter = 2048 // net/http's bufferBeforeChunkingSize
	outSize       = 4096 // net/http's connection write buffer
)

var (
	bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, chunkingAfter); return &b }}
	outBufs  = sync.Pool{New: func() any { b := make([]byte, 0, outSize); return &b }}
)

func (w *leanWriter) Header() http.Header {
	if w.snap == nil && w.wroteHeader && !w.sentHeader {
		// net/http: changes after WriteHeader do not reach the client
		w.snap = w.snapshot()
	}
	w.calledHeader = true
	return w.handlerHeader
}

func (w *leanWriter) logf(format string, args ...any) {
	if l := w.lc.grp.srv.ErrorLog; l != nil {
		l.Printf(format, args...)
	}
}

func (w *leanWriter) WriteHeader(code int) {
	if w.hijacked {
		w.logf("http: response.WriteHeader on hijacked connection")
		return
	}
	if w.wroteHeader {
		w.logf("http: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.reqBody != nil && (code < 101 || code > 199) {
		w.reqBody.noContinue()
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// informational: sent at once, the header map kept
		w.flushBody()
		out := w.outBuf()
		*out = appendStatusLine(*out, w.req.ProtoMinor == 1, code)
		fp := flatten(w.handlerHeader)
		*out = appendFields(*out, *fp, exclCL|exclTE)
		putFields(fp)
		*out = append(*out, "\r\n"...)
		w.flushOut()
		return
	}
	w.wroteHeader = true
	w.status = code
	if w.calledHeader && w.snap == nil {
		w.snap = w.snapshot()
	}
	if cl := headerGet(w.handlerHeader, "Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.logf("http: invalid Content-Length of %q", cl)
			w.handlerHeader.Del("Content-Length")
		}
	}
}

func (w *leanWriter) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if w.reqBody != nil {
		w.reqBody.noContinue()
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.bufWrite(p)
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// bufWrite is bufio.Writer.Write over frame, with the 2 KB body buffer.
func (w *leanWriter) bufWrite(p []byte) {
	if w.body == nil {
		w.body = takeBuf(&w.spare.body, &bodyBufs)
	}
	b := w.body
	for len(p) > cap(*b)-len(*b) && w.err == nil {
		if len(*b) == 0 {
			w.frame(p) // large: straight through, as bufio
			return
		}
		n := copy((*b)[len(*b):cap(*b)], p)
		*b = (*b)[:len(*b)+n]
		p = p[n:]
		w.flushBody()
	}
	*b = append(*b, p...)
}

func (w *leanWriter) flushBody() {
	if w.body != nil && len(*w.body) > 0 {
		w.frame(*w.body)
		*w.body = (*w.body)[:0]
	}
}

// frame is net/http's chunkWriter.Write: the header first, then p as it
// goes on the wire.
func (w *leanWriter) frame(p []byte) {
	if !w.sentHeader {
		w.writeHeader(p)
	}
	if w.req.Method == "HEAD" || w.err != nil {
		return
	}
	if w.chunking {
		out := w.outBuf()
		*out = strconv.AppendInt(*out, int64(len(p)), 16)
		*out = append(*out, "\r\n"...)
		w.outWrite(p)
		*w.out = append(*w.out, "\r\n"...)
		return
	}
	w.outWrite(p)
}

func (w *leanWriter) outBuf() *[]byte {
	if w.out == nil {
		w.out = takeBuf(&w.spare.out, &outBufs)
	}
	return w.out
}

// outWrite is bufio.Writer.Write on the connection.
func (w *leanWriter) outWrite(p []byte) {
	out := w.outBuf()
	if len(*out)+len(p) <= cap(*out) {
		*out = append(*out, p...)
		return
	}
	w.flushOut()
	if len(p) >= cap(*out) {
		w.connWrite(p)
		return
	}
	*out = append(*out, p...)
}

func (w *leanWriter) flushOut() {
	if w.out != nil && len(*w.out) > 0 {
		w.connWrite(*w.out)
		*w.out = (*w.out)[:0]
	}
}

func (w *leanWriter) connWrite(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.lc.wire.Write(p)
	w.sent += int64(n)
	if err != nil {
		w.err = err
	}
}

// writeHeader is net/http's chunkWriter.writeHeader: p is the first
// piece of the body (all of it when the handler is done).
func (w *leanWriter) writeHeader(p []byte) {
	w.sentHeader = true
	if w.snap == nil {
		// the handler never had the map: what is in it now is all there is
		w.snap = w.snapshot()
	}
	header := hdrFields(*w.snap)
	var exclude exclusion
	del := func(k exclusion) {
		if header.has(k.key()) {
			exclude |= k
		}
	}
	keepAlives := w.lc.keepAlives()
	isHEAD := w.req.Method == "HEAD"
	te := header.get("Transfer-Encoding")
	hasTE := te != ""
	var clen []byte
	var ctype, connection, tenc string
	if w.handlerDone && !hasTE && bodyAllowedForStatus(w.status) && header.get("Content-Length") == "" && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		clen = strconv.AppendInt(w.clenBuf[:0], int64(len(p)), 10)
	}
	if w.lr.wants10KeepAlive && keepAlives && header.get("Content-Length") != "" && header.get("Connection") == "keep-alive" {
		w.closeAfter = false
	}
	hasCL := w.contentLength != -1
	if w.lr.wants10KeepAlive && (isHEAD || hasCL || !bodyAllowedForStatus(w.status)) {
		if !header.has("Connection") {
			connection = "keep-alive"
		}
	} else if w.req.ProtoMinor == 0 || w.lr.wantsClose {
		w.closeAfter = true
	}
	if header.get("Connection") == "close" || !keepAlives {
		w.closeAfter = true
	}
	if w.reqBody != nil && !w.closeAfter {
		reuse, tooBig := w.reqBody.beforeHeader(w.lr.expect100 && w.req.ProtoMinor == 1)
		w.closeAfter = !reuse
		if tooBig {
			del(exclConnection)
			connection = "close"
		}
	}
	if bodyAllowedForStatus(w.status) {
		if header.get("Content-Encoding") == "" && !header.has("Content-Type") && !hasTE && len(p) > 0 {
			ctype = http.DetectContentType(p)
		}
	} else {
		del(exclCL)
		del(exclTE)
		if w.status == 304 {
			del(exclCT)
		}
	}
	var date []byte
	if !header.has("Date") {
		date = httpDate()
	}
	if hasCL && hasTE && te != "identity" {
		w.logf("http: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", te, w.contentLength)
		del(exclCL)
		hasCL = false
	}
	switch {
	case isHEAD || !bodyAllowedForStatus(w.status) || w.status == http.StatusNoContent:
		del(exclTE)
	case hasCL:
		del(exclTE)
	case w.req.ProtoMinor == 1:
		if hasTE && te == "identity" {
			w.closeAfter = true
			del(exclTE)
		} else {
			w.chunking = true
			tenc = "chunked"
			if hasTE && te == "chunked" {
				del(exclTE)
			}
		}
	default:
		w.closeAfter = true
		del(exclTE)
	}
	if w.chunking {
		del(exclCL)
	}
	if w.closeAfter && (!keepAlives || !header.containsToken("Connection", "close")) &&
		!(w.status == http.StatusSwitchingProtocols && header.get("Upgrade") != "") {
		del(exclConnection)
		if w.req.ProtoMinor == 1 {
			connection = "close"
		}
	}
	out := w.outBuf()
	start := len(*out)
	*out = appendStatusLine(*out, w.req.ProtoMinor == 1, w.status)
	*out = appendFields(*out, header, exclude)
	if date != nil {
		*out = append(append(append(*out, "Date: "...), date...), "\r\n"...)
	}
	if clen != nil {
		*out = append(append(append(*out, "Content-Length: "...), clen...), "\r\n"...)
	}
	for _, kv := range [...][2]string{{"Content-Type", ctype}, {"Connection", connection}, {"Transfer-Encoding", tenc}} {
		if kv[1] != "" {
			*out = append(append(append(append(*out, kv[0]...), ": "...), kv[1]...), "\r\n"...)
		}
	}
	*out = append(*out, "\r\n"...)
	w.headerSize = int64(len(*out) - start)
}

// Flush sends what was written so far (http.Flusher).
func (w *leanWriter) Flush() {
	if w.hijacked {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushBody()
	if !w.sentHeader {
		w.writeHeader(nil)
	}
	w.flushOut()
}

// finish ends the response after the handler returned: net/http's
// finishRequest. false when the connection cannot serve another request.
// The handler may have ended it already (finishEarly).
func (w *leanWriter) finish() bool {
	if !w.finished {
		w.finished = true
		w.keep = w.finishOnce()
	}
	return w.keep
}

// finishEarly ends the response once the handler wrote all of it, before
// the log phase (log_by_lua*, the access log): nginx sends a response
// before its log handlers run, so they do not delay the client.
func (w *leanWriter) finishEarly() {
	if !w.hijacked {
		w.finish()
	}
}

func (w *leanWriter) finishOnce() bool {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushBody()
	if !w.sentHeader {
		w.writeHeader(nil)
	}
	if w.chunking {
		w.outWrite([]byte("0\r\n\r\n"))
	}
	w.flushOut()
	w.release()
	if w.reqBody != nil && !w.reqBody.end() {
		return false
	}
	if w.closeAfter || w.err != nil {
		return false
	}
	// less body than declared: the client would take the next response for the rest
	return w.req.Method == "HEAD" || w.contentLength == -1 || !bodyAllowedForStatus(w.status) || w.contentLength == w.written
}

// release gives the buffers back (what is in them is lost: a panic's
// unsent part).
func (w *leanWriter) release() {
	if w.body != nil {
		*w.body = (*w.body)[:0]
		w.spare.body, w.body = w.body, nil
	}
	if w.out != nil {
		*w.out = (*w.out)[:0]
		w.spare.out, w.out = w.out, nil
	}
	if w.snap != nil {
		clear(*w.snap)
		*w.snap = (*w.snap)[:0]
		w.spare.snap, w.snap = w.snap, nil
	}
}

// snapshot is the header as of WriteHeader, in the spare slice if there is one.
func (w *leanWriter) snapshot() *[]hdrField {
	fp := w.spare.snap
	if fp == nil {
		fp = fieldBufs.Get().(*[]hdrField)
	}
	w.spare.snap = nil
	flattenInto(fp, w.handlerHeader)
	return fp
}

// Hijack hands the connection to the handler (ngx.req.socket(true)).
func (w *leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.handlerDone {
		return nil, nil, errors.New("http: Hijack called after ServeHTTP finished")
	}
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader {
		w.flushBody()
		if !w.sentHeader {
			w.writeHeader(nil)
		}
		w.flushOut()
	}
	w.release()
	w.hijacked = true
	if ctx, ok := w.req.Context().(*leanCtx); ok {
		ctx.stopWatch() // a proxied upgrade's (the watcher would take a byte of it)
	}
	c, rest := w.lc.hijack()
	// as net/http's: what was read past the request is in the reader's
	// buffer (Buffered), the rest comes from c
	r := bufio.NewReader(&replayConn{Conn: c, rest: rest})
	if len(rest) > 0 {
		r.Peek(len(rest))
	}
	return c, bufio.NewReadWriter(r, bufio.NewWriter(c)), nil
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *leanWriter) SetReadDeadline(t time.Time) error {
	w.lc.lingerArmed = 0
	return w.lc.c.SetReadDeadline(t)
}
func (w *leanWriter) SetWriteDeadline(t time.Time) error { return w.lc.c.SetWriteDeadline(t) }

// bodyAllowedForStatus is net/http's: no body for 1xx, 204, 304.
func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == 204, status == 304:
		return false
	}
	return true
}

func appendStatusLine(b []byte, is11 bool, code int) []byte {
	if is11 {
		b = append(b, "HTTP/1.1 "...)
	} else {
		b = append(b, "HTTP/1.0 "...)
	}
	b = strconv.AppendInt(b, int64(code), 10)
	if text := http.StatusText(code); text != "" {
		b = append(append(b, ' '), text...)
	} else {
		b = append(b, " status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, "\r\n"...)
}

// hdrField is one line of a header; a header written out is these,
// sorted by key as http.Header.WriteSubset writes them. none marks a key
// set with no values: present (it keeps Date, Content-Type... out) but
// not written.
type hdrField struct {
	k, v string
	none bool
}

type hdrFields []hdrField

var fieldBufs = sync.Pool{New: func() any { f := make([]hdrField, 0, 16); return &f }}

// flatten is h's fields in a pooled slice (putFields gives it back).
func flatten(h http.Header) *[]hdrField {
	fp := fieldBufs.Get().(*[]hdrField)
	flattenInto(fp, h)
	return fp
}

// flattenInto puts h's fields into *fp, sorted.
func flattenInto(fp *[]hdrField, h http.Header) {
	f := (*fp)[:0]
	for k, vs := range h {
		if len(vs) == 0 {
			f = append(f, hdrField{k: k, none: true})
		}
		for _, v := range vs {
			f = append(f, hdrField{k: k, v: v})
		}
	}
	// stable: a key's values keep their order
	slices.SortStableFunc(f, func(a, b hdrField) int { return strings.Compare(a.k, b.k) })
	*fp = f
}

func putFields(fp *[]hdrField) {
	clear(*fp)
	*fp = (*fp)[:0]
	fieldBufs.Put(fp)
}

// get is Header.Get for a canonical key: its first value.
func (f hdrFields) get(k string) string {
	for i := range f {
		if f[i].k == k && !f[i].none {
			return f[i].v
		}
	}
	return ""
}

func (f hdrFields) has(k string) bool {
	for i := range f {
		if f[i].k == k {
			return true
		}
	}
	return false
}

// containsToken is headerValuesContainsToken over k's values.
func (f hdrFields) containsToken(k, token string) bool {
	for i := range f {
		if f[i].k == k && !f[i].none && valueContainsToken(f[i].v, token) {
			return true
		}
	}
	return false
}

// exclusion is the set of header keys framing leaves out (net/http's
// WriteSubset exclude map).
type exclusion uint8

const (
	exclCL exclusion = 1 << iota
	exclTE
	exclCT
	exclConnection
)

func (e exclusion) key() string {
	switch e {
	case exclCL:
		return "Content-Length"
	case exclTE:
		return "Transfer-Encoding"
	case exclCT:
		return "Content-Type"
	}
	return "Connection"
}

func (e exclusion) excludes(k string) bool {
	for x := exclCL; x <= exclConnection; x <<= 1 {
		if e&x != 0 && k == x.key() {
			return true
		}
	}
	return false
}

// appendFields is http.Header.WriteSubset over sorted fields: newlines in
// values turned into spaces, values trimmed.
func appendFields(b []byte, f hdrFields, exclude exclusion) []byte {
	for _, kv := range f {
		if kv.none || (exclude != 0 && exclude.excludes(kv.k)) {
			continue
		}
		v := kv.v
		if strings.IndexByte(v, '\n') >= 0 || strings.IndexByte(v, '\r') >= 0 {
			v = strings.NewReplacer("\n", " ", "\r", " ").Replace(v)
		}
		v = trimOWS(v)
		b = append(append(append(append(b, kv.k...), ": "...), v...), "\r\n"...)
	}
	return b
}

// headerGet is Header.Get for a key already in canonical form (net/http's
// header.get): no canonicalisation per lookup.
func headerGet(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// httpDate is the Date header's value, formatted once a second.
func httpDate() []byte {
	now := now()
	sec := now.Unix()
	if d := cachedDate.Load(); d != nil && d.sec == sec {
		return d.b
	}
	d := &dateText{sec: sec, b: now.UTC().AppendFormat(make([]byte, 0, 29), http.TimeFormat)}
	cachedDate.Store(d)
	return d.b
}

type dateText struct {
	sec int64
	b   []byte
}

var cachedDate atomic.Pointer[dateText]

// requestSlots gives the handler the room its exchange holds for the
// request's state, once.
func (w *leanWriter) requestSlots() (*request, *ngxapi.HTTPCtx) {
	ex := w.slots
	if ex == nil {
		return nil, nil
	}
	w.slots = nil
	return &ex.rq, &ex.hc
}
