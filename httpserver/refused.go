package httpserver

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// nginx refuses a request it cannot parse (badrequest.go) as a request of
// the server block it was for: the [info] line names its request line (as
// far as it was read) and Host, and once the answer went out the log
// phase runs, log_by_lua* of that server (or of http) and the access log
// line, as for any request. net/http's refusal carries none of that, so
// the lean loop leaves the bytes it read on the connection when it hands
// a request over (quietConn.handedHead), and the refusal is logged from
// them when the connection closes, after the answer.

// refusedHead is what was read of a refused request.
type refusedHead struct {
	line          string // the request line, as received ("GARBAGE")
	method, uri   string // when the request line is valid
	proto         string
	major, minor  int
	lineOK        bool
	badMethod     bool        // the method is not nginx's (A-Z, '_', '-' then a space)
	badHeader     string      // nginx's rendering of the first invalid header line
	header        http.Header // the valid header lines before it
	host          string
	known, cutOff bool // known: the bytes are there; cutOff: the header block is incomplete
	lineCut       bool // the request line is incomplete
	length        int  // $request_length: the lines taken (the request line and the valid header lines)
}

// refusedRequest is a refused request to log once its answer went out.
type refusedRequest struct {
	head   refusedHead
	srv    *vserver
	code   int   // $status
	sent   int64 // $body_bytes_sent
	header sentAnswer
	start  time.Time
}

// handedHead notes the bytes of the request the lean loop hands to
// net/http: the request a refusal would be about, as long as no other was
// served since.
func (c *quietConn) handedHead(b []byte) {
	c.head, c.headAt = b, c.requests.Load()
}

// refusedHead parses what was read of the request net/http refuses now.
func (c *quietConn) refusedHead() refusedHead {
	if c.head == nil || c.requests.Load() != c.headAt {
		return refusedHead{}
	}
	return parseRefused(c.head)
}

// parseRefused reads the request line and the header lines before the
// first one nginx refuses.
func parseRefused(b []byte) refusedHead {
	h := refusedHead{known: true, header: http.Header{}}
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:] // empty lines before a request are allowed
	}
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		h.line, h.cutOff, h.lineCut = string(bytes.TrimRight(b, "\r")), true, true
		h.checkLine()
		return h
	}
	h.line = string(bytes.TrimSuffix(b[:end], []byte("\r")))
	b = b[end+1:]
	h.checkLine()
	if !h.lineOK {
		return h
	}
	h.length = end + 1
	for {
		end = bytes.IndexByte(b, '\n')
		if end < 0 {
			h.cutOff = true
			return h
		}
		l := bytes.TrimSuffix(b[:end], []byte("\r"))
		b = b[end+1:]
		if len(l) == 0 {
			return h
		}
		colon := -1
		for i, ch := range l {
			if ch == ':' {
				colon = i
				break
			}
			if ch <= 0x20 || ch == 0x7f {
				// nginx: the name up to the byte, the byte in hex
				h.badHeader = string(l[:i]) + `\x` + strconv.FormatUint(uint64(ch)|0x100, 16)[1:] + "..."
				return h
			}
		}
		h.length += end + 1
		if colon <= 0 {
			continue // a name without a value: nginx takes it, net/http does not
		}
		k := http.CanonicalHeaderKey(string(l[:colon]))
		v := strings.TrimSpace(string(l[colon+1:]))
		h.header[k] = append(h.header[k], v)
		if k == "Host" && h.host == "" {
			h.host = v
		}
	}
}

// checkLine parses the request line as nginx: METHOD SP URI SP HTTP/x.y.
func (h *refusedHead) checkLine() {
	l := h.line
	i := 0
	for i < len(l) && (l[i] >= 'A' && l[i] <= 'Z' || l[i] == '_' || l[i] == '-') {
		i++
	}
	if i == 0 || i == len(l) || l[i] != ' ' {
		h.badMethod = true
		return
	}
	method, rest := l[:i], strings.TrimLeft(l[i:], " ")
	uri, proto, ok := strings.Cut(rest, " ")
	if !ok || uri == "" {
		return
	}
	major, minor, ok := http.ParseHTTPVersion(strings.TrimSpace(proto))
	if !ok {
		return
	}
	h.method, h.uri, h.proto, h.major, h.minor, h.lineOK = method, uri, strings.TrimSpace(proto), major, minor, true
}

// refusalMessage is nginx's [info] line for a request net/http refused
// with code (status: net/http's status text, with its reason).
func refusalMessage(code int, status string, h *refusedHead) string {
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		return "client sent too long header line while reading client request headers"
	case code == http.StatusNotImplemented:
		return `client sent unknown "Transfer-Encoding" while reading client request headers`
	case code == http.StatusHTTPVersionNotSupported:
		return "client sent invalid version while reading client request line"
	case strings.Contains(status, "missing required Host header"):
		return `client sent HTTP/1.1 request without "Host" header while reading client request headers`
	case h.badMethod:
		return "client sent invalid method while reading client request line"
	case h.known && !h.lineOK:
		return "client sent invalid request while reading client request line"
	case h.badHeader != "":
		return `client sent invalid header line: "` + h.badHeader + `" while reading client request headers`
	}
	return "client sent invalid request while reading client request headers"
}

