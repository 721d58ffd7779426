package ngxapi

// LuaJIT's and OpenResty's LuaJIT table extensions, each its own module
// (require "table.new", ...) that also sets the function into the table
// library, as LuaJIT does:
//
//	table.new(narr, nhash)  a table with preallocated space
//	table.clear(t)          removes every key, keeping t
//	table.nkeys(t)          the number of non-nil elements, array and hash
//	table.clone(t)          a shallow copy without the metatable
//	table.isarray(t)        true when every key is a positive integer ({} too)
//	table.isempty(t)        true when t has no non-nil element

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

var tableExtensions = map[string]lua.LGFunction{
	"new": func(L *lua.LState) int {
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
	},
	"clear": func(L *lua.LState) int {
		t := L.CheckTable(1)
		var keys []lua.LValue
		t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		for _, k := range keys {
			t.RawSet(k, lua.LNil)
		}
		return 0
	},
	"nkeys": func(L *lua.LState) int {
		n := 0
		L.CheckTable(1).ForEach(func(_, _ lua.LValue) { n++ })
		L.Push(lua.LNumber(n))
		return 1
	},
	"clone": func(L *lua.LState) int {
		t := L.CheckTable(1)
		c := L.CreateTable(t.MaxN(), 0)
		t.ForEach(func(k, v lua.LValue) { c.RawSet(k, v) })
		L.Push(c)
		return 1
	},
	"isarray": func(L *lua.LState) int {
		ok := true
		L.CheckTable(1).ForEach(func(k, _ lua.LValue) {
			if n, isNum := k.(lua.LNumber); !isNum || n < 1 || n != lua.LNumber(int64(n)) {
				ok = false
			}
		})
		L.Push(lua.LBool(ok))
		return 1
	},
	"isempty": func(L *lua.LState) int {
		k, _ := L.CheckTable(1).Next(lua.LNil)
		L.Push(lua.LBool(k == lua.LNil))
		return 1
	},
}

func init() {
	register("table.ext", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		L := w.L
		for name, f := range tableExtensions {
			fn := L.NewFunction(f)
			name := name
			L.PreloadModule("table."+name, func(L *lua.LState) int {
				L.SetField(L.GetGlobal("table"), name, fn)
				L.Push(fn)
				return 1
			})
		}
	})
}
