package httpserver

import (
	"net/http"
	"strconv"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
)

// The Lua phases of a request, in nginx's order: set_by_lua* (with set
// and return, in the rewrite phase), rewrite_by_lua* (after them, or
// before with rewrite_by_lua_no_postpone), access_by_lua*, content,
// header_filter_by_lua* and body_filter_by_lua* on the response as it goes
// out, log_by_lua* (before the access log). All of a request's Lua runs on
// one worker and shares one ngx.ctx (a new one after ngx.exec, as nginx).

// luaCtx is the request's Lua context for its current location, made on
// first use.
func (rq *request) luaCtx() *ngxapi.HTTPCtx {
	if rq.hc != nil {
		return rq.hc
	}
	st := rq.settings()
	c := rq.hcSlot
	if c == nil {
		c = new(ngxapi.HTTPCtx)
	}
	rq.hcSlot = nil
	*c = ngxapi.HTTPCtx{
		Req: rq.r, W: rq.w, TLS: rq.r.TLS, Vars: rq,
		DefaultType: st.DefaultType, MaxBodySize: st.ClientMaxBodySize, Start: rq.start,
		LuaSocket: rq.luaSocket(),
		Internal:  rq.internal, Subrequest: rq.subreq,
		CheckClientAbort: st.LuaCheckClientAbort,
		BodyBuf: ngxapi.BodyBuffering{BufferSize: st.ClientBodyBufferSize, InFileOnly: st.ClientBodyInFileOnly,
			TempPath: st.ClientBodyTempPath, TempLevels: st.ClientBodyTempLevels},
	}
	if rq.wk == nil {
		rq.wk = rq.g.pool.Next()
	}
	c.Worker = rq.wk
	c.Conn = rq.errConn() // shared: no one changes a Conn once made
	c.Log = rq.levelLog()
	c.Server = rq
	rq.hc = c
	return c
}

// enterLocation starts a new Lua context for a location (the first, or
// one reached by ngx.exec) and installs its header and body filters on the
// response.
func (rq *request) enterLocation(lp *confparse.LuaPhases) {
	if rq.hc != nil {
		rq.hc.RemoveBodyFile() // the context it belongs to ends here (ngx.exec)
	}
	rq.hc = nil
	rq.w.lua = nil
	if lp.HeaderFilterByLua == nil && lp.BodyFilterByLua == nil {
		return
	}
	c := rq.luaCtx()
	c.HeaderFilter, _ = rq.chunk(lp.HeaderFilterByLua)
	c.BodyFilter, _ = rq.chunk(lp.BodyFilterByLua)
	c.SpecialResponse = rq.specialResponse
	rq.w.lua = c
}

// specialResponse prepares nginx's page for code (ngx.exit in a header
// filter) and returns its body.
func (rq *request) specialResponse(code int) []byte {
	h := rq.w.Header()
	for k := range h {
		delete(h, k)
	}
	body := errorPageBody(code, rq.settings().ServerTokens)
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if rq.r.Method == http.MethodHead {
		return nil
	}
	return []byte(body)
}

// phaseEnd is what a Lua phase of the request leaves to do.
type phaseEnd int

const (
	phaseNext phaseEnd = iota // go on with the next phase
	phaseDone                 // the response is complete
	phaseExec                 // ngx.exec: internal redirect to hc.ExecURI
)

