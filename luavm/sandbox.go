package luavm

import (
	"fmt"
	"os"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// DefaultPackagePath is what ";;" stands for in lua_package_path.
const DefaultPackagePath = "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"

// DefaultPackageCPath is what ";;" stands for in lua_package_cpath.
const DefaultPackageCPath = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/lib/lua/5.1/?.so"

// prelude makes yields from Go API functions (ngx.sleep, cosockets,
// ngx.exit) pass through pcall, xpcall and user coroutines, as they do in
// OpenResty: gopher-lua's own pcall runs its callee on the Go stack, which a
// coroutine yield cannot cross. pcall runs its callee as a coroutine and
// relays every yield outwards; coroutine.resume/wrap relay only the
// worker's marker and hand ordinary yields to their caller.
const prelude = `
local marker, is_gfunc, xresume, fixerr, compile, readfile, yield, fit, co_resume = ...
local type, setfenv, getfenv, concat = type, setfenv, getfenv, table.concat

-- errors raised by a Go function called through the wrappers below would
-- carry the wrapper's position (Lua reports none for C functions), and
-- gopher-lua words "bad argument" differently from LuaJIT.
local function clean(e)
  if type(e) == "string" then return fixerr(e) end
  return e
end

local co_create, co_status = coroutine.create, coroutine.status
-- yield remembers how many values its caller expects and fit(co, ...)
-- adjusts the resume values to that: gopher-lua leaves missing ones as Go
-- nils, which crash the VM.
local co_yield = yield
coroutine.yield = yield
local select, error = select, error

local function pack(...) return {n = select("#", ...), ...} end

local function callable(f)
  if is_gfunc(f) then
    return function(...) local r = pack(f(...)) return unpack(r, 1, r.n) end
  end
  return f
end

-- xresume(nil, f, ...) starts f on a pooled coroutine, xresume(co, nil, ...)
-- resumes it; both return co, status (0 done, 1 yielded, 2 error), values.
local function pfinish(co, st, ...)
  if st == 0 then return true, ... end
  if st == 2 then return false, clean(...) end
  return pfinish(xresume(co, nil, co_yield(...)))
end

function pcall(f, ...)
  local t = type(f)
  if t ~= "function" then
    local mt = getmetatable(f)
    if type(mt) ~= "table" or type(mt.__call) ~= "function" then
      return false, "attempt to call a " .. t .. " value"
    end
    local obj = f
    f = function(...) local r = pack(obj(...)) return unpack(r, 1, r.n) end
  end
  return pfinish(xresume(nil, callable(f), ...))
end

local function xfinish(h, co, st, ...)
  if st == 0 then return true, ... end
  if st == 2 then return false, h(clean(...)) end
  return xfinish(h, xresume(co, nil, co_yield(...)))
end

function xpcall(f, h, ...)
  if type(f) ~= "function" then
    return false, h("attempt to call a " .. type(f) .. " value")
  end
  return xfinish(h, xresume(nil, callable(f), ...))
end

local function rfinish(co, ok, ...)
  if ok and (...) == marker and co_status(co) == "suspended" then
    return rfinish(co, co_resume(co, fit(co, co_yield(...))))
  end
  if not ok then return false, clean(...) end
  return ok, ...
end

coroutine.resume = function(co, ...)
  return rfinish(co, co_resume(co, fit(co, ...)))
end

local function wfinish(co, ok, ...)
  if not ok then error(clean(...), 0) end
  if (...) == marker and co_status(co) == "suspended" then
    return wfinish(co, co_resume(co, fit(co, co_yield(...))))
  end
  return ...
end

coroutine.wrap = function(f)
  local co = co_create(callable(f))
  return function(...) return wfinish(co, co_resume(co, fit(co, ...))) end
end

coroutine.create = function(f)
  return co_create(callable(f))
end

-- load* compile through goresty (LuaJIT chunk names, calls that may
-- yield); the function gets the caller's environment.
function loadstring(s, name)
  if type(s) ~= "string" then error("bad argument #1 to 'loadstring' (string expected, got " .. type(s) .. ")", 2) end
  local f, err = compile(s, name)
  if f then setfenv(f, getfenv(2)) end
  return f, err
end

function load(ld, name)
  local s = ld
  if type(ld) == "function" then
    local parts = {}
    while true do
      local p = ld()
      if p == nil or p == "" then break end
      if type(p) ~= "string" then return nil, "reader function must return a string" end
      parts[#parts + 1] = p
    end
    s = concat(parts)
    name = name or "=(load)"
  elseif type(ld) ~= "string" then
    error("bad argument #1 to 'load' (function expected, got " .. type(ld) .. ")", 2)
  end
  local f, err = compile(s, name)
  if f then setfenv(f, getfenv(2)) end
  return f, err
end

function loadfile(path)
  local s, err = readfile(path)
  if not s then return nil, err end
  local f, err = compile(s, "@" .. path)
  if f then setfenv(f, getfenv(2)) end
  return f, err
end

function dofile(path)
  local s, err = readfile(path)
  if not s then error(err, 2) end
  local f, err = compile(s, "@" .. path)
  if not f then error(err, 2) end
  setfenv(f, getfenv(2))
  return f()
end
`

func (w *Worker) sandbox() error {
	L := w.L
	o := w.pool.opts
	w.installStringLib() // before the prelude takes table.concat
	if dbg, ok := L.GetGlobal("debug").(*lua.LTable); ok {
		if get, ok := dbg.RawGetString("getinfo").(*lua.LFunction); ok && get.IsG {
			dbg.RawSetString("getinfo", L.NewFunction(w.debugGetInfo(get.GFunction)))
		}
		if get, ok := dbg.RawGetString("getfenv").(*lua.LFunction); ok && get.IsG {
			dbg.RawSetString("getfenv", L.NewFunction(w.envGetter(get.GFunction)))
		}
	}
	// before the prelude takes getfenv (env.go)
	if get, ok := L.GetGlobal("getfenv").(*lua.LFunction); ok && get.IsG {
		L.SetGlobal("getfenv", L.NewFunction(w.envGetter(get.GFunction)))
	}
	w.marker = L.NewUserData()
	w.marker.Value = "goresty.yield"

	// per-run environments fall back to _G
	w.envMeta = L.NewTable()
	w.envMeta.RawSetString("__index", L.G.Global)

	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return fmt.Errorf("lua: no package table")
	}
	path := o.PackagePath
	if path == "" {
		path = DefaultPackagePath
	}
	cpath := o.PackageCPath
	if cpath == "" {
		cpath = DefaultPackageCPath
	}
	pkg.RawSetString("path", lua.LString(path))
	pkg.RawSetString("cpath", lua.LString(cpath))
	loaders := L.NewTable()
	loaders.Append(L.NewFunction(preloadLoader))
	loaders.Append(L.NewFunction(w.luaLoader))
	loaders.Append(L.NewFunction(cLoader))
	pkg.RawSetString("loaders", loaders)
	L.SetField(L.Get(lua.RegistryIndex), "_LOADERS", loaders)
	L.SetGlobal("require", L.NewFunction(require))
	pkg.RawSetString("loadlib", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("package.loadlib is disabled: goresty cannot load native code")
		return 0
	}))
	if osT, ok := L.GetGlobal("os").(*lua.LTable); ok {
		osT.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("os.exit is disabled in goresty")
			return 0
		}))
	}

	// the prelude keeps its tail calls (they only target its own Lua
	// functions), so relaying many yields does not grow the stack.
	proto, err := compilePrelude()
	if err != nil {
		return err
	}
	fn := L.NewFunctionFromProto(proto)
	fn.Env = L.G.Global
	isG := L.NewFunction(func(L *lua.LState) int {
		f, ok := L.Get(1).(*lua.LFunction)
		L.Push(lua.LBool(ok && f.IsG))
		return 1
	})
	L.Push(fn)
	L.Push(w.marker)
	L.Push(isG)
	L.Push(L.NewFunction(w.xresume))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(FixErrorText(L.CheckString(1))))
		return 1
	}))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		src := L.CheckString(1)
		name := chunkName(src, L.OptString(2, ""), L.Get(2) == lua.LNil)
		p, err := compileProto(src, name)
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		L.Push(L.NewFunctionFromProto(p))
		return 1
	}))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		path := L.CheckString(1)
		b, err := os.ReadFile(path)
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(fmt.Sprintf("cannot open %s", path)))
			return 2
		}
		L.Push(lua.LString(b))
		return 1
	}))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		w.noteYield(L)
		return -1
	}))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		co := L.CheckThread(1)
		n, ok := w.yieldNRet[co]
		if !ok || n < 0 {
			return L.GetTop() - 1
		}
		delete(w.yieldNRet, co)
		have := L.GetTop() - 1
		if have > n {
			L.SetTop(n + 1)
		}
		for ; have < n; have++ {
			L.Push(lua.LNil)
		}
		return n
	}))
	co, _ := L.GetGlobal("coroutine").(*lua.LTable)
	if co == nil {
		return fmt.Errorf("lua: no coroutine table")
	}
	orig, _ := co.RawGetString("resume").(*lua.LFunction)
	if orig == nil || !orig.IsG {
		return fmt.Errorf("lua: no coroutine.resume")
	}
	L.Push(L.NewFunction(w.coResume(orig.GFunction)))
	if err := L.PCall(9, 0, nil); err != nil {
		return err
	}
	co.RawSetString("running", L.NewFunction(w.coRunning))
	return nil
}

