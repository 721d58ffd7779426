package ngxapi

import (
	"strings"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// ngx.arg is one table of the ngx table, as OpenResty's (pairs(ngx) lists
// it, `local arg = ngx.arg` taken when a module loads works in every later
// request), empty, its metatable reading and writing the running phase's
// values: set_by_lua*'s arguments (ngx.arg[i], nil past the last or for an
// empty one, as resty.core; read-only), body_filter_by_lua*'s piece of body
// (ngx.arg[1]) and whether it is the last (ngx.arg[2]), both writable.
// Elsewhere reading raises resty.core's error ("no request found" in
// init_by_lua*, "API disabled in the current context"), writing
// lua-nginx-module's ("API disabled in the context of ..."; nothing in
// init_by_lua*, which has no request).
func init() {
	register("ngx.arg", func(w *luavm.Worker, ngx *lua.LTable, _ *Env) {
		L := w.L
		t, mt := L.NewTable(), L.NewTable()
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			L.Push(argGet(w, L))
			return 1
		}))
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			argSet(w, L)
			return 0
		}))
		L.SetMetatable(t, mt)
		ngx.RawSetString("arg", t)
	})
}

func argGet(w *luavm.Worker, L *lua.LState) lua.LValue {
	switch currentPhase(w) {
	case luavm.PhaseInit:
		L.RaiseError("no request found")
	case luavm.PhaseSet:
		// resty.core hands the index to a C int parameter through the FFI
		n, ok := L.Get(2).(lua.LNumber)
		if !ok {
			L.RaiseError("bad argument #2 to 'ngx_http_lua_ffi_get_setby_param' (cannot convert '%s' to 'int')", L.Get(2).Type().String())
		}
		args := httpCtx(w, L).SetArgs
		if i := int(n) - 1; i >= 0 && i < len(args) && args[i] != "" {
			return lua.LString(args[i])
		}
		return lua.LNil
	case luavm.PhaseBodyFilter:
		c := httpCtx(w, L)
		switch L.Get(2) {
		case lua.LNumber(1):
			return lua.LString(c.chunk)
		case lua.LNumber(2):
			return lua.LBool(c.chunkEOF)
		}
		return lua.LNil
	}
	L.RaiseError("API disabled in the current context")
	return nil
}

func argSet(w *luavm.Worker, L *lua.LState) {
	if currentPhase(w) == luavm.PhaseInit {
		return
	}
	check(w, L, "ngx.arg=")
	c := httpCtx(w, L)
	switch L.CheckInt(2) {
	case 1:
		switch v := L.Get(3).(type) {
		case *lua.LNilType:
			c.chunk = nil
		case lua.LString:
			c.chunk = []byte(v)
		case lua.LNumber:
			c.chunk = []byte(luavm.FormatNumber(float64(v)))
		case *lua.LTable:
			var b strings.Builder
			for i := 1; i <= v.MaxN(); i++ {
				s, ok := v.RawGetInt(i).(lua.LString)
				if !ok {
					L.RaiseError("bad argument #2 to '?' (bad data type %s found)", v.RawGetInt(i).Type().String())
				}
				b.WriteString(string(s))
			}
			c.chunk = []byte(b.String())
		default:
			L.RaiseError("bad chunk data type: %s", v.Type().String())
		}
	case 2:
		c.chunkEOF = lua.LVAsBool(L.Get(3))
	default:
		L.RaiseError("bad index: %d", L.CheckInt(2))
	}
}
