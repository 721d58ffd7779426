package ngxapi

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// VarSource resolves nginx variables ($uri, $arg_x, set $v ...) for ngx.var.
type VarSource interface {
	// Var returns a variable's value; ok is false when it has none (nil).
	Var(name string) (value string, ok bool)
	// SetVar changes a variable; the error text is raised to Lua as is.
	SetVar(name, value string) error
}

// RequestServer is what the server does for a request's Lua APIs (an
// interface, not two func fields: no closures made per request).
type RequestServer interface {
	// Capture runs ngx.location.capture's subrequests (off the worker)
	// and returns their responses in order.
	Capture([]SubRequest) []SubResponse
	// SetURI changes the URI later phases, proxy_pass and $uri see; jump:
	// the locations are searched again (ngx.req.set_uri(uri, true)).
	SetURI(uri string, jump bool)
}

// HTTPCtx is what content_by_lua's APIs act on. httpserver fills it and
// runs the chunk with it as luavm.Request.Ctx. While the light thread runs,
// only the worker goroutine touches it (the handler goroutine waits in Run).
type HTTPCtx struct {
	Req         *http.Request
	W           http.ResponseWriter
	TLS         *tls.ConnectionState // nil on plain HTTP
	Vars        VarSource
	DefaultType string // default_type ("" = no Content-Type)
	MaxBodySize int64  // client_max_body_size; 0 = unlimited
	Start       time.Time
	LuaSocket   *confparse.LuaSocketSettings // lua_socket_* of the location (nil: http's)

	Status      int  // ngx.status (0 = not set)
	HeadersSent bool // response headers went out
	EOF         bool // ngx.eof() was called
	BytesSent   int64
	ExitCode    int  // code given to ngx.exit / ngx.redirect
	Exited      bool // ngx.exit / ngx.redirect was called

	// ExecURI / ExecArgs: ngx.exec asked for an internal redirect.
	ExecURI  string
	ExecArgs string

	Body     []byte // request body after ngx.req.read_body (nil when in BodyFile; or as Lua set it)
	BodyRead bool
	BodyBuf  BodyBuffering
	BodyFile string // the file ngx.req.read_body buffered the body to
	bodyInit bool   // between ngx.req.init_body and finish_body
	ArgsSet  bool   // ngx.req.set_uri_args was called
	// Server serves the request's ngx.location.capture and
	// ngx.req.set_uri; nil: neither is possible in this context.
	Server RequestServer
	// BodyTooLarge is set when read_body found a body past client_max_body_size.
	BodyTooLarge bool

	out []byte // body not written yet
	// outBuf is out's first backing array: a small response's body is
	// buffered without an allocation of its own
	outBuf [64]byte
	// ctValue holds the value of the Content-Type header DefaultType sets
	// (a slice of it, no allocation)
	ctValue [1]string

	// Subrequest: ngx.location.capture made this request; Internal: it
	// was redirected inside the server (ngx.exec, error_page, try_files,
	// rewrite). ngx.req.is_internal is true for both.
	Subrequest, Internal bool
	reqSock              reqSockState

	CheckClientAbort bool // lua_check_client_abort on
	abort            abortState

	RequestPhases
}

// LuaSocketSettings implements LuaSocketer.
func (c *HTTPCtx) LuaSocketSettings() *confparse.LuaSocketSettings { return c.LuaSocket }

// TLSState implements TLSStater (ngx.ssl in content_by_lua).
func (c *HTTPCtx) TLSState() *tls.ConnectionState { return c.TLS }

// SendHeaders writes the status line and headers once, after
// header_filter_by_lua* (run through the queue: call it from the request's
// goroutine, not the worker's); the default Content-Type is added when none
// was set.
func (c *HTTPCtx) SendHeaders() { c.sendHeaders(false) }

// sendHeaders is SendHeaders; nested says the caller is Lua API code on
// the worker goroutine (filters then run nested, as nginx's filter chain
// runs inside ngx.say).
func (c *HTTPCtx) sendHeaders(nested bool) {
	if c.HeadersSent || c.headerFiltered {
		return
	}
	h := c.W.Header()
	if _, ok := h["Content-Type"]; !ok {
		if c.DefaultType != "" {
			c.ctValue[0] = c.DefaultType
			h["Content-Type"] = c.ctValue[:1:1]
		} else {
			h["Content-Type"] = nil // no sniffing
		}
	}
	st := c.Status
	if st == 0 {
		st = http.StatusOK
	}
	c.Status = st
	if c.HeaderFilter != nil {
		c.headerFiltered = true // the filter may still change the headers
		ok := c.runFilter(luavm.PhaseHeaderFilter, c.HeaderFilter, nested)
		c.HeadersSent = true
		if !ok {
			return
		}
	}
	c.HeadersSent = true
	c.W.WriteHeader(c.Status)
}

