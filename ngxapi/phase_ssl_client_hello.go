package ngxapi

import (
	"crypto/tls"
	"encoding/binary"
	"slices"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/ngxapi/tlsname"
	lua "github.com/yuin/gopher-lua"
)

// HelloCtx is what ssl_client_hello_by_lua* acts on: the client hello as
// crypto/tls parsed it, and the protocols set_protocols allowed (httpserver
// applies them to the connection's config).
type HelloCtx struct {
	Hello *tls.ClientHelloInfo

	ProtocolsSet           bool
	MinVersion, MaxVersion uint16
}

func helloCtx(w *luavm.Worker, L *lua.LState) *HelloCtx {
	if t := w.Current(); t != nil {
		if c, ok := t.Ctx.(*HelloCtx); ok && c != nil {
			return c
		}
	}
	L.RaiseError("no request found")
	return nil
}

// ngx.ssl.clienthello, as lua-resty-core's module: the SNI name, the
// offered versions, extension data (those crypto/tls parses, re-encoded
// as they were on the wire; it keeps no raw bytes of the others), and
// set_protocols.
func init() {
	register("ngx.ssl.clienthello", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		w.L.PreloadModule("ngx.ssl.clienthello", func(L *lua.LState) int {
			mod := L.NewTable()
			mod.RawSetString("version", lua.LString(restyCoreVersion))
			api := apiFuncs(w, mod, "ngx.ssl.clienthello.")
			api("get_client_hello_server_name", func(L *lua.LState) int {
				h := helloCtx(w, L).Hello
				if h.ServerName == "" {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(lua.LString(h.ServerName))
				return 1
			})
			api("get_supported_versions", func(L *lua.LState) int {
				h := helloCtx(w, L).Hello
				if !hasExt(h, 43) {
					return luaFail(L, "failed to get supported_versions extension")
				}
				t := L.CreateTable(len(h.SupportedVersions), 0)
				for _, v := range h.SupportedVersions {
					if _, known := tlsname.Name(v); known {
						t.Append(lua.LNumber(v))
					}
				}
				L.Push(t)
				return 1
			})
			api("get_client_hello_ext", func(L *lua.LState) int {
				typ := L.CheckInt(1)
				h := helloCtx(w, L).Hello
				if !hasExt(h, uint16(typ)) {
					L.Push(lua.LNil)
					return 1
				}
				b, ok := extData(h, uint16(typ))
				if !ok {
					return luaFail(L, "goresty: the data of this extension is not kept by Go's TLS stack")
				}
				L.Push(lua.LString(b))
				return 1
			})
			api("get_client_hello_ext_present", func(L *lua.LState) int {
				h := helloCtx(w, L).Hello
				t := L.CreateTable(len(h.Extensions), 0)
				for _, e := range h.Extensions {
					t.Append(lua.LNumber(e))
				}
				L.Push(t)
				return 1
			})
			api("set_protocols", func(L *lua.LState) int {
				tb := L.CheckTable(1)
				c := helloCtx(w, L)
				var min, max uint16
				for i := 1; i <= tb.MaxN(); i++ {
					v, known := tlsname.Version(lua.LVAsString(tb.RawGetInt(i)))
					if !known {
						return luaFail(L, "invalid protocols failed")
					}
					if min == 0 || v < min {
						min = v
					}
					if v > max {
						max = v
					}
				}
				if max == 0 {
					return luaFail(L, "invalid protocols failed")
				}
				c.ProtocolsSet, c.MinVersion, c.MaxVersion = true, min, max
				L.Push(lua.LTrue)
				return 1
			})
			L.Push(mod)
			return 1
		})
	})
}

func hasExt(h *tls.ClientHelloInfo, typ uint16) bool {
	return slices.Contains(h.Extensions, typ)
}

// extData re-encodes the data of the extensions crypto/tls parses.
func extData(h *tls.ClientHelloInfo, typ uint16) ([]byte, bool) {
	u16 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
	switch typ {
	case 0: // server_name
		b := u16(nil, 3+len(h.ServerName))
		b = append(b, 0)
		b = u16(b, len(h.ServerName))
		return append(b, h.ServerName...), true
	case 10: // supported_groups
		b := u16(nil, 2*len(h.SupportedCurves))
		for _, c := range h.SupportedCurves {
			b = u16(b, int(c))
		}
		return b, true
	case 11: // ec_point_formats
		return append([]byte{byte(len(h.SupportedPoints))}, h.SupportedPoints...), true
	case 13: // signature_algorithms
		b := u16(nil, 2*len(h.SignatureSchemes))
		for _, s := range h.SignatureSchemes {
			b = u16(b, int(s))
		}
		return b, true
	case 16: // application_layer_protocol_negotiation
		var list []byte
		for _, p := range h.SupportedProtos {
			list = append(append(list, byte(len(p))), p...)
		}
		return append(u16(nil, len(list)), list...), true
	case 43: // supported_versions
		b := []byte{byte(2 * len(h.SupportedVersions))}
		for _, v := range h.SupportedVersions {
			b = u16(b, int(v))
		}
		return b, true
	}
	return nil, false
}
