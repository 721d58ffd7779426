package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// installRestyCore provides the modules OpenResty code requires by habit:
// "resty.core" (a no-op here: the API is native), "table.new" and
// "table.clear" (LuaJIT extensions), also reachable as table.new /
// table.clear after the require, as in LuaJIT.
func installRestyCore(w *luavm.Worker) {
	L := w.L
	tnew := L.NewFunction(func(L *lua.LState) int {
		narr := L.OptInt(1, 0)
		nhash := L.OptInt(2, 0)
		if narr < 0 || narr > 1<<20 {
			narr = 0
		}
		if nhash < 0 || nhash > 1<<20 {
			nhash = 0
		}
		L.Push(L.CreateTable(narr, nhash))
		return 1
	})
	tclear := L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		var keys []lua.LValue
		t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		for _, k := range keys {
			t.RawSet(k, lua.LNil)
		}
		return 0
	})
	L.PreloadModule("table.new", func(L *lua.LState) int {
		L.SetField(L.GetGlobal("table"), "new", tnew)
		L.Push(tnew)
		return 1
	})
	L.PreloadModule("table.clear", func(L *lua.LState) int {
		L.SetField(L.GetGlobal("table"), "clear", tclear)
		L.Push(tclear)
		return 1
	})
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