// Output is buffered in the context (so that the Lua worker does no socket
// I/O for ordinary responses) and written out on ngx.flush, ngx.eof, past
// outputLimit, and by httpserver once the handler ended (FlushOutput).
const outputLimit = 64 << 10

// FlushOutput writes the buffered body through body_filter_by_lua* (from
// the request's goroutine); flush also pushes it to the client.
func (c *HTTPCtx) FlushOutput(flush bool) error {
	c.filterOut(false, false)
	return c.writeRaw(flush)
}

// writeRaw writes the buffered body, already filtered.
func (c *HTTPCtx) writeRaw(flush bool) error {
	var err error
	if c.FilterFailed {
		c.out = c.out[:0]
		return errFilterFailed
	}
	if len(c.out) > 0 {
		var n int
		c.rawWrite = true
		n, err = c.W.Write(c.out)
		c.rawWrite = false
		c.BytesSent += int64(n)
		c.out = c.out[:0]
	}
	if flush && err == nil {
		if f, ok := c.W.(http.Flusher); ok {
			f.Flush()
		}
	}
	return err
}

func httpCtx(w *luavm.Worker, L *lua.LState) *HTTPCtx {
	if t := w.Current(); t != nil {
		if c, ok := t.Ctx.(*HTTPCtx); ok && c != nil {
			return c
		}
	}
	L.RaiseError("no request found")
	return nil
}

func logConn(w *luavm.Worker, level errlog.Level, msg string) {
	var c *errlog.Conn
	if t := w.Current(); t != nil {
		c = t.Conn
	}
	w.CurrentLog().LogConn(level, c, msg)
}

// appendOutput renders ngx.say/ngx.print arguments.
func appendOutput(L *lua.LState, b []byte, v lua.LValue, arg int, fname string, depth int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return append(b, x...)
	case lua.LNumber:
		return append(b, luavm.FormatNumber(float64(x))...)
	case lua.LBool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case *lua.LNilType:
		return append(b, "nil"...)
	case *lua.LUserData:
		if x == Null {
			return append(b, "null"...)
		}
	case *lua.LTable:
		n := x.MaxN()
		count := 0
		x.ForEach(func(k, _ lua.LValue) { count++ })
		if count != n {
			L.ArgError(arg, "non-array table found")
		}
		if depth > 100 {
			L.ArgError(arg, "table nested too deep")
		}
		for i := 1; i <= n; i++ {
			e := x.RawGetInt(i)
			switch e.(type) {
			case lua.LString, lua.LNumber, lua.LBool, *lua.LNilType, *lua.LTable:
			case *lua.LUserData:
				if e != Null {
					L.ArgError(arg, "bad argument type")
				}
			default:
				L.ArgError(arg, "bad data type "+e.Type().String()+" found")
			}
			b = appendOutput(L, b, e, arg, fname, depth+1)
		}
		return b
	}
	L.ArgError(arg, "string, number, boolean, nil, ngx.null, or array table expected, got "+v.Type().String())
	return b
}

func output(w *luavm.Worker, L *lua.LState, g gate, fname string, newline bool) int {
	g.check(w, L)
	c := httpCtx(w, L)
	// The arguments are rendered straight into the buffered body, and
	// taken back unless they are to go out (a bad argument raises an
	// error half-way).
	if c.out == nil {
		c.out = c.outBuf[:0]
	}
	n0, keep := len(c.out), false
	defer func() {
		if !keep {
			c.out = c.out[:n0]
		}
	}()
	for i := 1; i <= L.GetTop(); i++ {
		c.out = appendOutput(L, c.out, L.Get(i), i, fname, 0)
	}
	if newline {
		c.out = append(c.out, '\n')
	}
	if c.reqSock.raw != nil {
		return luaFail(L, "raw request socket acquired")
	}
	if c.EOF {
		return luaFail(L, "seen eof")
	}
	c.sendHeaders(true)
	if c.Req != nil && c.Req.Method == http.MethodHead {
		L.Push(lua.LNumber(1))
		return 1
	}
	keep = true
	if len(c.out) >= outputLimit {
		return writeOut(w, L, c, false, false)
	}
	L.Push(lua.LNumber(1))
	return 1
}

