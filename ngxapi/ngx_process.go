package ngxapi

// ngx.process (lua-resty-core's module, FFI there). goresty is one process
// whose Lua workers are goroutines:
//
//	type()                      "single" with master_process off, else
//	                            "master" in init_by_lua* and "worker" after
//	get_master_pid()            this process's pid
//	enable_privileged_agent()   nil and an error: there is no agent process
//	signal_graceful_exit()      raises an error: there is no worker process
//	                            to stop on its own (nginx -s quit stops all)

import (
	"os"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("ngx.process", func(w *luavm.Worker, _ *lua.LTable, env *Env) {
		master := true
		if env != nil && env.Config != nil {
			master = env.Config.Main.MasterProcess
		}
		w.L.PreloadModule("ngx.process", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("version", lua.LString(restyCoreVersion))
			m.RawSetString("type", L.NewFunction(func(L *lua.LState) int {
				switch {
				case !master:
					L.Push(lua.LString("single"))
				case currentPhase(w) == luavm.PhaseInit:
					L.Push(lua.LString("master"))
				default:
					L.Push(lua.LString("worker"))
				}
				return 1
			}))
			m.RawSetString("get_master_pid", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LNumber(os.Getpid()))
				return 1
			}))
			m.RawSetString("enable_privileged_agent", L.NewFunction(func(L *lua.LState) int {
				if currentPhase(w) != luavm.PhaseInit {
					return luaFail(L, "API disabled in the current context")
				}
				return luaFail(L, "goresty has no privileged agent process")
			}))
			m.RawSetString("signal_graceful_exit", L.NewFunction(func(L *lua.LState) int {
				L.RaiseError("ngx.process.signal_graceful_exit: goresty's workers share one process; stop the server with -s quit")
				return 0
			}))
			L.Push(m)
			return 1
		})
	})
}
