package httpserver

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
)

// Version is what Server: headers and error pages show with server_tokens on.
const Version = ngxapi.GorestyVersion

// serverLog turns net/http's own messages into [info] lines, the TLS
// handshake failures in nginx's words.
type serverLog struct {
	log    *errlog.Logger
	server string
}

func (s *serverLog) Write(b []byte) (int, error) {
	if !s.log.Enabled(errlog.Info) {
		return len(b), nil
	}
	msg := strings.TrimSpace(string(b))
	if rest, ok := strings.CutPrefix(msg, "http: TLS handshake error from "); ok {
		if addr, reason, ok := strings.Cut(rest, ": "); ok {
			msg = "SSL_do_handshake() failed (" + reason + ") while SSL handshaking, client: " + remoteIP(addr) + ", server: " + s.server
		}
	}
	s.log.Log(errlog.Info, msg)
	return len(b), nil
}

func newServerLogger(l *errlog.Logger, server string) *log.Logger {
	return log.New(&serverLog{log: l, server: server}, "", 0)
}

// respWriter records the status and body size for the access log; with
// lua set, the response goes through the location's header and body
// filters (header_filter_by_lua*, body_filter_by_lua*).
type respWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	server []string // Server header value
	lua    *ngxapi.HTTPCtx
	rq     *request // add_header (addHeaders)
	force  int      // error_page: the status the response goes out with
}