// writeOut writes the buffered body (and flushes it when flush is set),
// off the worker goroutine when the light thread may yield; body filters
// run first, here on the worker (eof: the last piece, ngx.eof); results:
// 1, or nil and an error string.
func writeOut(w *luavm.Worker, L *lua.LState, c *HTTPCtx, flush, eof bool) int {
	done := func(err error) []lua.LValue {
		if err != nil {
			return []lua.LValue{lua.LNil, lua.LString("nginx output filter error")}
		}
		return []lua.LValue{lua.LNumber(1)}
	}
	c.filterOut(true, eof)
	if canYield(L) {
		return w.Suspend(L, func() []lua.LValue { return done(c.writeRaw(flush)) })
	}
	vals := done(c.writeRaw(flush))
	for _, v := range vals {
		L.Push(v)
	}
	return len(vals)
}

// canYield reports whether the running Lua code can be suspended: no Go
// function (pcall, a metamethod, ...) between it and the thread's base.
func canYield(L *lua.LState) bool {
	for lvl := 1; ; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			return true
		}
		L.GetInfo("S", dbg, lua.LNil)
		if dbg.What == "G" {
			return false
		}
	}
}

var redirectCodes = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

func init() {
	ContentExit = func(w *luavm.Worker, L *lua.LState, code int) int {
		if c, ok := w.Current().Ctx.(*HTTPCtx); ok && c != nil {
			c.ExitCode, c.Exited = code, true
		}
		return w.Exit(L, code)
	}
	register("http", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		installHTTP(w, ngx)
	})
	registerField("status", func(w *luavm.Worker, L *lua.LState) lua.LValue {
		gateStatus.check(w, L)
		return lua.LNumber(httpCtx(w, L).Status)
	}, func(w *luavm.Worker, L *lua.LState, v lua.LValue) {
		gateStatus.check(w, L)
		c := httpCtx(w, L)
		if c.HeadersSent {
			logConn(w, errlog.Error, "attempt to set ngx.status after sending out response headers")
			return
		}
		switch v := v.(type) {
		case lua.LNumber:
			c.Status = int(v)
		case lua.LString:
			n, err := strconv.Atoi(string(v))
			if err != nil {
				L.RaiseError("bad status")
			}
			c.Status = n
		default:
			L.RaiseError("attempt to set ngx.status to %s", v.Type().String())
		}
	})
	registerField("headers_sent", func(w *luavm.Worker, L *lua.LState) lua.LValue {
		gateHeadersSent.check(w, L)
		return lua.LBool(httpCtx(w, L).HeadersSent)
	}, nil)
}

