// ndk.set_var: NDK's bridge to the set_* directives of other modules.

package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// OpenResty exposes a set_* directive written with NDK's set_var API (the
// set-misc module's set_unescape_uri, set_quote_sql_str, ...) as
// ndk.set_var.NAME(value). Debian's nginx + lua loads NDK with no such
// module, and goresty has none of those directives either, so every name
// is refused as OpenResty refuses an unknown one.

func init() {
	register("ndk", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		L := w.L
		setVar := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			name := L.CheckString(2)
			L.RaiseError("ndk.set_var: directive \"%s\" not found or does not use ndk_set_var_value", name)
			return 0
		}))
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("not allowed")
			return 0
		}))
		L.SetMetatable(setVar, mt)
		ndk := L.NewTable()
		ndk.RawSetString("set_var", setVar)
		L.SetGlobal("ndk", ndk)
	})
}