func (w *respWriter) WriteHeader(code int) {
	if w.force != 0 && w.status == 0 {
		code = w.force
	}
	if c := w.lua; c != nil {
		var ok bool
		if code, ok = c.FilterHeader(code); !ok {
			return
		}
	}
	if w.status == 0 {
		w.status = code
		w.addServer()
		if code == http.StatusSwitchingProtocols {
			switchingHeader(w.ResponseWriter.Header())
		}
		w.rq.addHeaders(code, w.ResponseWriter.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

// addServer adds the Server header unless the handler set one (as nginx's
// header filter: Lua does not see it in ngx.header).
func (w *respWriter) addServer() {
	h := w.ResponseWriter.Header()
	if _, ok := h["Server"]; !ok {
		h["Server"] = w.server
	}
}

func (w *respWriter) Write(b []byte) (int, error) {
	if c := w.lua; c != nil {
		if w.status == 0 {
			w.WriteHeader(http.StatusOK)
		}
		n := len(b)
		if b = c.FilterBody(b); len(b) == 0 {
			return n, nil
		}
		_, err := w.write(b)
		return n, err
	}
	return w.write(b)
}

func (w *respWriter) write(b []byte) (int, error) {
	if w.status == 0 {
		if w.force != 0 {
			w.WriteHeader(http.StatusOK) // becomes the forced status
		} else {
			w.status = http.StatusOK
			w.addServer()
			w.rq.addHeaders(http.StatusOK, w.ResponseWriter.Header())
		}
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *respWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type handler struct {
	g   *generation
	grp *addrGroup
}

// request is one request's state; it resolves variables.
type request struct {
	g     *generation
	r     *http.Request
	w     *respWriter
	srv   *vserver
	loc   *location
	conn  *quietConn
	uri   string
	start time.Time
	vars  map[string]string
	ec    *errlog.Conn
	// regex location captures ($1.., named captures)
	captures []string
	capNames []string
	// wv is what w points to: the writer lives in the request (one
	// allocation per request instead of two).
	wv          respWriter
	noErrorPage bool // no more error_page redirects (one was made, recursive_error_pages off)
	errorPages  int  // error_page redirects made
	// rewrite changed the URI: the location is searched again ("last",
	// or no flag at location level); rewriteLast stops the rewrites
	uriChanged, rewriteLast bool
	skipSrvRewrite          bool // searching again after a location's rewrite
	// uriSet: Lua changed the URI or its arguments (ngx.req.set_uri,
	// set_uri_args); proxy_pass without a URI part then sends them
	// instead of the client's request line (nginx's valid_unparsed_uri)
	uriSet bool
	// the Lua phases' context for the current location (phases.go) and
	// the worker all of the request's Lua runs on
	hc *ngxapi.HTTPCtx
	wk *luavm.Worker
	// hcSlot is zeroed room for the first Lua context, allocated with
	// the request (requestSlots); nil once used
	hcSlot *ngxapi.HTTPCtx
	// connRequests is this request's number on its HTTP/1.x connection
	connRequests int64
	connSeq      int64 // $connection_requests: HTTP/2 streams count too, as nginx's
	// ecVal is what ec points to, inside the request (no allocation of
	// its own). (The Lua context is not: a request without Lua would
	// carry its 700 bytes.)
	ecVal errlog.Conn
	// hdr holds the values of the headers a static file is answered with
	hdr [4]string
	// file is the static file being served
	file openFile
	// unmatched is the location a URI no location matches takes (the
	// server's Unmatched configuration), inside the request
	unmatched location
	// internal: redirected inside the server (ngx.exec, error_page,
	// try_files, rewrite); subreq: made by ngx.location.capture
	internal, subreq bool
	// noRequestLine: a refused request whose request line is not valid
	// (refused.go): $uri, $request_method and the like have no value
	noRequestLine bool
}

// requestSlots is a ResponseWriter allocated with room for its request's
// state (leanExchange): one allocation per request instead of three. It
// hands the room out once (nil after), zeroed.
type requestSlots interface {
	requestSlots() (*request, *ngxapi.HTTPCtx)
}

// newRequest is a zeroed request for rw's request, and room for its first
// Lua context (nil when rw has none).
func newRequest(rw http.ResponseWriter) (*request, *ngxapi.HTTPCtx) {
	if s, ok := rw.(requestSlots); ok {
		if rq, hc := s.requestSlots(); rq != nil {
			return rq, hc
		}
	}
	return new(request), nil
}

// slotsReusable reports whether a request served in the room of
// requestSlots (rq, its first Lua context hc) is done with it: no Lua run
// failed (HTTPCtx.Reusable) and ngx.exec made no context of its own.
func (rq *request) slotsReusable(hc *ngxapi.HTTPCtx) bool {
	return hc.Reusable() && (rq.hc == nil || rq.hc == hc)
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	g := h.g
	rq, hc := newRequest(rw)
	rq.g, rq.r, rq.start, rq.hcSlot = g, r, now(), hc
	rq.wv.ResponseWriter = rw
	rq.w = &rq.wv
	rq.wv.rq = rq
	rq.conn, _ = r.Context().Value(connKey{}).(*quietConn)
	if rq.conn != nil {
		rq.connSeq = rq.conn.requests.Add(1)
		if r.ProtoMajor == 1 {
			rq.connRequests = rq.connSeq
		}
	}
	host := normHost(r.Host)
	srv := h.grp.names.find(host)
	if srv == nil && r.TLS != nil && r.TLS.ServerName != "" {
		srv = h.grp.names.find(normHost(r.TLS.ServerName))
	}
	if srv == nil {
		srv = h.grp.def
	}
	rq.srv = srv
	defer rq.finish()
	var sniSrv *vserver // the block the handshake chose
	if r.TLS != nil && (srv.cv != nil || h.grp.mtls) {
		sniSrv = h.grp.def
		if r.TLS.ServerName != "" {
			if vs := h.grp.names.find(normHost(r.TLS.ServerName)); vs != nil && vs.tls != nil {
				sniSrv = vs
			}
		}
	}

	if srv.conf.ServerTokens {
		rq.w.server = serverFull
	} else {
		rq.w.server = serverShort
	}
	// the URI is known (nginx parses it with the request line) for the
	// log phase of the refusals that follow
	uri, ok := normalizeURI(r.URL.Path)
	rq.uri = uri
	ignored, lean := ignoredHeaders(rw)
	if !lean {
		rq.dropInvalidHeaders(h.grp.def.conf.HeaderNames)
	} else if ignored != nil {
		rq.logIgnoredHeaders(ignored)
	}
	if !rq.strictRequest() {
		return
	}
	if !rq.checkClientCert(sniSrv) {
		return
	}
	if code, msg := headerLimits(r, lean); code != 0 {
		rq.logErr(errlog.Info, msg)
		rq.errorPage(code)
		return
	}
	if !ok {
		rq.logErr(errlog.Info, "client sent invalid request while reading client request line")
		rq.errorPage(http.StatusBadRequest)
		return
	}
	rq.serve(uri, 0)
	rq.endResponse()
}

// maxRedirects is nginx's limit on internal redirections (ngx.exec).
const maxRedirects = 10

// serve runs the server rewrites, finds the location for uri (or the named
// location "@name") and produces the response; ngx.exec comes back here.
func (rq *request) serve(uri string, depth int) {
	r, srv, g := rq.r, rq.srv, rq.g
	if depth > 0 {
		rq.internal = true
	}
	var loc *location
	if strings.HasPrefix(uri, "@") {
		loc = srv.named[uri[1:]]
		if loc == nil {
			rq.logErr(errlog.Error, fmt.Sprintf("named location \"%s\" not found", uri))
			rq.errorPage(http.StatusInternalServerError)
			return
		}
	} else {
		rq.uri = uri
		if !rq.skipSrvRewrite {
			if done := rq.rewrite(srv.conf.Rewrite); done {
				return
			}
		}
		rq.skipSrvRewrite, rq.uriChanged, rq.rewriteLast = false, false, false
		uri = rq.uri
		loc = srv.locs.Find(uri)
		if loc == nil {
			// nginx serves it with the server's own configuration: its
			// settings, Lua phases and try_files as an implicit location
			rq.unmatched = location{conf: srv.conf.Unmatched}
			loc = &rq.unmatched
		}
	}
	rq.loc = loc
	if loc.re != nil {
		rq.captures = loc.re.FindStringSubmatch(rq.uri)
		rq.capNames = loc.re.SubexpNames()
	}
	lc := loc.conf
	rq.keepalive(&lc.Settings)
	rq.enterLocation(&lc.LuaPhases)
	if lc.ServerTokens {
		rq.w.server = serverFull
	} else {
		rq.w.server = serverShort
	}
	if max := lc.ClientMaxBodySize; max > 0 {
		if r.ContentLength > max {
			rq.logErr(errlog.Error, fmt.Sprintf("client intended to send too large body: %d bytes", r.ContentLength))
			rq.errorPage(http.StatusRequestEntityTooLarge)
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody && depth == 0 && !rq.readChunkedBody(max) {
			return
		}
	}
	noPostpone := g.cfg.HTTP != nil && g.cfg.HTTP.RewriteByLuaNoPostpone
	if lc.RewriteByLua != nil && noPostpone && rq.luaPhase(luavm.PhaseRewrite, lc.RewriteByLua, depth) {
		return
	}
	if done := rq.rewrite(lc.Rewrite); done {
		return
	}
	lc = rq.loc.conf // an "if" block's when one held
	if rq.research(depth) {
		return
	}
	if lc.RewriteByLua != nil && !noPostpone && rq.luaPhase(luavm.PhaseRewrite, lc.RewriteByLua, depth) {
		return
	}
	if rq.research(depth) { // ngx.req.set_uri(uri, true)
		return
	}
	if lc.AccessByLua != nil && rq.luaPhase(luavm.PhaseAccess, lc.AccessByLua, depth) {
		return
	}
	if lc.TryFiles != nil && !rq.tryFiles(lc.TryFiles, depth) {
		return
	}
	switch {
	case lc.Content != nil:
		rq.luaPhase(luavm.PhaseContent, lc.Content, depth)
	case lc.ProxyPass != "":
		rq.proxy(lc.ProxyPass)
	case lc.SSLSessionMetrics:
		rq.w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		g.mgr.WriteMetrics(rq.w)
		ngxapi.WriteSessionStoreMetrics(rq.w)
	default:
		rq.static(depth)
	}
}

// keepalive decides as nginx whether the client connection stays open
// after this response, by the location's keepalive_timeout (0: no) and
// keepalive_requests (the connection's Nth request is its last); with a
// header_timeout, "Keep-Alive: timeout=N" is sent.
func (rq *request) keepalive(s *confparse.Settings) {
	if rq.connRequests == 0 {
		return // HTTP/2, or not one of our connections
	}
	h := rq.w.Header()
	if s.KeepaliveTimeout == 0 || rq.connRequests >= int64(s.KeepaliveRequests) {
		h.Set("Connection", "close")
		h.Del("Keep-Alive")
		return
	}
	if s.KeepaliveHeader > 0 {
		h.Set("Keep-Alive", "timeout="+strconv.Itoa(int(s.KeepaliveHeader/time.Second)))
	}
}

// luaPhase runs a rewrite, access or content handler; true when the
// request was answered (or redirected internally by ngx.exec) there.
func (rq *request) luaPhase(ph luavm.Phase, code *confparse.LuaCode, depth int) bool {
	chunk, status := rq.chunk(code)
	if status == 0 {
		status = rq.needBody()
	}
	if status != 0 {
		rq.errorPage(status)
		return true
	}
	switch rq.runPhase(ph, chunk) {
	case phaseNext:
		return false
	case phaseExec:
		rq.exec(rq.hc, depth)
	}
	return true
}

// exec is ngx.exec's internal redirect.
func (rq *request) exec(c *ngxapi.HTTPCtx, depth int) {
	if depth+1 > maxRedirects {
		rq.logErr(errlog.Error, fmt.Sprintf("rewrite or internal redirection cycle while internally redirecting to \"%s\"", c.ExecURI))
		rq.errorPage(http.StatusInternalServerError)
		return
	}
	target := c.ExecURI
	if !strings.HasPrefix(target, "@") {
		r := rq.r
		p, q, hasQ := strings.Cut(target, "?")
		switch {
		case hasQ && c.ExecArgs != "":
			r.URL.RawQuery = q + "&" + c.ExecArgs
		case hasQ:
			r.URL.RawQuery = q
		case c.ExecArgs != "":
			r.URL.RawQuery = c.ExecArgs
		}
		target = p
		var ok bool
		if target, ok = normalizeURI(target); !ok {
			rq.errorPage(http.StatusBadRequest)
			return
		}
	}
	rq.serve(target, depth+1)
}

// redirect is an internal redirect to uri (try_files, index): the server's
// rewrites and the location search again, within nginx's limit.
func (rq *request) redirect(uri string, depth int) {
	if depth+1 > maxRedirects {
		rq.logErr(errlog.Error, fmt.Sprintf("rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri))
		rq.errorPage(http.StatusInternalServerError)
		return
	}
	rq.serve(uri, depth+1)
}

// nginx's large_client_header_buffers 4 8k: the request line and each
// header line must fit in 8k (414 / 494 otherwise), all of them in 32k.
const (
	headerBuf   = 8 << 10
	headerTotal = 4 * headerBuf
)

// headerLimits is the status and nginx's [info] line for a request over
// those limits (0 when within); the line shows the start of the header
// line that did not fit, as nginx's (NGX_MAX_ERROR_STR - 300 bytes). A
// request the lean loop parsed is within them: it reads header blocks of
// up to 4 KB only.
func headerLimits(r *http.Request, lean bool) (int, string) {
	if lean {
		return 0, ""
	}
	line := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 2
	if line > headerBuf {
		return http.StatusRequestURITooLong, "client sent too long URI while reading client request line"
	}
	total := line
	for k, vs := range r.Header {
		for _, v := range vs {
			n := len(k) + 2 + len(v)
			if total += n; n > headerBuf || total > headerTotal {
				l := k + ": " + v
				return 494, `client sent too long header line: "` + l[:min(len(l), 2048-300)] + `..." while reading client request headers`
			}
		}
	}
	return 0, ""
}

var (
	serverFull  = []string{"goresty/" + Version}
	serverShort = []string{"goresty"}
)

// normalizeURI resolves "." and ".." segments and merges slashes, as
// nginx does; false when ".." climbs above the root.
func normalizeURI(p string) (string, bool) {
	if p == "" {
		return "/", true
	}
	if p[0] != '/' {
		return "", false
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p, true
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case "", ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) == 0 {
				return "", false
			}
			out = out[:len(out)-1]
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/"), true
}

func (rq *request) logErr(level errlog.Level, msg string) {
	rq.errorLog().LogConn(level, rq.errConn(), msg)
}

// errorLog is the error_log in effect for the request: its location's,
// else its server's, else the main one.
func (rq *request) errorLog() *errlog.Logger {
	if rq.g.levelLogs != nil && rq.srv != nil {
		if l := rq.g.levelLogs[rq.settings()]; l != nil {
			return l
		}
	}
	return rq.g.log
}

// levelLog is the request's error_log when its location or server sets
// one of its own, nil when it is the main one: the Lua handler's lines
// (ngx.log, print, its failure) then go to the worker's log.
func (rq *request) levelLog() *errlog.Logger {
	if rq.g.levelLogs != nil && rq.srv != nil {
		return rq.g.levelLogs[rq.settings()]
	}
	return nil
}

func (rq *request) errConn() *errlog.Conn {
	if rq.ec == nil {
		r := rq.r
		c := &rq.ecVal
		*c = errlog.Conn{Client: remoteIP(r.RemoteAddr), InRequest: true, RequestParts: [3]string{r.Method, r.RequestURI, r.Proto}, Host: r.Host}
		if rq.conn != nil {
			c.ID = rq.conn.id
			if ln := rq.conn.ln; ln != nil && ln.grp != nil {
				c.Listen = displayAddr(ln.grp.network, ln.grp.addr)
			}
		}
		if rq.srv != nil {
			c.Server = rq.srv.name
		}
		rq.ec = c
	}
	return rq.ec
}

func remoteIP(addr string) string {
	if strings.HasPrefix(addr, "@") || addr == "" {
		return "unix:"
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func (rq *request) settings() *confparse.Settings {
	if rq.loc != nil {
		return &rq.loc.conf.Settings
	}
	return &rq.srv.conf.Settings
}

// luaSocket is the lua_socket_* settings in effect for the request.
func (rq *request) luaSocket() *confparse.LuaSocketSettings {
	if rq.loc != nil {
		return &rq.loc.conf.LuaSocket
	}
	return &rq.srv.conf.LuaSocket
}

func (rq *request) setDefaultType() {
	if dt := rq.settings().DefaultType; dt != "" {
		rq.w.Header().Set("Content-Type", dt)
	}
}

func (rq *request) scheme() string {
	if rq.r.TLS != nil {
		return "https"
	}
	return "http"
}

// absoluteURL makes a redirect target absolute as nginx's header filter:
// with absolute_redirect on (else the path stays as it is), the Host (or,
// with server_name_in_redirect on or without a Host, the server's first
// name) and, with port_in_redirect on, the port unless the scheme's own.
func (rq *request) absoluteURL(path string) string {
	s := rq.settings()
	if !s.AbsoluteRedirect {
		return path
	}
	host := normHost(rq.r.Host)
	if host == "" || s.ServerNameInRedirect {
		host = rq.srv.name
	}
	port := rq.serverPort()
	sch := rq.scheme()
	if s.PortInRedirect && port != "" && !(sch == "http" && port == "80") && !(sch == "https" && port == "443") {
		host += ":" + port
	}
	return sch + "://" + host + path
}

func (rq *request) serverAddr() (string, string) {
	if a, ok := rq.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if h, p, err := net.SplitHostPort(a.String()); err == nil {
			return h, p
		}
		return "unix:", ""
	}
	return "", ""
}

func (rq *request) serverPort() string { _, p := rq.serverAddr(); return p }

func (rq *request) finish() {
	if c := rq.hc; c != nil {
		if c.RawConn() != nil {
			// ngx.req.socket(true) took the connection from net/http
			defer c.RawConn().Close()
			rq.w.bytes += c.RawSent()
		}
		defer c.RemoveBodyFile()
	}
	if p := recover(); p != nil {
		rq.runLogPhase()
		rq.logAccess()
		if p == http.ErrAbortHandler {
			panic(p)
		}
		var e error
		if err, ok := p.(error); ok {
			e = err
		}
		if !errors.Is(e, http.ErrAbortHandler) {
			rq.logErr(errlog.Alert, fmt.Sprintf("goresty: internal error: %v", p))
		}
		panic(http.ErrAbortHandler)
	}
	if f, ok := rq.w.ResponseWriter.(interface{ finishEarly() }); ok {
		f.finishEarly() // the client has the response before the log phase, as nginx's
	}
	rq.runLogPhase()
	rq.logAccess()
}

func (rq *request) logAccess() {
	if rq.g.logs == nil {
		return
	}
	rq.g.logs.write(rq)
}

// research searches the locations again when the location's rewrite (or
// ngx.req.set_uri's jump) changed the URI; true when it did.
func (rq *request) research(depth int) bool {
	if !rq.uriChanged {
		return false
	}
	if depth+1 > maxRedirects {
		rq.logErr(errlog.Error, fmt.Sprintf("rewrite or internal redirection cycle while processing \"%s\"", rq.uri))
		rq.errorPage(http.StatusInternalServerError)
		return true
	}
	rq.skipSrvRewrite = true
	rq.serve(rq.uri, depth+1)
	return true
}

// SetURI is ngx.req.set_uri.
func (rq *request) SetURI(uri string, jump bool) {
	rq.uri = uri
	rq.uriChanged = jump
	rq.uriSet = true
}