// coRunning is coroutine.running as LuaJIT answers it inside pcall and
// xpcall: the caller's coroutine. Their bodies run on pooled coroutines
// (xresume) that Lua code must not see; those are skipped for the
// coroutine that resumed them.
func (w *Worker) coRunning(L *lua.LState) int {
	co := L
	for co.Parent != nil {
		if _, body := w.pcallCo[co]; !body {
			break
		}
		co = co.Parent
	}
	if co == co.G.MainThread {
		L.Push(lua.LNil)
	} else {
		L.Push(co)
	}
	return 1
}

// xresume backs the prelude's pcall/xpcall with coroutines taken from the
// worker's pool instead of coroutine.create's fresh ones (a new coroutine
// costs ~20 KB; pcall is common on hot paths).
func (w *Worker) xresume(L *lua.LState) int {
	saved := w.nest
	defer func() { w.nest = saved }()
	w.enterNest(L)
	var co *lua.LState
	var fn *lua.LFunction
	if v := L.Get(1); v != lua.LNil {
		co = L.CheckThread(1)
	} else {
		fn = L.CheckFunction(2)
		co = w.takeCo()
		w.pcallCo[co] = struct{}{}
	}
	top := L.GetTop()
	var args []lua.LValue
	if top > 2 {
		args = make([]lua.LValue, 0, top-2)
		for i := 3; i <= top; i++ {
			args = append(args, L.Get(i))
		}
	}
	if fn == nil {
		args = w.fitResume(co, args)
	}
	ctx := L.Context()
	if ctx != nil {
		co.SetContext(ctx)
	}
	st, err, ret := L.Resume(co, fn, args...)
	if ctx != nil {
		co.RemoveContext()
	}
	if st != lua.ResumeYield {
		delete(w.pcallCo, co) // the body ended
	}
	L.SetTop(0)
	L.Push(co)
	switch st {
	case lua.ResumeOK:
		L.Push(lua.LNumber(0))
		for _, v := range ret {
			L.Push(v)
		}
		if len(ret) == 1 && ret[0] == lua.LNil {
			L.Pop(1) // Resume reports "no values" as one nil
		}
		w.putCo(co)
	case lua.ResumeYield:
		L.Push(lua.LNumber(1))
		for _, v := range ret {
			L.Push(v)
		}
	default:
		L.Push(lua.LNumber(2))
		if ae, ok := err.(*lua.ApiError); ok {
			L.Push(ae.Object)
			w.noteLimit(L, ae.Object)
		} else {
			L.Push(lua.LString(err.Error()))
		}
	}
	return L.GetTop()
}