func installHTTP(w *luavm.Worker, ngx *lua.LTable) {
	L := w.L
	fn := func(t *lua.LTable, name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }
	// api returns the registrar of table t's request functions: each is
	// gated (apiFuncs) and runs with the request's HTTPCtx.
	api := func(t *lua.LTable, prefix string) func(string, func(*lua.LState, *HTTPCtx) int) {
		gated := apiFuncs(w, t, prefix)
		return func(name string, f func(*lua.LState, *HTTPCtx) int) {
			gated(name, func(L *lua.LState) int { return f(L, httpCtx(w, L)) })
		}
	}
	ngxAPI := api(ngx, "ngx.")

	sayGate, printGate := gateOf("ngx.say"), gateOf("ngx.print")
	fn(ngx, "say", func(L *lua.LState) int { return output(w, L, sayGate, "say", true) })
	fn(ngx, "print", func(L *lua.LState) int { return output(w, L, printGate, "print", false) })
	ngxAPI("flush", func(L *lua.LState, c *HTTPCtx) int {
		// ngx.flush(wait?): every flush here waits until the data is
		// written; the argument is checked as OpenResty does (only in the
		// main request)
		if n := L.GetTop(); n > 1 {
			L.RaiseError("attempt to pass %d arguments, but accepted 0 or 1", n)
		} else if n == 1 && !c.Subrequest {
			L.CheckBool(1)
		}
		if c.reqSock.raw != nil {
			return luaFail(L, "raw request socket acquired")
		}
		if c.EOF {
			return luaFail(L, "seen eof")
		}
		c.sendHeaders(true)
		return writeOut(w, L, c, true, false)
	})
	ngxAPI("eof", func(L *lua.LState, c *HTTPCtx) int {
		if c.reqSock.raw != nil {
			return luaFail(L, "raw request socket acquired")
		}
		if c.EOF {
			return luaFail(L, "seen eof")
		}
		c.sendHeaders(true)
		c.EOF = true
		return writeOut(w, L, c, true, true)
	})
	ngxAPI("send_headers", func(L *lua.LState, c *HTTPCtx) int {
		c.sendHeaders(true)
		L.Push(lua.LNumber(1))
		return 1
	})
	ngxAPI("redirect", func(L *lua.LState, c *HTTPCtx) int {
		uri := L.CheckString(1)
		code := L.OptInt(2, 302)
		if !redirectCodes[code] {
			L.RaiseError("only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed")
		}
		if c.HeadersSent {
			L.RaiseError("attempt to call ngx.redirect after sending out the headers")
		}
		c.W.Header().Set("Location", uri)
		c.ExitCode, c.Exited = code, true
		return w.Exit(L, code)
	})

	ngxAPI("exec", func(L *lua.LState, c *HTTPCtx) int {
		uri := L.CheckString(1)
		var args string
		switch a := L.Get(2).(type) {
		case *lua.LNilType:
		case lua.LString:
			args = string(a)
		case *lua.LTable:
			args = EncodeArgs(L, a)
		default:
			L.ArgError(2, "string, table, or nil expected")
		}
		if uri == "" {
			L.ArgError(1, "uri is empty")
		}
		if c.HeadersSent {
			L.RaiseError("attempt to call ngx.exec after sending out response headers")
		}
		c.ExecURI, c.ExecArgs = uri, args
		c.ExitCode, c.Exited = -4, true // ngx.DONE
		return w.Exit(L, -4)
	})

	respAPI := api(subTable(L, ngx, "resp"), "ngx.resp.")
	respAPI("get_headers", func(L *lua.LState, c *HTTPCtx) int {
		max := L.OptInt(1, 100)
		raw := L.OptBool(2, false)
		t := L.NewTable()
		count := 0
		for k, vs := range c.W.Header() {
			if len(vs) == 0 {
				continue
			}
			if max > 0 && count >= max {
				return retTruncated(L, t, true)
			}
			count++
			if !raw {
				k = strings.ToLower(k)
			}
			t.RawSetString(k, headerValue(L, vs))
		}
		return retTruncated(L, t, false)
	})

	// ngx.header
	header := L.NewTable()
	hmt := L.NewTable()
	fn(hmt, "__index", func(L *lua.LState) int {
		gateHeader.check(w, L)
		c := httpCtx(w, L)
		L.Push(headerValue(L, c.W.Header().Values(headerName(L.CheckString(2)))))
		return 1
	})
	fn(hmt, "__newindex", func(L *lua.LState) int {
		gateHeader.check(w, L)
		c := httpCtx(w, L)
		raw := L.CheckString(2)
		name := headerName(raw)
		if c.HeadersSent {
			logConn(w, errlog.Error, "attempt to set ngx.header.HEADER after sending out response headers")
			return 0
		}
		h := c.W.Header()
		switch v := L.Get(3).(type) {
		case *lua.LNilType:
			if name == "Content-Type" {
				h["Content-Type"] = nil
			} else {
				h.Del(name)
			}
		case *lua.LTable:
			h.Del(name)
			for i := 1; i <= v.MaxN(); i++ {
				h.Add(name, lua.LVAsString(v.RawGetInt(i)))
			}
		default:
			h.Set(name, headerString(v))
		}
		return 0
	})
	L.SetMetatable(header, hmt)
	ngx.RawSetString("header", header)

	// ngx.var
	vars := L.NewTable()
	vmt := L.NewTable()
	fn(vmt, "__index", func(L *lua.LState) int {
		gateVar.check(w, L)
		c := httpCtx(w, L)
		var name string
		switch k := L.Get(2).(type) {
		case lua.LNumber: // $1 .. $9: regex captures
			name = strconv.Itoa(int(k))
		case lua.LString:
			name = strings.ToLower(string(k))
		default:
			L.RaiseError("bad variable name")
		}
		if c.Vars == nil {
			L.Push(lua.LNil)
			return 1
		}
		if v, ok := c.Vars.Var(name); ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	})
	fn(vmt, "__newindex", func(L *lua.LState) int {
		gateVar.check(w, L)
		c := httpCtx(w, L)
		name := strings.ToLower(L.CheckString(2))
		var val string
		switch v := L.Get(3).(type) {
		case *lua.LNilType:
			val = ""
		case lua.LString:
			val = string(v)
		case lua.LNumber:
			val = luavm.FormatNumber(float64(v))
		default:
			L.RaiseError("bad variable value")
		}
		if c.Vars == nil {
			L.RaiseError("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
		}
		if err := c.Vars.SetVar(name, val); err != nil {
			L.RaiseError("%s", err.Error())
		}
		return 0
	})
	L.SetMetatable(vars, vmt)
	ngx.RawSetString("var", vars)

	// ngx.req
	reqAPI := api(subTable(L, ngx, "req"), "ngx.req.")
	reqAPI("get_method", func(L *lua.LState, c *HTTPCtx) int {
		L.Push(lua.LString(c.Req.Method))
		return 1
	})
	reqAPI("http_version", func(L *lua.LState, c *HTTPCtx) int {
		r := c.Req
		v := float64(r.ProtoMajor)
		if r.ProtoMajor == 1 {
			v += float64(r.ProtoMinor) / 10
		}
		L.Push(lua.LNumber(v))
		return 1
	})
	reqAPI("start_time", func(L *lua.LState, c *HTTPCtx) int {
		L.Push(lua.LNumber(float64(c.Start.UnixMilli()) / 1000))
		return 1
	})
	reqAPI("is_internal", func(L *lua.LState, c *HTTPCtx) int {
		L.Push(lua.LBool(c.Internal || c.Subrequest))
		return 1
	})
	reqAPI("get_uri_args", func(L *lua.LState, c *HTTPCtx) int {
		max := L.OptInt(1, 100)
		t := L.NewTable()
		return retTruncated(L, t, DecodeArgs(L, t, c.Req.URL.RawQuery, max))
	})
	reqAPI("get_post_args", func(L *lua.LState, c *HTTPCtx) int {
		max := L.OptInt(1, 100)
		if !c.BodyRead {
			L.RaiseError("no request body found; maybe you should turn on lua_need_request_body?")
		}
		if c.BodyFile != "" {
			return luaFail(L, "request body in temp file not supported")
		}
		t := L.NewTable()
		return retTruncated(L, t, DecodeArgs(L, t, string(c.Body), max))
	})
	reqAPI("get_headers", func(L *lua.LState, c *HTTPCtx) int {
		max := L.OptInt(1, 100)
		raw := L.OptBool(2, false)
		t := L.NewTable()
		count := 0
		truncated := false
		add := func(k, v string) {
			if max > 0 && count >= max {
				truncated = true
				return
			}
			count++
			if !raw {
				k = strings.ToLower(k)
			}
			switch old := t.RawGetString(k).(type) {
			case *lua.LNilType:
				t.RawSetString(k, lua.LString(v))
			case *lua.LTable:
				old.Append(lua.LString(v))
			default:
				lst := L.NewTable()
				lst.Append(old)
				lst.Append(lua.LString(v))
				t.RawSetString(k, lst)
			}
		}
		if c.Req.Host != "" {
			add("Host", c.Req.Host)
		}
		for k, vs := range c.Req.Header {
			for _, v := range vs {
				add(k, v)
			}
		}
		if !raw {
			mt := L.NewTable()
			mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
				tb := L.CheckTable(1)
				k, ok := L.Get(2).(lua.LString)
				if !ok {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(tb.RawGetString(strings.ReplaceAll(strings.ToLower(string(k)), "_", "-")))
				return 1
			}))
			L.SetMetatable(t, mt)
		}
		return retTruncated(L, t, truncated)
	})
	reqAPI("raw_header", func(L *lua.LState, c *HTTPCtx) int {
		noReqLine := L.OptBool(1, false)
		var b strings.Builder
		r := c.Req
		if !noReqLine {
			b.WriteString(r.Method + " " + r.RequestURI + " " + r.Proto + "\r\n")
		}
		if r.Host != "" {
			b.WriteString("Host: " + r.Host + "\r\n")
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				b.WriteString(k + ": " + v + "\r\n")
			}
		}
		b.WriteString("\r\n")
		L.Push(lua.LString(b.String()))
		return 1
	})
	reqAPI("read_body", func(L *lua.LState, c *HTTPCtx) int {
		if c.BodyRead {
			return 0
		}
		r := c.Req
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			c.BodyRead = true
			return 0
		}
		if c.MaxBodySize > 0 && r.ContentLength > c.MaxBodySize {
			c.BodyTooLarge = true
			c.ExitCode, c.Exited = http.StatusRequestEntityTooLarge, true
			logConn(w, errlog.Error, "client intended to send too large body: "+strconv.FormatInt(r.ContentLength, 10)+" bytes")
			return w.Exit(L, http.StatusRequestEntityTooLarge)
		}
		read := func() []lua.LValue {
			if msg := c.ReadBody(); msg != "" {
				return []lua.LValue{lua.LString(msg)}
			}
			return nil
		}
		if canYield(L) {
			return w.Suspend(L, read)
		}
		vals := read()
		for _, v := range vals {
			L.Push(v)
		}
		return len(vals)
	})
	reqAPI("discard_body", func(L *lua.LState, c *HTTPCtx) int {
		c.BodyRead = true
		return 0
	})
	reqAPI("get_body_data", func(L *lua.LState, c *HTTPCtx) int {
		if !c.BodyRead || len(c.Body) == 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LString(c.Body))
		return 1
	})
	reqAPI("get_body_file", func(L *lua.LState, c *HTTPCtx) int {
		if c.BodyFile == "" {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(c.BodyFile))
		}
		return 1
	})
	reqAPI("socket", func(L *lua.LState, c *HTTPCtx) int { return reqSocket(w, L, c) })
	installReqModify(w, reqAPI)
	reqAPI("set_header", func(L *lua.LState, c *HTTPCtx) int {
		name := L.CheckString(1)
		switch v := L.Get(2).(type) {
		case *lua.LNilType:
			c.Req.Header.Del(name)
		case *lua.LTable:
			c.Req.Header.Del(name)
			for i := 1; i <= v.MaxN(); i++ {
				c.Req.Header.Add(name, lua.LVAsString(v.RawGetInt(i)))
			}
		default:
			c.Req.Header.Set(name, lua.LVAsString(v))
		}
		return 0
	})
	reqAPI("clear_header", func(L *lua.LState, c *HTTPCtx) int {
		c.Req.Header.Del(L.CheckString(1))
		return 0
	})
}

