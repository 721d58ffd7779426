package httpserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/goresty/goresty/luavm/errlog"
)

// nginx (>= 1.21.1) refuses requests that net/http accepts after
// normalising them away: both Content-Length and Transfer-Encoding
// (net/http drops Content-Length), an obs-fold continuation line (net/http
// joins it to the previous value), Transfer-Encoding on HTTP/1.0 (net/http
// ignores it). What the handler gets no longer shows them, so reqScan
// follows the bytes net/http reads (header lines, then the body's framing
// to find the next request) and records, per request, what nginx would
// refuse: quietConn feeds it on plain HTTP, tlsConn (tlsstrict.go) the
// decrypted bytes over TLS.

// Flags of one request's header block.
const (
	scanCLTE   uint8 = 1 << iota // Content-Length and Transfer-Encoding
	scanFold                     // a header line starting with a space or tab
	scanTE10                     // Transfer-Encoding in an HTTP/1.0 request
	scanQueued                   // the block was seen (flags are valid)
)

const (
	stLine      = iota // request line and header lines
	stBody             // Content-Length body: skip left bytes
	stChunkSize        // a chunk-size line
	stChunkData        // chunk data: skip left bytes
	stChunkEnd         // the CRLF after chunk data
	stTrailer          // trailer lines up to the empty line
	stOff              // not HTTP/1 framing we follow (HTTP/2 preface, garbage): stop
)

type reqScan struct {
	st      uint8
	reqLine bool // the next line is a request line
	http10  bool
	hasCL   bool
	hasTE   bool
	chunked bool
	flags   uint8
	cl      int64
	left    int64
	n       int      // length of the current line so far
	line    [40]byte // its start: enough for the names and values looked at
	tail    [9]byte  // its last bytes: the request line's version

	mu    sync.Mutex
	queue []uint8 // flags of header blocks not yet served, oldest first
}

func (s *reqScan) init() { s.reqLine = true }

// feed follows b, the next bytes read from the connection.
func (s *reqScan) feed(b []byte) {
	for len(b) > 0 && s.st != stOff {
		if s.st == stBody || s.st == stChunkData {
			k := int64(len(b))
			if k > s.left {
				k = s.left
			}
			s.left -= k
			b = b[k:]
			if s.left == 0 {
				if s.st == stBody {
					s.next()
				} else {
					s.st = stChunkEnd
				}
			}
			continue
		}
		i := bytes.IndexByte(b, '\n')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		if s.n < len(s.line) {
			copy(s.line[s.n:], part)
		}
		s.n += len(part)
		s.tail = appendTail(s.tail, part)
		if i < 0 {
			if s.n > 1<<20 {
				s.st = stOff // net/http refuses such a line itself
			}
			return
		}
		b = b[i+1:]
		n := s.n
		if n > 0 && s.tail[len(s.tail)-1] == '\r' {
			n--
		}
		tail := s.tail
		s.n, s.tail = 0, [9]byte{}
		s.lineDone(s.line[:min(n, len(s.line))], n, tail)
	}
}

// appendTail keeps the last 9 bytes of a line (with its CR, if any).
func appendTail(t [9]byte, p []byte) [9]byte {
	if len(p) >= len(t) {
		copy(t[:], p[len(p)-len(t):])
		return t
	}
	copy(t[:], t[len(p):])
	copy(t[len(t)-len(p):], p)
	return t
}

// lineDone handles one line (without CR LF): l is its start, n its length.
func (s *reqScan) lineDone(l []byte, n int, tail [9]byte) {
	switch s.st {
	case stLine:
		if s.reqLine {
			if n == 0 {
				return // empty lines before a request are allowed
			}
			if bytes.HasPrefix(l, []byte("PRI * HTTP/2")) {
				s.st = stOff
				return
			}
			s.reqLine = false
			t := tail[1:]
			if tail[len(tail)-1] == '\r' {
				t = tail[:len(tail)-1]
			}
			s.http10 = string(t) == "HTTP/1.0"
			return
		}
		if n == 0 {
			s.endHeaders()
			return
		}
		if l[0] == ' ' || l[0] == '\t' {
			s.flags |= scanFold
			return
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return
		}
		switch {
		case asciiEqualFold(name, "content-length"):
			s.hasCL = true
			s.cl = parseLength(value)
		case asciiEqualFold(name, "transfer-encoding"):
			s.hasTE = true
			s.chunked = asciiEqualFold(bytes.TrimSpace(value), "chunked")
		}
	case stChunkSize:
		size, ok := parseChunkSize(l)
		switch {
		case !ok:
			s.st = stOff
		case size == 0:
			s.st = stTrailer
		default:
			s.st, s.left = stChunkData, size
		}
	case stChunkEnd:
		if n != 0 {
			s.st = stOff
			return
		}
		s.st = stChunkSize
	case stTrailer:
		if n == 0 {
			s.next()
		}
	}
}

