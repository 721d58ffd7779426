package httpserver

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"

	"github.com/goresty/goresty/ngxapi"
)

// h2Writer is a stream's http.ResponseWriter, with net/http's HTTP/2
// semantics (Content-Length and Content-Type filled in, Date, HEAD,
// trailers, 1xx), buffering up to 4 KB of body (net/http's chunk size)
// and framing HEADERS and DATA into one write.
type h2Writer struct {
	st            *h2Stream
	req           *http.Request
	handlerHeader http.Header
	hdr           *[]byte // the header block as of WriteHeader: :status and the handler's fields
	clenHdr       string  // the handler's Content-Length, as of WriteHeader
	noSniff       bool    // Content-Type or Content-Encoding set: no sniffing
	hasDate       bool
	connClose     bool // "Connection: close": the connection goes away after this response
	status        int
	wroteHeader   bool
	sentHeader    bool
	handlerDone   bool
	declared      int64 // Content-Length the handler set, -1 when none
	written       int64
	trailers      []string
	body          *[]byte
}

const h2ChunkSize = 4 << 10

var errH2TooLong = errors.New("http2: handler wrote more than declared Content-Length")

func (w *h2Writer) Header() http.Header {
	if w.handlerHeader == nil {
		w.handlerHeader = respHeaders.Get().(http.Header) // back at run's end
	}
	return w.handlerHeader
}

func (w *h2Writer) logf(format string, args ...any) {
	if l := w.st.sc.lc.grp.srv.ErrorLog; l != nil {
		l.Printf(format, args...)
	}
}

func (w *h2Writer) WriteHeader(code int) {
	if w.wroteHeader {
		w.logf("http2: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 { // informational: sent at once, the header map kept
		w.st.send(w.headerBlock(nil, code, w.handlerHeader, nil), nil, false)
		return
	}
	w.wroteHeader, w.status, w.declared = true, code, -1
	// The header as it is now is what is sent (net/http snapshots it):
	// encoded at once, with what the first chunk completes noted
	// (noteField).
	w.hdr = headerBufs.Get().(*[]byte)
	*w.hdr = w.headerBlock((*w.hdr)[:0], code, w.handlerHeader, nil)
}

// noteField notes what a field of the final header decides for the
// rest of the response (the header block's keys go by anyway, so no
// lookups).
func (w *h2Writer) noteField(k string, vv []string) {
	var first string
	if len(vv) > 0 {
		first = vv[0]
	}
	switch k {
	case "Content-Length":
		w.clenHdr = first
	case "Content-Type":
		w.noSniff = true
	case "Content-Encoding":
		w.noSniff = w.noSniff || first != ""
	case "Date":
		w.hasDate = true
	case "Connection":
		w.connClose = first == "close"
	case "Trailer":
		for _, v := range vv {
			foreachHeaderElement(v, w.declareTrailer)
		}
	}
}

var headerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (w *h2Writer) Write(p []byte) (int, error) { return h2Write(w, p) }

func (w *h2Writer) WriteString(s string) (int, error) { return h2Write(w, s) }

// h2Write copies p into the body's buffer, framing it when full.
func h2Write[T []byte | string](w *h2Writer, p T) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.declared > 0 && w.written > w.declared {
		return 0, errH2TooLong
	}
	n := len(p)
	for len(p) > 0 {
		if w.body == nil {
			w.body = bodyBufs4K.Get().(*[]byte)
		}
		k := copy((*w.body)[len(*w.body):h2ChunkSize], p)
		*w.body = (*w.body)[:len(*w.body)+k]
		p = p[k:]
		if len(*w.body) == h2ChunkSize {
			if err := w.chunk(*w.body, false); err != nil {
				return 0, err
			}
			*w.body = (*w.body)[:0]
		}
	}
	return n, nil
}

var bodyBufs4K = sync.Pool{New: func() any { b := make([]byte, 0, h2ChunkSize); return &b }}

// Flush sends what is buffered (the header at least).
func (w *h2Writer) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var b []byte
	if w.body != nil {
		b = *w.body
	}
	w.chunk(b, false)
	if w.body != nil {
		*w.body = (*w.body)[:0]
	}
}

// finishEarly ends the response before the log phase (handler.go), as
// nginx sends it before running log_by_lua*.
func (w *h2Writer) finishEarly() { w.finish() }

