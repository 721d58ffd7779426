package ngxapi

// resty.random (lua-resty-string; Debian: nginx.random): bytes(len, strong).
// Go's crypto/rand is always cryptographically strong, so strong and weak
// requests both get its bytes (OpenSSL's RAND_bytes and RAND_pseudo_bytes
// in the original).

import (
	"crypto/rand"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("resty.random", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		preloadBoth(w.L, "random", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("_VERSION", lua.LString(restyStringVersion))
			m.RawSetString("bytes", L.NewFunction(func(L *lua.LState) int {
				n := L.CheckInt(1)
				if n < 0 {
					L.ArgError(1, "size must not be negative")
				}
				b := make([]byte, n)
				if _, err := rand.Read(b); err != nil {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(lua.LString(b))
				return 1
			}))
			L.Push(m)
			return 1
		})
	})
}
