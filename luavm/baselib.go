package luavm

import lua "github.com/yuin/gopher-lua"

// error(message [, level]) as Lua 5.1 and LuaJIT. gopher-lua counts the
// level one frame too far (level 2 names the function that called error,
// not its caller) and leaves numbers without a position. Here level 1
// (the default) prefixes the position of the function that called error,
// level 2 that of its caller, and so on; a level that lands on a Go
// function (pcall, a builtin) or past the stack adds nothing, as LuaJIT
// does for C frames. Libraries depend on it: lua-resty-redis raises its
// argument errors with level 2 to blame the line that called it.
func baseError(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	if level > 0 {
		var msg string
		switch x := v.(type) {
		case lua.LString:
			msg = string(x)
		case lua.LNumber:
			msg = FormatNumber(float64(x))
		default:
			L.Error(v, 0)
		}
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What != "G" {
				msg = L.Where(level) + " " + msg
			}
		}
		v = lua.LString(msg)
	}
	L.Error(v, 0)
	return 0
}

// debugGetInfo wraps gopher-lua's debug.getinfo (get) to fill "source",
// "short_src" and "what" as LuaJIT: source is the chunk name
// ("@/path/file.lua", "=content_by_lua(nginx.conf:41)", "=[C]"), short_src
// the name messages print; a builtin is "C", not "G". Code that finds its
// own file with debug.getinfo(1, "S").source:sub(2) relies on it. get runs
// in this function's frame, so stack levels count the same.
func (w *Worker) debugGetInfo(get lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		n := get(L)
		t, ok := L.Get(-1).(*lua.LTable)
		if n != 1 || !ok {
			return n
		}
		if cur := w.cur; cur != nil && cur.fn != nil && t.RawGetString("func") == cur.fn {
			cur.Keep() // its chunk's function is out: not recycled with the thread
		}
		what, _ := t.RawGetString("what").(lua.LString)
		switch {
		case what == "G":
			t.RawSetString("what", lua.LString("C"))
			t.RawSetString("short_src", lua.LString("[C]"))
			t.RawSetString("source", lua.LString("=[C]"))
		case what == "Lua" && t.RawGetString("linedefined") == lua.LNumber(0):
			t.RawSetString("what", lua.LString("main")) // a chunk, as LuaJIT
		}
		if src, _ := t.RawGetString("source").(lua.LString); what != "G" && src != "" {
			t.RawSetString("short_src", src)
			t.RawSetString("source", lua.LString(chunkSource(string(src))))
		}
		return n
	}
}
