package ngxapi

import (
	"crypto/tls"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/ngxapi/tlsname"
	lua "github.com/yuin/gopher-lua"
)

// TLSStater is implemented by phase contexts that know their downstream
// connection's TLS state (the HTTP request context); it returns nil on a
// plain-text connection.
type TLSStater interface {
	TLSState() *tls.ConnectionState
}

// ngx.ssl (the parts the session hooks can honestly answer, as
// lua-resty-core's ngx.ssl): server_name(), get_tls1_version(),
// get_tls1_version_str() and the version constants.
func init() {
	register("ngx.ssl", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		w.L.PreloadModule("ngx.ssl", func(L *lua.LState) int {
			mod := L.NewTable()
			mod.RawSetString("version", lua.LString(restyCoreVersion))
			api := apiFuncs(w, mod, "ngx.ssl.")
			mod.RawSetString("SSL3_VERSION", lua.LNumber(0x0300))
			mod.RawSetString("TLS1_VERSION", lua.LNumber(0x0301))
			mod.RawSetString("TLS1_1_VERSION", lua.LNumber(0x0302))
			mod.RawSetString("TLS1_2_VERSION", lua.LNumber(0x0303))
			mod.RawSetString("TLS1_3_VERSION", lua.LNumber(0x0304))
			api("server_name", func(L *lua.LState) int {
				name, _, ok := sslInfo(w)
				if !ok {
					return luaFail(L, "bad request")
				}
				if name == "" {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(lua.LString(name))
				return 1
			})
			version := func(L *lua.LState) (uint16, bool) {
				_, v, ok := sslInfo(w)
				if !ok {
					L.Push(lua.LNil)
					L.Push(lua.LString("bad request"))
					return 0, false
				}
				return v, true
			}
			api("get_tls1_version", func(L *lua.LState) int {
				v, ok := version(L)
				if !ok {
					return 2
				}
				L.Push(lua.LNumber(v))
				return 1
			})
			api("get_tls1_version_str", func(L *lua.LState) int {
				v, ok := version(L)
				if !ok {
					return 2
				}
				s, known := tlsname.Name(v)
				if !known {
					return luaFail(L, "unknown version")
				}
				L.Push(lua.LString(s))
				return 1
			})
			for _, part := range sslParts {
				part(w, L, mod, api)
			}
			L.Push(mod)
			return 1
		})
	})
}

// sslParts add functions to the ngx.ssl module (phase_ssl_cert.go).
var sslParts []func(w *luavm.Worker, L *lua.LState, mod *lua.LTable, api func(string, lua.LGFunction))

// sslInfo is the SNI name and TLS version of the running thread's
// connection; ok is false when there is no TLS connection.
func sslInfo(w *luavm.Worker) (name string, version uint16, ok bool) {
	t := w.Current()
	if t == nil {
		return "", 0, false
	}
	switch c := t.Ctx.(type) {
	case *SessionCtx:
		if c != nil {
			return c.ServerName, c.Version, true
		}
	case *CertCtx:
		if c != nil {
			return c.ServerName, c.Version, true
		}
	case TLSStater:
		if st := c.TLSState(); st != nil {
			return st.ServerName, st.Version, true
		}
	}
	return "", 0, false
}
