package ngxapi

// ngx.thread.spawn, wait and kill: user threads of the request's light
// thread (luavm/uthread.go has the rules).

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("ngx.thread", func(w *luavm.Worker, ngx *lua.LTable, _ *Env) {
		t := w.L.NewTable()
		api := apiFuncs(w, t, "ngx.thread.")
		api("spawn", func(L *lua.LState) int {
			fn := L.CheckFunction(1)
			args := make([]lua.LValue, 0, L.GetTop()-1)
			for i := 2; i <= L.GetTop(); i++ {
				args = append(args, L.Get(i))
			}
			return w.Spawn(L, fn, args)
		})
		api("wait", w.WaitThreads)
		api("kill", w.KillThread)
		ngx.RawSetString("thread", t)
	})
}