// finish is the handler's return: the rest of the body, END_STREAM.
func (w *h2Writer) finish() {
	if w.handlerDone {
		return
	}
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.promoteTrailers()
	var b []byte
	if w.body != nil {
		b = *w.body
	}
	w.chunk(b, true)
	w.release()
}

func (w *h2Writer) release() {
	if w.hdr != nil {
		*w.hdr = (*w.hdr)[:0]
		headerBufs.Put(w.hdr)
		w.hdr = nil
	}
	if w.body != nil {
		*w.body = (*w.body)[:0]
		bodyBufs4K.Put(w.body)
		w.body = nil
	}
}

// putHeader gives back the header map: the handler, its log phase and
// the writer are done with it once run returns (as the lean loop's).
func (w *h2Writer) putHeader() {
	if w.handlerHeader != nil {
		putRespHeader(w.handlerHeader)
		w.handlerHeader = nil
	}
}

// chunk is net/http's writeChunk: the header on the first call, then p
// (end: the last, from finish).
func (w *h2Writer) chunk(p []byte, end bool) error {
	head := w.req.Method == "HEAD"
	var hb []byte
	if !w.sentHeader {
		w.sentHeader = true
		hb = w.responseHeader(p)
		if (end && len(w.trailers) == 0 && len(p) == 0) || head {
			return w.st.send(hb, nil, true)
		}
	}
	if head {
		return nil
	}
	if len(p) == 0 && !end {
		if hb != nil {
			return w.st.send(hb, nil, false)
		}
		return nil
	}
	withTrailers := end && w.hasTrailerValues()
	if err := w.st.send(hb, p, end && !withTrailers); err != nil {
		return err
	}
	if withTrailers {
		return w.st.send(w.headerBlock(nil, 0, w.handlerHeader, w.trailers), nil, true)
	}
	return nil
}

// responseHeader is the response's header block, with Content-Length,
// Content-Type and Date filled in as net/http does.
func (w *h2Writer) responseHeader(p []byte) []byte {
	b := *w.hdr
	var clen string
	if v := w.clenHdr; v != "" {
		if cl, err := strconv.ParseUint(v, 10, 63); err == nil {
			clen, w.declared = v, int64(cl)
		}
	}
	if clen == "" && w.handlerDone && bodyAllowedForStatus(w.status) && (len(p) > 0 || w.req.Method != "HEAD") {
		clen = strconv.Itoa(len(p))
	}
	if !w.noSniff && bodyAllowedForStatus(w.status) && len(p) > 0 {
		b = appendField(b, "content-type", http.DetectContentType(p))
	}
	if w.connClose {
		w.st.sc.shutdown() // as HTTP/1's: the connection ends after this response
	}
	if clen != "" {
		b = appendField(b, "content-length", clen)
	}
	if !w.hasDate {
		b = appendDate(b)
	}
	*w.hdr = b
	return b
}

// headerBlock encodes :status (unless 0: trailers) and h's fields (only
// keys, when given), names lower-cased and sorted, noting the final
// header's fields (noteField); fields HTTP/2 forbids
// (RFC 9113 8.2.2) and invalid ones are left out, as net/http leaves out
// the invalid ones.
func (w *h2Writer) headerBlock(b []byte, status int, h http.Header, keys []string) []byte {
	if status != 0 {
		b = appendStatus(b, status)
	}
	if keys == nil {
		var onStack [16]string
		keys = onStack[:0]
		for k := range h {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	for _, k := range keys {
		vv := h[k]
		if status >= 200 {
			w.noteField(k, vv)
		}
		sn, ok := canonicalStaticNames[k]
		name, index := sn.lower, sn.index
		if !ok {
			if name, ok = lowerHeaderName(k); !ok {
				continue
			}
			index = hpackStaticNames[name]
		}
		switch name {
		case "connection", "keep-alive", "proxy-connection", "upgrade":
			continue
		case "content-length":
			if status >= 200 {
				continue // responseHeader's, once checked
			}
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) || (name == "transfer-encoding" && v != "trailers") {
				continue
			}
			b = appendIndexedField(b, index, name, v)
		}
	}
	return b
}

// lowerHeaderName is a header name for the wire; false for one HTTP/2
// cannot carry.
func lowerHeaderName(k string) (string, bool) {
	if !httpguts.ValidHeaderFieldName(k) {
		return "", false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(k), true
		}
	}
	return k, true
}

