package httpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
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
	"github.com/goresty/goresty/ngxapi/tlsname"
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
	inErrorPage bool // an error_page redirect was made (recursive_error_pages off)
	// rewrite changed the URI: the location is searched again ("last",
	// or no flag at location level); rewriteLast stops the rewrites
	uriChanged, rewriteLast bool
	skipSrvRewrite          bool // searching again after a location's rewrite
	// the Lua phases' context for the current location (phases.go) and
	// the worker all of the request's Lua runs on
	hc *ngxapi.HTTPCtx
	wk *luavm.Worker
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	g := h.g
	rq := &request{g: g, r: r, start: time.Now()}
	rq.wv.ResponseWriter = rw
	rq.w = &rq.wv
	rq.wv.rq = rq
	rq.conn, _ = r.Context().Value(connKey{}).(*quietConn)
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
	if !rq.strictRequest() {
		return
	}
	if !rq.checkClientCert(sniSrv) {
		return
	}
	if code := headerLimits(r); code != 0 {
		rq.errorPage(code)
		return
	}
	uri, ok := normalizeURI(r.URL.Path)
	if !ok {
		rq.errorPage(http.StatusBadRequest)
		return
	}
	rq.uri = uri
	rq.serve(uri, 0)
	rq.endResponse()
}

// maxRedirects is nginx's limit on internal redirections (ngx.exec).
const maxRedirects = 10

// serve runs the server rewrites, finds the location for uri (or the named
// location "@name") and produces the response; ngx.exec comes back here.
func (rq *request) serve(uri string, depth int) {
	r, srv, g := rq.r, rq.srv, rq.g
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
			// a server's try_files serves the URIs no location matches
			if tf := srv.conf.TryFiles; tf != nil {
				if rq.tryFiles(tf, depth) {
					rq.static()
				}
				return
			}
			rq.errorPage(http.StatusNotFound)
			return
		}
	}
	rq.loc = loc
	if loc.re != nil {
		rq.captures = loc.re.FindStringSubmatch(rq.uri)
		rq.capNames = loc.re.SubexpNames()
	}
	lc := loc.conf
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
	if rq.uriChanged {
		// the location's rewrite changed the URI: search the locations again
		if depth+1 > maxRedirects {
			rq.logErr(errlog.Error, fmt.Sprintf("rewrite or internal redirection cycle while processing \"%s\"", rq.uri))
			rq.errorPage(http.StatusInternalServerError)
			return
		}
		rq.skipSrvRewrite = true
		rq.serve(rq.uri, depth+1)
		return
	}
	if lc.RewriteByLua != nil && !noPostpone && rq.luaPhase(luavm.PhaseRewrite, lc.RewriteByLua, depth) {
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
	default:
		rq.static()
	}
}

