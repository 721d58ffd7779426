package ngxapi

// The `jit` table (global and require "jit", "jit.opt"), so that code
// probing for LuaJIT finds it. There is no JIT compiler: on, off, flush and
// opt.start do nothing and status() reports the compiler off.

import (
	"runtime"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// jitVersion is the LuaJIT release whose language and libraries goresty
// follows (OpenResty's LuaJIT 2.1).
const jitVersion = "LuaJIT 2.1.0-beta3"

var jitArch = map[string]string{"amd64": "x64", "386": "x86", "arm64": "arm64", "arm": "arm",
	"ppc64": "ppc", "ppc64le": "ppc", "mips": "mips", "mipsle": "mipsel", "mips64": "mips64",
	"mips64le": "mips64el", "s390x": "s390x", "riscv64": "riscv64"}

var jitOS = map[string]string{"linux": "Linux", "darwin": "OSX", "windows": "Windows",
	"freebsd": "BSD", "openbsd": "BSD", "netbsd": "BSD", "dragonfly": "BSD"}

func init() {
	register("jit", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		L := w.L
		jit := L.NewTable()
		noop := L.NewFunction(func(L *lua.LState) int { return 0 })
		jit.RawSetString("version", lua.LString(jitVersion))
		jit.RawSetString("version_num", lua.LNumber(20100))
		os, ok := jitOS[runtime.GOOS]
		if !ok {
			os = "Other"
		}
		arch, ok := jitArch[runtime.GOARCH]
		if !ok {
			arch = runtime.GOARCH
		}
		jit.RawSetString("os", lua.LString(os))
		jit.RawSetString("arch", lua.LString(arch))
		for _, name := range []string{"on", "off", "flush"} {
			jit.RawSetString(name, noop)
		}
		jit.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LFalse)
			return 1
		}))
		opt := L.NewTable()
		opt.RawSetString("start", noop)
		jit.RawSetString("opt", opt)
		L.SetGlobal("jit", jit)
		setLoaded(L, "jit", jit)
		setLoaded(L, "jit.opt", opt)
	})
}
