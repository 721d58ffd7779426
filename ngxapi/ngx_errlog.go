package ngxapi

// ngx.errlog (lua-resty-core's module, FFI there):
//
//	raw_log(level, msg)       msg at level, without ngx.log's "[lua] file:line:"
//	                          prefix, with the request's client/server suffix
//	get_sys_filter_level()    the least severe level the error log accepts
//	set_filter_level, get_logs  need lua_capture_error_log, which goresty does
//	                          not have: nil, OpenResty's error for that case

import (
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

const noCaptureLog = `directive "lua_capture_error_log" is not set`

func init() {
	register("ngx.errlog", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		w.L.PreloadModule("ngx.errlog", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("version", lua.LString(restyCoreVersion))
			m.RawSetString("raw_log", L.NewFunction(func(L *lua.LState) int {
				lv, ok := L.Get(1).(lua.LNumber)
				if !ok {
					L.RaiseError("bad argument #1 to 'raw_log' (must be a number)")
				}
				msg, ok := L.Get(2).(lua.LString)
				if !ok {
					L.RaiseError("bad argument #2 to 'raw_log' (must be a string)")
				}
				if lv < lua.LNumber(errlog.Stderr) || lv > lua.LNumber(errlog.Debug) || lv != lua.LNumber(int(lv)) {
					L.RaiseError("bad log level")
				}
				logConn(w, errlog.Level(lv), string(msg))
				return 0
			}))
			m.RawSetString("get_sys_filter_level", L.NewFunction(func(L *lua.LState) int {
				lg := w.CurrentLog()
				lv := errlog.Stderr
				for l := errlog.Debug; l > errlog.Stderr; l-- {
					if lg.Enabled(l) {
						lv = l
						break
					}
				}
				L.Push(lua.LNumber(lv))
				return 1
			}))
			m.RawSetString("set_filter_level", L.NewFunction(func(L *lua.LState) int {
				if L.Get(1) == lua.LNil {
					return luaFail(L, `missing "level" argument`)
				}
				return luaFail(L, noCaptureLog)
			}))
			m.RawSetString("get_logs", L.NewFunction(func(L *lua.LState) int {
				return luaFail(L, noCaptureLog)
			}))
			L.Push(m)
			return 1
		})
	})
}
