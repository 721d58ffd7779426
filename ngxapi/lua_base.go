package ngxapi

// tostring as LuaJIT answers it where gopher-lua's differs: numbers in
// "%.14g" (1e+15, inf, -inf, nan; gopher-lua prints 1000000000000000,
// +Inf, NaN) and ngx.null as "userdata: NULL" (a light userdata NULL in
// OpenResty). The .. operator writes numbers the same way (luavm's
// concatOp).
//
// type answers "cdata" for the values that are FFI cdata in OpenResty:
// sslhandshake's session and ngx.ssl's parsed certificate chains and
// keys (userdata here), so that code checking type(x) == "cdata" works.

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("tostring", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		L := w.L
		L.SetGlobal("type", L.NewFunction(func(L *lua.LState) int {
			v := L.CheckAny(1)
			if ud, ok := v.(*lua.LUserData); ok {
				switch ud.Value.(type) {
				case *clientSession, certChain, privKey:
					L.Push(lua.LString("cdata"))
					return 1
				}
			}
			L.Push(lua.LString(v.Type().String()))
			return 1
		}))
		L.SetGlobal("tostring", L.NewFunction(func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case lua.LNumber:
				L.Push(lua.LString(luavm.FormatNumber(float64(v))))
				return 1
			case *lua.LUserData:
				if v == Null {
					L.Push(lua.LString("userdata: NULL"))
					return 1
				}
			}
			L.Push(L.ToStringMeta(L.CheckAny(1))) // gopher-lua's own tostring
			return 1
		}))
	})
}
