package ngxapi

import (
	"net"
	"strconv"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// Balancer is what balancer_by_lua* decides for one attempt of a proxied
// request (lua-resty-core's ngx.balancer); it lives in the request's
// HTTPCtx, whose other APIs (ngx.var, ngx.ctx) the phase may use.
type Balancer struct {
	Peer      string // set_current_peer: "host:port"; "" = the upstream's own choice
	MoreTries int    // set_more_tries, summed over the attempts
	// LastFailure, LastStatus: how the previous attempt ended ("failed",
	// "next"; "" on the first attempt), for get_last_failure.
	LastFailure string
	LastStatus  int
	// set_timeouts (0: unchanged)
	ConnectTimeout, SendTimeout, ReadTimeout time.Duration
}

func init() {
	register("ngx.balancer", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		w.L.PreloadModule("ngx.balancer", func(L *lua.LState) int {
			mod := L.NewTable()
			mod.RawSetString("version", lua.LString(restyCoreVersion))
			api := apiFuncs(w, mod, "ngx.balancer.")
			bal := func(L *lua.LState) *Balancer {
				c := httpCtx(w, L)
				if c.Balancer == nil {
					L.RaiseError("no upstream found")
				}
				return c.Balancer
			}
			api("set_current_peer", func(L *lua.LState) int {
				host := L.CheckString(1)
				b := bal(L)
				port := L.OptInt(2, 0)
				if port == 0 {
					if _, _, err := net.SplitHostPort(host); err != nil {
						return luaFail(L, "no port in upstream \""+host+"\"")
					}
					b.Peer = host
				} else {
					b.Peer = net.JoinHostPort(host, strconv.Itoa(port))
				}
				L.Push(lua.LTrue)
				return 1
			})
			api("set_more_tries", func(L *lua.LState) int {
				n := L.CheckInt(1)
				bal(L).MoreTries += n
				L.Push(lua.LTrue)
				return 1
			})
			api("get_last_failure", func(L *lua.LState) int {
				b := bal(L)
				if b.LastFailure == "" {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(lua.LString(b.LastFailure))
				L.Push(lua.LNumber(b.LastStatus))
				return 2
			})
			api("set_timeouts", func(L *lua.LState) int {
				b := bal(L)
				d := func(i int) time.Duration {
					v := L.OptNumber(i, 0)
					if v < 0 {
						L.ArgError(i, "bad timeout")
					}
					return time.Duration(float64(v) * float64(time.Second))
				}
				b.ConnectTimeout, b.SendTimeout, b.ReadTimeout = d(1), d(2), d(3)
				L.Push(lua.LTrue)
				return 1
			})
			L.Push(mod)
			return 1
		})
	})
}

// Settings returns st with the timeouts set_timeouts gave, or st itself.
func (b *Balancer) Settings(st *confparse.Settings) *confparse.Settings {
	if b.ConnectTimeout == 0 && b.SendTimeout == 0 && b.ReadTimeout == 0 {
		return st
	}
	s := *st
	if b.ConnectTimeout > 0 {
		s.ProxyConnectTimeout = b.ConnectTimeout
	}
	if b.SendTimeout > 0 {
		s.ProxySendTimeout = b.SendTimeout
	}
	if b.ReadTimeout > 0 {
		s.ProxyReadTimeout = b.ReadTimeout
	}
	return &s
}
