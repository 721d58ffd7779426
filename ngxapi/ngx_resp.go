package ngxapi

// ngx.resp (lua-resty-core's module, FFI there): add_header(name, value)
// adds a response header line, keeping the ones already set (ngx.header
// replaces them).

import (
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("ngx.resp", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		w.L.PreloadModule("ngx.resp", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("version", lua.LString(restyCoreVersion))
			m.RawSetString("add_header", L.NewFunction(func(L *lua.LState) int {
				gateHeader.check(w, L)
				c := httpCtx(w, L)
				name := headerName(L.CheckString(1))
				var vals []string
				switch v := L.Get(2).(type) {
				case *lua.LNilType:
					L.RaiseError("invalid header value")
				case *lua.LTable:
					for i := 1; i <= v.MaxN(); i++ {
						vals = append(vals, headerString(v.RawGetInt(i)))
					}
				default:
					vals = append(vals, headerString(v))
				}
				if c.HeadersSent {
					logConn(w, errlog.Error, "attempt to set ngx.header.HEADER after sending out response headers")
					return 0
				}
				for _, v := range vals {
					c.W.Header().Add(name, v)
				}
				return 0
			}))
			L.Push(m)
			return 1
		})
	})
}

// headerString renders a header value as ngx.header does.
func headerString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LNumber:
		return luavm.FormatNumber(float64(x))
	case lua.LBool:
		if x {
			return "true"
		}
		return "false"
	}
	return lua.LVAsString(v)
}
