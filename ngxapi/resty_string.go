package ngxapi

// resty.string (lua-resty-string's to_hex and atoi), built in because the
// released module is FFI. Debian packages the same library as nginx.string:
// both names load this one.

import (
	"encoding/hex"
	"math"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// restyStringVersion is the lua-resty-string release whose API these
// modules follow.
const restyStringVersion = "0.16"

func init() {
	register("resty.string", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		preloadBoth(w.L, "string", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("_VERSION", lua.LString(restyStringVersion))
			m.RawSetString("to_hex", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LString(hex.EncodeToString([]byte(L.CheckString(1)))))
				return 1
			}))
			m.RawSetString("atoi", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LNumber(atoi(L.CheckString(1))))
				return 1
			}))
			L.Push(m)
			return 1
		})
	})
}

// preloadBoth preloads a lua-resty-string module under its OpenResty name
// resty.NAME and its Debian name nginx.NAME; both give the same table.
func preloadBoth(L *lua.LState, name string, loader lua.LGFunction) {
	var mod lua.LValue
	once := func(L *lua.LState) int {
		if mod == nil {
			loader(L)
			mod = L.Get(-1)
		} else {
			L.Push(mod)
		}
		return 1
	}
	L.PreloadModule("resty."+name, once)
	L.PreloadModule("nginx."+name, once)
}

// atoi is nginx's ngx_atoi, which the original calls: the decimal value of
// a string of digits only, -1 (NGX_ERROR) for an empty string, any other
// character or a value past 2^63-1.
func atoi(s string) int64 {
	if s == "" {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return -1
		}
		n = n*10 + d
	}
	return n
}