// runPhase runs rewrite_by_lua*, access_by_lua* or content_by_lua* and
// finalises the response as ngx_lua does: an error is a 500 (when no
// header went out), ngx.exit(status) answers, ngx.exit(ngx.OK) or the end
// of the code goes on to the next phase unless output was sent (content
// always ends the request).
func (rq *request) runPhase(ph luavm.Phase, chunk *luavm.Chunk) phaseEnd {
	c := rq.luaCtx()
	c.Exited, c.ExitCode = false, 0
	var res luavm.Result
	if c.CheckClientAbort {
		res = rq.runWatched(c, ph, chunk)
	} else {
		res = c.Run(ph, chunk)
	}
	c.FlushOutput(false)
	if res.Err == luavm.ErrDeadline {
		// parked (a sleep, a cosocket) when lua_content_timeout came;
		// running code stopped there is a Lua error luavm has logged
		where := res.Where
		if where == "" {
			where = chunk.Name + ": "
		}
		rq.logErr(errlog.Error, where+"lua_content_timeout exceeded while waiting, request aborted")
	}
	switch {
	case res.Err != nil:
		if !c.HeadersSent {
			rq.errorPage(http.StatusInternalServerError)
			return phaseDone
		}
		panic(http.ErrAbortHandler)
	case c.BodyTooLarge && !c.HeadersSent:
		rq.errorPage(http.StatusRequestEntityTooLarge)
		return phaseDone
	case c.ExecURI != "" && !c.HeadersSent:
		return phaseExec
	case c.Exited && !c.HeadersSent:
		code := c.ExitCode
		switch {
		case code == 444 || code == 499 || code == -1: // ngx.HTTP_CLOSE, client gone, ngx.ERROR
			rq.w.status = 444
			if code == 499 {
				rq.w.status = 499
			}
			panic(http.ErrAbortHandler)
		case code >= 300 || code == 201 || code == 204:
			rq.errorPage(code)
			return phaseDone
		case code >= 200:
			c.Status = code
		case ph != luavm.PhaseContent:
			return phaseNext // ngx.exit(ngx.OK) and the like
		}
	case !c.HeadersSent && ph != luavm.PhaseContent:
		return phaseNext
	}
	if !c.HeadersSent {
		if !c.Exited || c.ExitCode == 0 {
			rq.w.Header().Set("Content-Length", "0")
		}
		c.SendHeaders()
	}
	return phaseDone
}

// runWatched runs a phase while watching the client
// (lua_check_client_abort on): net/http cancels the request's context once
// it reads EOF on the connection. Done is taken before the phase runs (a
// context whose Done was taken is never used for another request, see
// leanExchange.recycle), and a phase over wins over a client gone.
func (rq *request) runWatched(c *ngxapi.HTTPCtx, ph luavm.Phase, chunk *luavm.Chunk) luavm.Result {
	stop, done := make(chan struct{}), rq.r.Context().Done()
	go func() {
		select {
		case <-done:
			select {
			case <-stop:
			default:
				c.ClientAborted()
			}
		case <-stop:
		}
	}()
	defer close(stop)
	return c.Run(ph, chunk)
}

// setByLua runs a set_by_lua* step; false when it failed (500 sent).
func (rq *request) setByLua(s *confparse.SetLua) bool {
	c := rq.luaCtx()
	c.SetArgs = c.SetArgs[:0]
	for _, a := range s.Args {
		c.SetArgs = append(c.SetArgs, rq.expand(a))
	}
	chunk, status := rq.chunk(s.Code)
	if status != 0 {
		rq.errorPage(http.StatusInternalServerError)
		return false
	}
	res := c.Run(luavm.PhaseSet, chunk)
	if res.Err != nil {
		rq.errorPage(http.StatusInternalServerError)
		return false
	}
	if rq.vars == nil {
		rq.vars = map[string]string{}
	}
	rq.vars[s.Name] = res.Value
	return true
}

// endResponse sends the body filter its last piece; a failed filter cuts
// the response short, as nginx closes the connection then.
func (rq *request) endResponse() {
	c := rq.w.lua
	if c == nil {
		return
	}
	c.FinishBody()
	if c.FilterFailed {
		panic(http.ErrAbortHandler)
	}
}

// runLogPhase runs log_by_lua* once the response is done, before the
// access log line is written.
func (rq *request) runLogPhase() {
	if rq.loc == nil && rq.srv != nil {
		// answered before a location was picked (a bad request): the
		// server's own configuration logs it, as nginx's
		rq.unmatched = location{conf: rq.srv.conf.Unmatched}
		rq.loc = &rq.unmatched
	}
	if rq.loc == nil || rq.loc.conf.LogByLua == nil {
		return
	}
	chunk, _ := rq.chunk(rq.loc.conf.LogByLua)
	if chunk == nil {
		return
	}
	c := rq.luaCtx()
	c.Status = rq.w.status
	c.HeadersSent = true
	c.Run(luavm.PhaseLog, chunk)
}

// rewriteSteps notes the variables set and return steps define and
// compiles their set_by_lua* code.
func (g *generation) rewriteSteps(steps []confparse.RewriteStep, compile func(*confparse.LuaCode) (*luavm.Chunk, error)) error {
	for _, st := range steps {
		switch {
		case st.Set != nil:
			g.setVars[st.Set.Name] = true
		case st.SetLua != nil:
			g.setVars[st.SetLua.Name] = true
			if _, err := compile(st.SetLua.Code); err != nil {
				return err
			}
		case st.If != nil:
			if err := g.rewriteSteps(st.If.Steps, compile); err != nil {
				return err
			}
		}
	}
	return nil
}
