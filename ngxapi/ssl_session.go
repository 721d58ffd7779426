package ngxapi

import (
	"encoding/hex"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// SessionCtx is the Ctx of ssl_session_store_by_lua* and
// ssl_session_fetch_by_lua* light threads (filled by httpserver/tlssession).
type SessionCtx struct {
	ID         []byte // the session id, 32 bytes; get_session_id() gives it as 64 lowercase hex digits
	Serialized []byte // store hook: what get_serialized_session() returns (sealed when seal keys are set)
	Fetched    []byte // fetch hook: the last string set_serialized_session() accepted
	ServerName string // SNI, "" when the client sent none
	Version    uint16 // negotiated TLS version (tls.VersionTLS12, ...)

	// Decoder (fetch hook) checks what set_serialized_session() got: an
	// error makes the call return nil and the error's text.
	Decoder SessionDecoder
}

// SessionDecoder opens and parses a serialized session for the fetch hook.
type SessionDecoder interface {
	DecodeSession(b []byte) error
}

// ngx.ssl.session, as lua-resty-core's module of that name (which is FFI
// and cannot load in gopher-lua):
//
//	id, err = get_session_id()              store and fetch hooks
//	sess, err = get_serialized_session()    store hook
//	ok, err = set_serialized_session(sess)  fetch hook
func init() {
	register("ngx.ssl.session", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		w.L.PreloadModule("ngx.ssl.session", func(L *lua.LState) int {
			mod := L.NewTable()
			mod.RawSetString("version", lua.LString(restyCoreVersion))
			api := apiFuncs(w, mod, "ngx.ssl.session.")
			api("get_session_id", func(L *lua.LState) int {
				sc := sessionCtx(w, L)
				if len(sc.ID) == 0 {
					return luaFail(L, "uninitialized session id len in lua context")
				}
				L.Push(lua.LString(hexID(sc.ID)))
				return 1
			})
			api("get_serialized_session", func(L *lua.LState) int {
				sc := sessionCtx(w, L)
				if len(sc.Serialized) == 0 {
					return luaFail(L, "bad session in lua context")
				}
				L.Push(lua.LString(sc.Serialized))
				return 1
			})
			api("set_serialized_session", func(L *lua.LState) int {
				s := L.CheckString(1)
				sc := sessionCtx(w, L)
				b := []byte(s)
				if sc.Decoder != nil {
					if err := sc.Decoder.DecodeSession(b); err != nil {
						return luaFail(L, err.Error())
					}
				}
				sc.Fetched = b
				L.Push(lua.LTrue)
				return 1
			})
			L.Push(mod)
			return 1
		})
	})
}

// hexID is id in lowercase hex, encoded on the stack for a session id's
// 32 bytes (one allocation, the string, instead of two).
func hexID(id []byte) string {
	var buf [64]byte
	if len(id) > len(buf)/2 {
		return hex.EncodeToString(id)
	}
	n := hex.Encode(buf[:], id)
	return string(buf[:n])
}

// restyCoreVersion is what lua-resty-core modules report as .version.
const restyCoreVersion = "0.1.25"

// sessionCtx is the running hook's SessionCtx; check() has already made
// sure the phase is a session hook.
func sessionCtx(w *luavm.Worker, L *lua.LState) *SessionCtx {
	if t := w.Current(); t != nil {
		if sc, ok := t.Ctx.(*SessionCtx); ok && sc != nil {
			return sc
		}
	}
	L.RaiseError("no request found")
	return nil
}