func (s *reqScan) endHeaders() {
	f := s.flags | scanQueued
	if s.hasTE && s.http10 {
		f |= scanTE10
	}
	if s.hasCL && s.hasTE && s.chunked {
		f |= scanCLTE
	}
	s.mu.Lock()
	s.queue = append(s.queue, f)
	s.mu.Unlock()
	switch {
	case f&(scanCLTE|scanFold|scanTE10) != 0:
		s.st = stOff // answered with 400 and closed
	case s.hasTE && !s.chunked:
		s.st = stOff // net/http refuses it (501)
	case s.hasTE:
		s.st = stChunkSize
	case s.hasCL && s.cl > 0:
		s.st, s.left = stBody, s.cl
	case s.hasCL && s.cl < 0:
		s.st = stOff // net/http refuses it
	default:
		s.next()
	}
}

// next resets for the following request.
func (s *reqScan) next() {
	s.st, s.reqLine, s.http10, s.hasCL, s.hasTE, s.chunked, s.flags = stLine, true, false, false, false, false, 0
}

// pop returns the flags of the oldest header block not yet served (0 when
// none was seen).
func (s *reqScan) pop() uint8 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return 0
	}
	f := s.queue[0]
	s.queue = s.queue[:copy(s.queue, s.queue[1:])]
	return f
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length value; -1 when it is not a number.
func parseLength(v []byte) int64 {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 18 {
		return -1
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// parseChunkSize parses the hex size at the start of a chunk-size line
// (extensions after ';' are ignored).
func parseChunkSize(l []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, c := range l {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return n, digits > 0 && (c == ';' || c == ' ' || c == '\t')
		}
		if digits++; digits > 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, digits > 0
}

// strictRequest answers, as nginx does, a request nginx would refuse while
// reading it; false when it did.
func (rq *request) strictRequest() bool {
	var f uint8
	if rq.conn != nil && rq.conn.scan != nil {
		f = rq.conn.scan.pop()
	}
	var msg string
	switch {
	case f&scanTE10 != 0:
		msg = `client sent HTTP/1.0 request with "Transfer-Encoding" header while reading client request headers`
	case f&scanCLTE != 0:
		msg = `client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers`
	case f&scanFold != 0:
		msg = `client sent invalid header line: "\x20..." while reading client request headers`
	case strings.IndexByte(rq.r.URL.Path, 0) >= 0:
		msg = "client sent invalid request while reading client request line"
	default:
		return true
	}
	rq.logErr(errlog.Info, msg)
	rq.errorPage(http.StatusBadRequest)
	return false
}

// readChunkedBody reads a body of unknown length (chunked) before the
// handler runs, as nginx does, so that one larger than max is a 413
// instead of a truncated body; false when it answered 413.
func (rq *request) readChunkedBody(max int64) bool {
	r := rq.r
	var buf bytes.Buffer
	var before int64
	chunk := make([]byte, 32<<10)
	for {
		k, err := r.Body.Read(chunk[:min(int64(len(chunk)), max+1-before)])
		if before+int64(k) > max {
			rq.logErr(errlog.Error, fmt.Sprintf("client intended to send too large chunked body: %d+%d bytes", before, k))
			rq.errorPage(http.StatusRequestEntityTooLarge)
			return false
		}
		buf.Write(chunk[:k])
		before += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			// A broken body: let the handler meet the same error.
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(buf.Bytes()), errReader{err}))
			return true
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	return true
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
