// ngx.on_abort and lua_check_client_abort.

package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// With lua_check_client_abort on, httpserver watches the client while a
// rewrite, access or content phase runs and calls ClientAborted when it
// has gone: the handler given to ngx.on_abort then runs as a user thread
// of that phase (the request goes on unless it calls ngx.exit), or, with
// no handler, the phase ends at once with 499, as OpenResty does.

type abortState struct {
	handler *lua.LFunction
	seen    bool // the client's going was acted on
}

func init() {
	register("ngx.on_abort", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		apiFuncs(w, ngx, "ngx.")("on_abort", func(L *lua.LState) int {
			c := httpCtx(w, L)
			switch {
			case c.abort.handler != nil:
				return luaFail(L, "duplicate call")
			case !c.CheckClientAbort:
				return luaFail(L, "lua_check_client_abort is off")
			}
			c.abort.handler = L.CheckFunction(1)
			L.Push(lua.LNumber(1))
			return 1
		})
	})
}

// ClientAborted tells the request's Lua that the client has closed the
// connection (any goroutine). Nothing happens when none of the request's
// yieldable phases is running by the time the worker gets to it.
func (c *HTTPCtx) ClientAborted() {
	w := c.Worker
	w.Post(func() {
		t := c.Shared.Entry()
		if t == nil || c.abort.seen {
			return // no phase runs: the handler goroutine owns c again
		}
		c.abort.seen = true
		log := c.Log
		if log == nil {
			log = w.Log
		}
		log.LogConn(errlog.Info, c.Conn, "client prematurely closed connection")
		if c.abort.handler != nil {
			w.SpawnFor(t, c.abort.handler)
			return
		}
		c.ExitCode, c.Exited = 499, true
		w.ExitRequest(t, 499)
	})
}