// refusedServer is the server block a refused request is for: by its
// Host, else by the TLS server name, else the address's default.
func (c *quietConn) refusedServer(h *refusedHead) *vserver {
	grp := c.ln.grp
	if h.host != "" {
		if vs := grp.names.find(normHost(h.host)); vs != nil {
			return vs
		}
	}
	if tc := c.tlsw.Conn; tc != nil {
		if name := tc.ConnectionState().ServerName; name != "" {
			if vs := grp.names.find(normHost(name)); vs != nil {
				return vs
			}
		}
	}
	return grp.def
}

// refusalConn is the error-log suffix of a refused request.
func (c *quietConn) refusalConn(h *refusedHead, srv *vserver) *errlog.Conn {
	return &errlog.Conn{ID: c.id, Client: clientAddr(c.Conn), InRequest: true, Server: srv.name, Request: h.line, Host: h.host}
}

// logRefused runs the log phase of a refused request: the server's
// log_by_lua* and access log, as nginx's request finalisation does.
func (c *quietConn) logRefused(rr *refusedRequest) {
	h := &rr.head
	r := &http.Request{Method: h.method, RequestURI: h.uri, Proto: h.proto, ProtoMajor: h.major, ProtoMinor: h.minor,
		Header: h.header, Host: h.host, RemoteAddr: c.RemoteAddr().String(), URL: &url.URL{}}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if h.lineOK {
		if u, err := url.ParseRequestURI(h.uri); err == nil {
			r.URL = u
		}
	}
	if tc := c.tlsw.Conn; tc != nil {
		st := tc.ConnectionState()
		r.TLS = &st
	}
	ctx := context.WithValue(context.Background(), connKey{}, c)
	r = r.WithContext(context.WithValue(ctx, http.LocalAddrContextKey, c.LocalAddr()))
	rq := &request{g: c.ln.g, r: r, start: rr.start, srv: rr.srv, conn: c, noRequestLine: !h.lineOK,
		vars: map[string]string{"request": h.line, "request_length": strconv.Itoa(h.length)}}
	if p, ok := normalizeURI(r.URL.Path); ok && h.lineOK {
		rq.uri = p
	}
	if rr.header == nil {
		rr.header = sentAnswer{}
	}
	rq.wv = respWriter{ResponseWriter: rr.header, status: rr.code, bytes: rr.sent, rq: rq}
	rq.w = &rq.wv
	rq.ec = c.refusalConn(h, rr.srv)
	rq.runLogPhase()
	rq.logAccess()
}

// cutRequest logs, as nginx, a request whose header did not all come:
// the client closed the connection (400) or client_header_timeout passed
// (408). Nothing is answered.
func (c *quietConn) cutRequest(b []byte, err error) {
	h := parseRefused(b)
	srv := c.refusedServer(&h)
	msg, code := "client prematurely closed connection", http.StatusBadRequest
	if isTimeout(err) {
		msg, code = "client timed out (110: Connection timed out)", http.StatusRequestTimeout
	}
	if h.lineCut {
		msg += " while reading client request line"
	} else {
		msg += " while reading client request headers"
	}
	c.ln.g.log.LogConn(errlog.Info, c.refusalConn(&h, srv), msg)
	c.logRefused(&refusedRequest{head: h, srv: srv, code: code, start: time.Now()})
}

// sentAnswer is the ResponseWriter of a request whose answer went out
// already (log_by_lua* reads ngx.header; nothing more is written).
type sentAnswer map[string][]string

func (a sentAnswer) Header() http.Header      { return http.Header(a) }
func (sentAnswer) Write([]byte) (int, error)  { return 0, http.ErrHijacked }
func (sentAnswer) WriteHeader(statusCode int) {}

// waitEnded logs, as nginx at [info], a connection that ends while
// waiting for a request: the client closed it before its first request
// or after a keep-alive one, or client_header_timeout passed before its
// first (keepalive_timeout ends one silently).
func (c *quietConn) waitEnded(err error) {
	log := c.ln.g.log
	if !log.Enabled(errlog.Info) {
		return
	}
	first := c.requests.Load() == 0
	grp := c.ln.grp
	conn := &errlog.Conn{ID: c.id, Client: clientAddr(c.Conn), Server: displayAddr(grp.network, grp.addr)}
	switch {
	case !isTimeout(err) && first:
		log.LogConn(errlog.Info, conn, "client closed connection while waiting for request")
	case !isTimeout(err):
		log.LogConn(errlog.Info, &errlog.Conn{ID: c.id}, "client "+conn.Client+" closed keepalive connection")
	case first:
		log.LogConn(errlog.Info, conn, "client timed out (110: Connection timed out) while waiting for request")
	}
}