// chunkName turns a load* chunk name into what LuaJIT prints: "=name"
// loses its "=" (and is cut at idSize-1 bytes), "@file" is the file's
// name (FileSource), source text becomes [string "first line..."].
func chunkName(src, name string, none bool) string {
	if none {
		name = src
	}
	if strings.HasPrefix(name, "=") {
		return name[1:min(len(name), idSize)]
	}
	if strings.HasPrefix(name, "@") {
		return FileSource(name[1:])
	}
	line := name
	truncated := false
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line, truncated = line[:i], true
	}
	const max = idSize - len(`[string "..."]`)
	if len(line) > max {
		line, truncated = line[:max], true
	}
	if truncated {
		return `[string "` + line + `..."]`
	}
	return `[string "` + line + `"]`
}

const preludeName = "goresty.pcall"

// FixErrorText rewrites a gopher-lua error message into LuaJIT's wording:
// no position for errors raised by Go functions called straight through
// pcall (LuaJIT gives none for C functions), and the function name quoted
// in "bad argument #1 to 'sleep' (...)".
func FixErrorText(s string) string {
	wrapped := false
	if rest, ok := strings.CutPrefix(s, preludeName+":"); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			s, wrapped = rest[i+2:], true
		}
	}
	const ba = "bad argument #"
	i := strings.Index(s, ba)
	if i < 0 {
		return s
	}
	j := i + len(ba)
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if !strings.HasPrefix(s[j:], " to ") {
		return s
	}
	j += len(" to ")
	k := strings.Index(s[j:], " (")
	if k < 0 || strings.HasPrefix(s[j:], "'") {
		return s
	}
	name := s[j : j+k]
	if wrapped || name == "(anonymous)" {
		name = "?"
	}
	return s[:j] + "'" + name + "'" + s[j+k:]
}

