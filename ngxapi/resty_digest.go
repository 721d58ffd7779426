package ngxapi

// resty.md5, resty.sha1, resty.sha224, resty.sha256, resty.sha384 and
// resty.sha512 (lua-resty-string's streaming digests; Debian: nginx.md5,
// nginx.sha1, ...), plus resty.sha, which only declares the others' C
// types in the FFI original. The seven modules share one object type, so
// they live in one file.
//
//	local d = sha256:new()     -- nil on failure (never here)
//	d:update(s)                -- true
//	local bin = d:final()      -- the binary digest
//	d:reset()                  -- true

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

var restyDigests = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

func init() {
	register("resty.digest", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		L := w.L
		for name, newHash := range restyDigests {
			preloadBoth(L, name, digestModule(newHash))
		}
		preloadBoth(L, "sha", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("_VERSION", lua.LString(restyStringVersion))
			L.Push(m)
			return 1
		})
	})
}

func digestModule(newHash func() hash.Hash) lua.LGFunction {
	return func(L *lua.LState) int {
		m := L.NewTable()
		m.RawSetString("_VERSION", lua.LString(restyStringVersion))
		mt := L.NewTable()
		mt.RawSetString("__index", m)
		state := func(L *lua.LState, method string) hash.Hash {
			self := L.CheckTable(1)
			if ud, ok := self.RawGetString("_ctx").(*lua.LUserData); ok {
				if h, ok := ud.Value.(hash.Hash); ok {
					return h
				}
			}
			L.ArgError(1, "bad digest object for "+method)
			return nil
		}
		m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
			ud := L.NewUserData()
			ud.Value = newHash()
			obj := L.NewTable()
			obj.RawSetString("_ctx", ud)
			L.SetMetatable(obj, mt)
			L.Push(obj)
			return 1
		}))
		m.RawSetString("update", L.NewFunction(func(L *lua.LState) int {
			h := state(L, "update")
			h.Write([]byte(L.CheckString(2)))
			L.Push(lua.LTrue)
			return 1
		}))
		m.RawSetString("final", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString(state(L, "final").Sum(nil)))
			return 1
		}))
		m.RawSetString("reset", L.NewFunction(func(L *lua.LState) int {
			state(L, "reset").Reset()
			L.Push(lua.LTrue)
			return 1
		}))
		L.Push(m)
		return 1
	}
}