func (w *h2Writer) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if !httpguts.ValidTrailerHeader(k) {
		w.logf("http2: ignoring invalid trailer %q", k)
		return
	}
	if !slices.Contains(w.trailers, k) {
		w.trailers = append(w.trailers, k)
	}
}

// promoteTrailers takes "Trailer:"-prefixed header keys as trailers
// (net/http's TrailerPrefix).
func (w *h2Writer) promoteTrailers() {
	for k, vv := range w.handlerHeader {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			w.declareTrailer(name)
			w.handlerHeader[http.CanonicalHeaderKey(name)] = vv
		}
	}
	slices.Sort(w.trailers)
}

func (w *h2Writer) hasTrailerValues() bool {
	for _, k := range w.trailers {
		if _, ok := w.handlerHeader[k]; ok {
			return true
		}
	}
	return false
}

// continue100 answers "Expect: 100-continue" at the body's first read.
func (w *h2Writer) continue100() {
	if !w.sentHeader {
		w.st.send(appendStatus(nil, 100), nil, false)
	}
}

func foreachHeaderElement(v string, fn func(string)) {
	for _, f := range strings.Split(v, ",") {
		if f = textprotoTrim(f); f != "" {
			fn(f)
		}
	}
}

func textprotoTrim(s string) string { return strings.Trim(s, " \t") }

// send writes a header block hb (unless nil) and then data, within the
// flow-control windows, END_STREAM on the last frame when end.
func (st *h2Stream) send(hb, data []byte, end bool) error {
	sc := st.sc
	out := outBufs.Get().(*[]byte)
	defer func() { *out = (*out)[:0]; outBufs.Put(out) }()
	for {
		n := 0
		sc.mu.Lock()
		for len(data) > 0 && st.err == nil && sc.err == nil {
			n = int(min(int64(len(data)), sc.sendWin, st.sendWin, 16<<10))
			if n > 0 || hb != nil {
				break
			}
			sc.cond.Wait()
		}
		err := st.err
		if err == nil {
			err = sc.err
		}
		if err == nil {
			sc.sendWin -= int64(n)
			st.sendWin -= int64(n)
			// before the frame can reach the client, so the reader
			// takes a HEADERS after it for the closed stream it is
			st.localDone = end && n == len(data)
		}
		maxFrame := sc.maxFrame
		sc.mu.Unlock()
		if err != nil {
			return err
		}
		chunk := data[:n]
		data = data[n:]
		last := end && len(data) == 0
		b := (*out)[:0]
		if hb != nil {
			b = appendHeaders(b, st.id, hb, last && n == 0, maxFrame)
		}
		for len(chunk) > 0 || (last && hb == nil && n == 0) {
			k := min(len(chunk), maxFrame)
			var flags http2.Flags
			if last && k == len(chunk) {
				flags = http2.FlagDataEndStream
			}
			b = appendFrameHeader(b, k, http2.FrameData, flags, st.id)
			b = append(b, chunk[:k]...)
			chunk = chunk[k:]
			if k == 0 {
				break
			}
		}
		hb = nil
		*out = b
		sc.wmu.Lock()
		if err := sc.unlockW(b); err != nil {
			return err
		}
		if len(data) == 0 {
			return nil
		}
	}
}

// appendHeaders frames a header block: HEADERS, then CONTINUATIONs when
// it is longer than a frame.
func appendHeaders(b []byte, id uint32, hb []byte, end bool, maxFrame int) []byte {
	t := http2.FrameHeaders
	for first := true; first || len(hb) > 0; first = false {
		k := min(len(hb), maxFrame)
		var flags http2.Flags
		if first && end {
			flags |= http2.FlagHeadersEndStream
		}
		if k == len(hb) {
			flags |= http2.FlagHeadersEndHeaders
		}
		b = appendFrameHeader(b, k, t, flags, id)
		b = append(b, hb[:k]...)
		hb = hb[k:]
		t = http2.FrameContinuation
	}
	return b
}

// requestSlots gives the handler the room its stream holds for the
// request's state, once.
func (w *h2Writer) requestSlots() (*request, *ngxapi.HTTPCtx) {
	st := w.st
	if st == nil || st.slotsTaken {
		return nil, nil
	}
	st.slotsTaken = true
	return &st.rq, &st.hc
}