// luaPhase runs a rewrite, access or content handler; true when the
// request was answered (or redirected internally by ngx.exec) there.
func (rq *request) luaPhase(ph luavm.Phase, code *confparse.LuaCode, depth int) bool {
	switch rq.runPhase(ph, rq.g.chunks[code]) {
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

// nginx's large_client_header_buffers 4 8k: the request line and each
// header line must fit in 8k (414 / 494 otherwise), all of them in 32k.
const (
	headerBuf   = 8 << 10
	headerTotal = 4 * headerBuf
)

func headerLimits(r *http.Request) int {
	line := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 2
	if line > headerBuf {
		return http.StatusRequestURITooLong
	}
	total := line
	for k, vs := range r.Header {
		for _, v := range vs {
			n := len(k) + 2 + len(v)
			if n > headerBuf {
				return 494
			}
			total += n
		}
	}
	if total > headerTotal {
		return 494
	}
	return 0
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
		c := &errlog.Conn{Client: remoteIP(r.RemoteAddr), Request: r.Method + " " + r.RequestURI + " " + r.Proto, Host: r.Host}
		if rq.conn != nil {
			c.ID = rq.conn.id
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

// rewrite runs "set" and "return" steps; true when a return answered.
func (rq *request) rewrite(steps []confparse.RewriteStep) bool {
	for _, st := range steps {
		if rw := st.Rewrite; rw != nil {
			m := rw.Re.FindStringSubmatch(rq.uri)
			if m == nil {
				continue
			}
			rq.captures, rq.capNames = m, rw.Re.SubexpNames()
			repl := rq.expand(rw.Replacement)
			if rw.Flag == "redirect" || rw.Flag == "permanent" || strings.HasPrefix(repl, "http://") || strings.HasPrefix(repl, "https://") {
				code := http.StatusFound
				if rw.Flag == "permanent" {
					code = http.StatusMovedPermanently
				}
				if !strings.HasSuffix(repl, "?") && rq.r.URL.RawQuery != "" && !strings.Contains(repl, "?") {
					repl += "?" + rq.r.URL.RawQuery
				}
				repl = strings.TrimSuffix(repl, "?")
				if strings.HasPrefix(repl, "/") {
					repl = rq.absoluteURL(repl)
				}
				rq.w.Header().Set("Location", repl)
				rq.errorPage(code)
				return true
			}
			// a "?" in the replacement gives new arguments (the old ones
			// follow unless it ends with "?")
			if p, q, ok := strings.Cut(repl, "?"); ok {
				if q != "" && rq.r.URL.RawQuery != "" && !strings.HasSuffix(repl, "?") {
					q += "&" + rq.r.URL.RawQuery
				}
				repl, rq.r.URL.RawQuery = p, q
			}
			rq.uri = repl
			rq.uriChanged = true
			switch rw.Flag {
			case "last":
				rq.rewriteLast = true
				return false
			case "break":
				rq.uriChanged = false // stays in this location
				return false
			}
			continue
		}
		if st.SetLua != nil {
			if !rq.setByLua(st.SetLua) {
				return true
			}
			continue
		}
		if st.Set != nil {
			if rq.vars == nil {
				rq.vars = map[string]string{}
			}
			rq.vars[st.Set.Name] = rq.expand(st.Set.Value)
			continue
		}
		if ret := st.Return; ret != nil {
			rq.doReturn(ret)
			return true
		}
	}
	return false
}

func (rq *request) doReturn(ret *confparse.Return) {
	code := ret.Code
	text := rq.expand(ret.Text)
	if code == 444 {
		rq.w.status = 444
		panic(http.ErrAbortHandler)
	}
	h := rq.w.Header()
	if code >= 301 && code <= 308 && code != 304 && code != 305 && code != 306 {
		if text != "" {
			if strings.HasPrefix(text, "/") {
				text = rq.absoluteURL(text)
			}
			h.Set("Location", text)
		}
		rq.errorPage(code)
		return
	}
	if ret.Text == "" && code >= 400 {
		rq.errorPage(code)
		return
	}
	rq.setDefaultType()
	h.Set("Content-Length", strconv.Itoa(len(text)))
	rq.w.WriteHeader(code)
	if rq.r.Method != http.MethodHead {
		io.WriteString(rq.w, text)
	}
}

// addHeaders applies the add_header directives in effect: for the
// statuses nginx lists, or any with "always"; an empty value adds nothing.
func (rq *request) addHeaders(code int, h http.Header) {
	if rq == nil || rq.srv == nil {
		return
	}
	hs := rq.settings().AddHeaders
	if len(hs) == 0 {
		return
	}
	listed := false
	switch code {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		listed = true
	}
	for _, a := range hs {
		if !listed && !a.Always {
			continue
		}
		if v := rq.expand(a.Value); v != "" {
			h.Add(a.Name, v)
		}
	}
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

// absoluteURL makes a redirect target absolute (absolute_redirect on,
// port_in_redirect on).
func (rq *request) absoluteURL(path string) string {
	host := normHost(rq.r.Host)
	if host == "" {
		host = rq.srv.name
	}
	port := rq.serverPort()
	sch := rq.scheme()
	if port != "" && !(sch == "http" && port == "80") && !(sch == "https" && port == "443") {
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

// statusTitles are nginx's page titles where they differ from Go's texts.
var statusTitles = map[int]string{
	401: "401 Authorization Required",
	405: "405 Not Allowed",
	408: "408 Request Time-out",
	414: "414 Request-URI Too Large",
	416: "416 Requested Range Not Satisfiable",
	503: "503 Service Temporarily Unavailable",
	504: "504 Gateway Time-out",
	494: "400 Request Header Or Cookie Too Large",
	495: "400 The SSL certificate error",
	496: "400 No required SSL certificate was sent",
	497: "400 The plain HTTP request was sent to HTTPS port",
}

func statusTitle(code int) string {
	if t, ok := statusTitles[code]; ok {
		return t
	}
	if txt := http.StatusText(code); txt != "" {
		return strconv.Itoa(code) + " " + txt
	}
	return strconv.Itoa(code)
}

// errorPageBody is nginx's built-in page for code; 494-497 (answered as
// 400) carry their own title and say "400 Bad Request" then what it was.
func errorPageBody(code int, tokens bool) string {
	sig := "goresty"
	if tokens {
		sig = "goresty/" + Version
	}
	t := statusTitle(code)
	h1 := "<center><h1>" + t + "</h1></center>\r\n"
	if code >= 494 && code <= 497 {
		h1 = "<center><h1>400 Bad Request</h1></center>\r\n<center>" + strings.TrimPrefix(t, "400 ") + "</center>\r\n"
	}
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n" + h1 +
		"<hr><center>" + sig + "</center>\r\n</body>\r\n</html>\r\n"
}

// errorPage answers with nginx's built-in page for code.
func (rq *request) errorPage(code int) {
	if rq.errorPageRedirect(code) {
		return
	}
	h := rq.w.Header()
	shown := code
	if code >= 494 && code <= 497 {
		shown = 400
	}
	body := ""
	if code >= 300 && code != 304 {
		body = errorPageBody(code, rq.settings().ServerTokens)
		h.Set("Content-Type", "text/html")
	}
	switch code {
	case 400, 408, 413, 414, 494, 495, 496, 497, 500, 501:
		h.Set("Connection", "close")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(shown)
	rq.w.status = shown
	if rq.r.Method != http.MethodHead && body != "" {
		io.WriteString(rq.w, body)
	}
}

// errorPageRedirect applies the error_page for code, if any, as nginx:
// a URL is a redirect (302 or =NNN), a URI or @name an internal redirect
// (GET) whose response goes out with code (or =NNN, or its own with "=").
// An error while serving an error page gets the built-in page
// (recursive_error_pages off).
func (rq *request) errorPageRedirect(code int) bool {
	if rq.srv == nil || rq.inErrorPage || rq.w.status != 0 {
		return false
	}
	var ep *confparse.ErrorPage
	eps := rq.settings().ErrorPages
	for i := range eps {
		for _, c := range eps[i].Codes {
			if c == code {
				ep = &eps[i]
			}
		}
	}
	if ep == nil {
		return false
	}
	rq.inErrorPage = true
	uri := rq.expand(ep.URI)
	if !strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, "@") {
		status := http.StatusFound
		if ep.Response == 301 || ep.Response == 303 || ep.Response == 307 || ep.Response == 308 {
			status = ep.Response
		}
		rq.w.Header().Set("Location", uri)
		rq.errorPage(status)
		return true
	}
	switch ep.Response {
	case 0:
		rq.wv.force = code
	case -1:
	default:
		rq.wv.force = ep.Response
	}
	if rq.r.Method != http.MethodHead {
		rq.r.Method = http.MethodGet
	}
	if p, q, ok := strings.Cut(uri, "?"); ok {
		uri, rq.r.URL.RawQuery = p, q
	}
	rq.captures, rq.capNames = nil, nil
	rq.serve(uri, 1)
	return true
}

// Var implements ngxapi.VarSource.
func (rq *request) Var(name string) (string, bool) {
	if v, ok := rq.vars[name]; ok {
		return v, true
	}
	if len(rq.captures) > 0 {
		if name[0] >= '0' && name[0] <= '9' {
			if i, err := strconv.Atoi(name); err == nil && i < len(rq.captures) {
				return rq.captures[i], true
			}
			return "", false
		}
		for i, n := range rq.capNames {
			if n == name && i < len(rq.captures) {
				return rq.captures[i], true
			}
		}
	}
	r := rq.r
	switch name {
	case "uri", "document_uri":
		return rq.uri, true
	case "args", "query_string":
		return r.URL.RawQuery, r.URL.RawQuery != ""
	case "request_length":
		return strconv.Itoa(requestLength(r)), true
	case "is_args":
		if r.URL.RawQuery != "" {
			return "?", true
		}
		return "", true
	case "request_uri":
		return r.RequestURI, true
	case "request_method":
		return r.Method, true
	case "request":
		return r.Method + " " + r.RequestURI + " " + r.Proto, true
	case "server_protocol":
		return r.Proto, true
	case "host":
		if h := normHost(r.Host); h != "" {
			return h, true
		}
		return rq.srv.name, true
	case "hostname":
		h, _ := osHostname()
		return h, true
	case "remote_addr", "binary_remote_addr":
		return remoteIP(r.RemoteAddr), true
	case "remote_port":
		if _, p, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return p, true
		}
		return "", true
	case "remote_user":
		return "", false
	case "server_addr":
		h, _ := rq.serverAddr()
		return h, true
	case "server_port":
		return rq.serverPort(), true
	case "server_name":
		return rq.srv.name, true
	case "scheme":
		return rq.scheme(), true
	case "https":
		if r.TLS != nil {
			return "on", true
		}
		return "", true
	case "content_length":
		return r.Header.Get("Content-Length"), r.Header.Get("Content-Length") != ""
	case "content_type":
		return r.Header.Get("Content-Type"), r.Header.Get("Content-Type") != ""
	case "status":
		s := rq.w.status
		if s == 0 {
			return "000", true
		}
		return strconv.Itoa(s), true
	case "body_bytes_sent":
		return strconv.FormatInt(rq.w.bytes, 10), true
	case "bytes_sent":
		return strconv.FormatInt(rq.w.bytes, 10), true
	case "request_time":
		d := time.Since(rq.start)
		return fmt.Sprintf("%d.%03d", d/time.Second, (d%time.Second)/time.Millisecond), true
	case "msec":
		now := time.Now()
		return fmt.Sprintf("%d.%03d", now.Unix(), now.Nanosecond()/1e6), true
	case "time_local":
		return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
	case "time_iso8601":
		return time.Now().Format("2006-01-02T15:04:05-07:00"), true
	case "pid":
		return strconv.Itoa(pid), true
	case "nginx_version":
		return ngxapi.NginxRelease, true
	case "connection":
		if rq.conn != nil {
			return strconv.FormatUint(rq.conn.id, 10), true
		}
		return "", true
	case "realpath_root", "document_root":
		return rq.settings().Root, true
	case "request_body":
		return "", false
	case "ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_session_reused", "ssl_session_id",
		"ssl_client_verify", "ssl_client_s_dn", "ssl_client_i_dn", "ssl_client_serial", "ssl_client_fingerprint",
		"ssl_client_cert", "ssl_client_raw_cert", "ssl_client_escaped_cert":
		return rq.sslVar(name, r.TLS)
	}
	switch {
	case strings.HasPrefix(name, "http_"):
		k := headerKey(name[5:])
		if k == "Host" {
			return r.Host, r.Host != ""
		}
		v := r.Header.Values(k)
		if len(v) == 0 {
			return "", false
		}
		if k == "Cookie" {
			return strings.Join(v, "; "), true
		}
		return strings.Join(v, ", "), true
	case strings.HasPrefix(name, "sent_http_"):
		v := rq.w.Header().Get(headerKey(name[10:]))
		return v, v != ""
	case strings.HasPrefix(name, "arg_"):
		return argValue(r.URL.RawQuery, name[4:])
	case strings.HasPrefix(name, "cookie_"):
		if c, err := r.Cookie(name[7:]); err == nil {
			return c.Value, true
		}
		return "", false
	}
	if m := rq.g.maps[name]; m != nil {
		return rq.mapValue(m), true
	}
	if rq.g.setVars[name] {
		return "", true
	}
	return "", false
}

// mapValue evaluates a map variable: its source's value looked up (exact
// strings ignoring case, then the regexes in order), else the default.
func (rq *request) mapValue(m *confparse.Map) string {
	src := rq.expand(m.Source)
	v, ok := m.Exact[strings.ToLower(src)]
	if !ok {
		v = m.Default
		for _, r := range m.Regexes {
			if r.Re.MatchString(src) {
				v = r.Value
				break
			}
		}
	}
	if strings.IndexByte(v, '$') >= 0 {
		v = rq.expand(v)
	}
	return v
}

// requestLength is $request_length: the request line, the header lines
// and the body as received.
func requestLength(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	n += 2
	if r.ContentLength > 0 {
		n += int(r.ContentLength)
	}
	return n
}

func headerKey(s string) string { return http.CanonicalHeaderKey(strings.ReplaceAll(s, "_", "-")) }

// argValue is $arg_NAME: the raw (not unescaped) value of the first NAME
// argument, matched case-insensitively.
func argValue(q, name string) (string, bool) {
	for q != "" {
		var p string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			p, q = q[:i], q[i+1:]
		} else {
			p, q = q, ""
		}
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// SetVar implements ngxapi.VarSource.
func (rq *request) SetVar(name, value string) error {
	if rq.g.setVars[name] {
		if rq.vars == nil {
			rq.vars = map[string]string{}
		}
		rq.vars[name] = value
		return nil
	}
	switch {
	case name == "args" || name == "query_string":
		rq.r.URL.RawQuery = value
		return nil
	case name == "uri" || name == "request_uri" || name == "host" || name == "remote_addr" ||
		name == "scheme" || name == "server_name" || name == "request_method" || strings.HasPrefix(name, "ssl_") ||
		strings.HasPrefix(name, "http_") || strings.HasPrefix(name, "arg_") || name == "status" || name == "request_time":
		return fmt.Errorf("variable \"%s\" not changeable", name)
	}
	return fmt.Errorf("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
}

var goCipherNames = func() map[uint16]string {
	m := map[uint16]string{
		tls.TLS_AES_128_GCM_SHA256:       "TLS_AES_128_GCM_SHA256",
		tls.TLS_AES_256_GCM_SHA384:       "TLS_AES_256_GCM_SHA384",
		tls.TLS_CHACHA20_POLY1305_SHA256: "TLS_CHACHA20_POLY1305_SHA256",
	}
	for n, id := range opensslCiphers {
		m[id] = n
	}
	return m
}()

func (rq *request) sslVar(name string, cs *tls.ConnectionState) (string, bool) {
	if cs == nil {
		return "", false
	}
	switch name {
	case "ssl_protocol":
		name, _ := tlsname.Name(cs.Version)
		return name, true
	case "ssl_cipher":
		return goCipherNames[cs.CipherSuite], true
	case "ssl_server_name":
		return cs.ServerName, cs.ServerName != ""
	case "ssl_session_reused":
		if cs.DidResume {
			return "r", true
		}
		return ".", true
	case "ssl_session_id":
		if rq.conn != nil && rq.conn.sess != nil {
			return rq.conn.sess.ID(), true
		}
		return "", true
	}
	if strings.HasPrefix(name, "ssl_client_") {
		return rq.clientVar(name, cs)
	}
	return "", false
}

// expand replaces $name and ${name} in s.
func (rq *request) expand(s string) string {
	if strings.IndexByte(s, '$') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		var name string
		if s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				b.WriteByte(c)
				continue
			}
			name = s[j+1 : j+k]
			i = j + k
		} else {
			k := j
			for k < len(s) && isVarChar(s[k]) {
				k++
			}
			if k == j {
				b.WriteByte(c)
				continue
			}
			name = s[j:k]
			i = k - 1
		}
		v, _ := rq.Var(strings.ToLower(name))
		b.WriteString(v)
	}
	return b.String()
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (rq *request) finish() {
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
	rq.runLogPhase()
	rq.logAccess()
}

func (rq *request) logAccess() {
	if rq.g.logs == nil {
		return
	}
	rq.g.logs.write(rq)
}
