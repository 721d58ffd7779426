package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// installRestyCore provides the modules OpenResty code requires by habit:
// "resty.core" and its parts (no-ops here: the API is native).
func installRestyCore(w *luavm.Worker) {
	L := w.L
	core := func(L *lua.LState) int {
		t := L.NewTable()
		t.RawSetString("version", lua.LString(restyCoreVersion))
		L.Push(t)
		return 1
	}
	for _, m := range []string{"resty.core", "resty.core.base", "resty.core.regex",
		"resty.core.ctx", "resty.core.var", "resty.core.time", "resty.core.worker",
		"resty.core.shdict", "resty.core.hash", "resty.core.uri", "resty.core.exit",
		"resty.core.phase", "resty.core.ndk", "resty.core.misc", "resty.core.request",
		"resty.core.response", "resty.core.base64", "resty.core.utils"} {
		L.PreloadModule(m, core)
	}
}
