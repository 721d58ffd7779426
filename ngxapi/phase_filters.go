package ngxapi

import (
	"errors"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
)

// RequestPhases is what the Lua phases of one HTTP request share besides
// the response (set, rewrite, access, content, header and body filters,
// log): they all run on one worker, with one ngx.ctx.
type RequestPhases struct {
	Worker *luavm.Worker
	Shared luavm.Shared
	Conn   *errlog.Conn   // suffixes of their log lines
	Log    *errlog.Logger // their error log; nil: the worker's

	// HeaderFilter, BodyFilter: header_filter_by_lua*, body_filter_by_lua*
	// of the request's location; nil when none.
	HeaderFilter, BodyFilter *luavm.Chunk
	// SpecialResponse, when set, prepares nginx's page for code (headers in
	// W) and returns its body: ngx.exit(code >= 300) in a header filter.
	SpecialResponse func(code int) []byte
	// FilterFailed: a filter raised an error (logged) or asked for
	// ngx.ERROR; the response is cut short and the connection closed.
	FilterFailed bool

	SetArgs []string // ngx.arg of set_by_lua*

	Balancer *Balancer // balancer_by_lua*'s decisions; nil outside proxying

	captured []SubResponse // ngx.location.capture's responses

	runReq     luavm.Request // what run gives the worker (no allocation per run)
	runReqBusy bool          // runReq is in use
	failed     bool          // a run failed: not Reusable

	headerFiltered bool   // the header filter ran
	bodyEOF        bool   // the body filter saw (or made) the last piece
	discard        bool   // a special response replaced the body
	rawWrite       bool   // the body being written has been filtered
	chunk          []byte // the body filter's ngx.arg[1]
	chunkEOF       bool   // its ngx.arg[2]
}

var errFilterFailed = errors.New("output filter failed")

// Run runs a phase of the request (from the request's goroutine).
func (c *HTTPCtx) Run(ph luavm.Phase, chunk *luavm.Chunk) luavm.Result {
	conn := c.Conn
	if ph == luavm.PhaseLog && conn != nil {
		lc := *conn
		lc.Action = "logging request"
		conn = &lc
	}
	return c.run(ph, chunk, conn, false)
}

// run runs a chunk on the request's worker (nested: from Lua API code
// already on it). The luavm.Request is the one kept in the context unless
// that one is in use: a run from inside another (a filter while a phase
// runs), or one a closed worker may still hold.
func (c *HTTPCtx) run(ph luavm.Phase, chunk *luavm.Chunk, conn *errlog.Conn, nested bool) luavm.Result {
	req, own := &c.runReq, !c.runReqBusy
	if !own {
		req = new(luavm.Request)
	}
	*req = luavm.Request{Phase: ph, Chunk: chunk, Ctx: c, Conn: conn, Log: c.Log, Shared: &c.Shared}
	c.runReqBusy = true
	var res luavm.Result
	if nested {
		res = c.Worker.RunNested(req)
	} else {
		res = c.Worker.Run(req)
	}
	if own && res.Err != luavm.ErrClosed {
		c.runReqBusy = false
	}
	if res.Err != nil {
		c.failed = true
	}
	return res
}

// Reusable reports whether the context may be zeroed for another request
// once this one is over: no Lua run of it failed (an interrupted run, or
// one left to a worker that was replaced, whose goroutine may still touch
// the context when it comes back). Its cosockets need nothing: they are
// closed when the request ends, and an owner is compared with the running
// request's only.
func (c *HTTPCtx) Reusable() bool { return !c.runReqBusy && !c.failed }

// runFilter runs a header or body filter, nested when the caller is Lua API
// code on the worker; false when it failed (FilterFailed is then set).
func (c *HTTPCtx) runFilter(ph luavm.Phase, chunk *luavm.Chunk, nested bool) bool {
	res := c.run(ph, chunk, c.Conn, nested)
	if res.Err != nil || res.Exited && res.Exit == -1 { // ngx.ERROR
		c.FilterFailed = true
		return false
	}
	if ph == luavm.PhaseHeaderFilter && res.Exited && res.Exit >= 200 {
		if res.Exit >= 300 && c.SpecialResponse != nil {
			body := c.SpecialResponse(res.Exit)
			c.Status = res.Exit
			c.W.WriteHeader(res.Exit)
			c.rawWrite = true
			c.W.Write(body)
			c.rawWrite = false
			c.discard = true
			return false
		}
		c.Status = res.Exit
	}
	return true
}

// FilterHeader runs the header filter before headers with status code go
// out from outside Lua (static files, error pages, proxy); it returns the
// status to send, and false when the caller must not send anything (the
// filter failed or answered itself). It runs once per request.
func (c *HTTPCtx) FilterHeader(code int) (int, bool) {
	if c.discard || c.FilterFailed {
		return code, false
	}
	if c.HeaderFilter == nil || c.headerFiltered {
		return code, true
	}
	c.headerFiltered = true
	c.Status = code
	ok := c.runFilter(luavm.PhaseHeaderFilter, c.HeaderFilter, false)
	c.HeadersSent = true
	return c.Status, ok
}

// FilterBody passes a piece of body written from outside Lua through the
// body filter (from the request's goroutine).
func (c *HTTPCtx) FilterBody(b []byte) []byte {
	if c.discard || c.FilterFailed {
		return nil
	}
	if c.rawWrite || c.BodyFilter == nil {
		return b
	}
	return c.filterBody(b, false, false)
}

// FinishBody sends the last piece (eof) through the body filter once the
// response is complete (from the request's goroutine).
func (c *HTTPCtx) FinishBody() {
	if c.BodyFilter == nil || c.bodyEOF || c.discard || c.FilterFailed {
		return
	}
	c.filterOut(false, true)
	c.writeRaw(false)
}

// filterOut passes the buffered body through the body filter.
func (c *HTTPCtx) filterOut(nested, eof bool) {
	if c.BodyFilter == nil || c.bodyEOF || c.discard || len(c.out) == 0 && !eof {
		return
	}
	c.out = append(c.out[:0], c.filterBody(c.out, eof, nested)...)
}

func (c *HTTPCtx) filterBody(b []byte, eof, nested bool) []byte {
	if c.bodyEOF {
		return nil // ngx.arg[2] = true ended the body earlier
	}
	c.chunk, c.chunkEOF = b, eof
	ok := c.runFilter(luavm.PhaseBodyFilter, c.BodyFilter, nested)
	out := c.chunk
	c.chunk = nil
	if !ok {
		return nil
	}
	if c.chunkEOF {
		c.bodyEOF = true
	}
	return out
}