// require is Lua 5.1's require with its messages; the module runs with _G
// as its environment and is cached in package.loaded of this worker.
func require(L *lua.LState) int {
	name := L.CheckString(1)
	loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	if !ok {
		L.RaiseError("package.loaded must be a table")
	}
	if v := loaded.RawGetString(name); lua.LVAsBool(v) {
		if v == requireSentinel {
			L.RaiseError("loop or previous error loading module '%s'", name)
		}
		L.Push(v)
		return 1
	}
	var loaders *lua.LTable
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		loaders, _ = pkg.RawGetString("loaders").(*lua.LTable)
	}
	if loaders == nil {
		L.RaiseError("'package.loaders' must be a table")
	}
	var msg strings.Builder
	var mod *lua.LFunction
	for i := 1; ; i++ {
		ld := loaders.RawGetInt(i)
		if ld == lua.LNil {
			L.RaiseError("module '%s' not found:%s", name, msg.String())
		}
		L.Push(ld)
		L.Push(lua.LString(name))
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		if f, ok := r.(*lua.LFunction); ok {
			mod = f
			break
		}
		if s, ok := r.(lua.LString); ok {
			msg.WriteString(string(s))
		}
	}
	loaded.RawSetString(name, requireSentinel)
	L.Push(mod)
	L.Push(lua.LString(name))
	L.Call(1, 1)
	r := L.Get(-1)
	L.Pop(1)
	if r != lua.LNil {
		loaded.RawSetString(name, r)
	}
	if loaded.RawGetString(name) == requireSentinel {
		loaded.RawSetString(name, lua.LTrue)
	}
	L.Push(loaded.RawGetString(name))
	return 1
}

var requireSentinel = &lua.LUserData{Metatable: lua.LNil}

func preloadLoader(L *lua.LState) int {
	name := L.CheckString(1)
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		if pre, ok := pkg.RawGetString("preload").(*lua.LTable); ok {
			if f := pre.RawGetString(name); f != lua.LNil {
				L.Push(f)
				return 1
			}
		}
	}
	L.Push(lua.LString("\n\tno field package.preload['" + name + "']"))
	return 1
}

// moduleCache keeps compiled Lua modules by path, shared by all workers.
var moduleCache sync.Map // path -> *cachedModule

type cachedModule struct {
	mod   int64
	size  int64
	proto *lua.FunctionProto
}

// searchPackage looks the module named by argument 1 up in package[field]
// (path or cpath). When no file is there it pushes the list of the files
// tried (the searcher's answer for require's message) and file is "".
func searchPackage(L *lua.LState, field string) (name, file string) {
	name = L.CheckString(1)
	path := ""
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		path = lua.LVAsString(pkg.RawGetString(field))
	}
	file, miss := searchPath(name, path)
	if file == "" {
		L.Push(lua.LString(miss))
	}
	return name, file
}

func searchPath(name, path string) (string, string) {
	name = strings.ReplaceAll(name, ".", "/")
	var miss strings.Builder
	for _, tpl := range strings.Split(path, ";") {
		if tpl == "" {
			continue
		}
		f := strings.ReplaceAll(tpl, "?", name)
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			return f, ""
		}
		miss.WriteString("\n\tno file '")
		miss.WriteString(f)
		miss.WriteString("'")
	}
	return "", miss.String()
}

// luaLoader finds name in package.path and loads it with _G as its
// environment (gopher-lua's own loader would give the module the
// environment of whichever handler required it first).
func (w *Worker) luaLoader(L *lua.LState) int {
	name, file := searchPackage(L, "path")
	if file == "" {
		return 1
	}
	proto, err := loadModuleProto(file)
	if err != nil {
		L.RaiseError("error loading module '%s' from file '%s':\n\t%v", name, file, err)
	}
	fn := L.NewFunctionFromProto(proto)
	fn.Env = L.G.Global
	L.Push(fn)
	return 1
}

func loadModuleProto(file string) (*lua.FunctionProto, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if c, ok := moduleCache.Load(file); ok {
		cm := c.(*cachedModule)
		if cm.mod == st.ModTime().UnixNano() && cm.size == st.Size() {
			return cm.proto, nil
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	proto, err := compileProto(string(b), FileSource(file))
	if err != nil {
		return nil, err
	}
	moduleCache.Store(file, &cachedModule{mod: st.ModTime().UnixNano(), size: st.Size(), proto: proto})
	return proto, nil
}

// cLoader stands where Lua's C-module loader would: a module found in
// package.cpath is reported as unloadable rather than silently missing.
func cLoader(L *lua.LState) int {
	name, file := searchPackage(L, "cpath")
	if file == "" {
		return 1
	}
	L.RaiseError("error loading module '%s' from file '%s':\n\tnative (C) modules are not supported by goresty", name, file)
	return 0
}