// subTable returns t[name], a table, making it first if need be.
func subTable(L *lua.LState, t *lua.LTable, name string) *lua.LTable {
	sub, ok := t.RawGetString(name).(*lua.LTable)
	if !ok {
		sub = L.NewTable()
		t.RawSetString(name, sub)
	}
	return sub
}

// headerValue is a header's values as Lua sees them: nil, a string, or a
// list of the strings when the header is repeated.
func headerValue(L *lua.LState, vals []string) lua.LValue {
	switch len(vals) {
	case 0:
		return lua.LNil
	case 1:
		return lua.LString(vals[0])
	}
	t := L.CreateTable(len(vals), 0)
	for _, v := range vals {
		t.Append(lua.LString(v))
	}
	return t
}

// retTruncated returns the table t, and "truncated" as a second value when
// the max argument cut it short.
func retTruncated(L *lua.LState, t *lua.LTable, truncated bool) int {
	L.Push(t)
	if truncated {
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// headerName turns ngx.header keys into header names: "_" becomes "-"
// and the name is canonicalised (content_type -> Content-Type).
func headerName(k string) string {
	return http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-"))
}

// ReadBody reads the request body into Body, at most client_max_body_size
// (BodyTooLarge past it), for ngx.req.read_body and lua_need_request_body;
// the error text ("too large", a read error) or "".
func (c *HTTPCtx) ReadBody() string {
	r := c.Req
	c.BodyRead = true
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return ""
	}
	max := c.MaxBodySize
	var rd io.Reader = r.Body
	if max > 0 {
		rd = io.LimitReader(r.Body, max+1)
	}
	b, err := io.ReadAll(rd)
	if max > 0 && int64(len(b)) > max {
		c.BodyTooLarge = true
		return "too large"
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.BodyTooLarge = true
			return "too large"
		}
		c.Body = b
		return err.Error()
	}
	if err := c.storeBody(b); err != nil {
		return err.Error()
	}
	return ""
}
