package ngxapi

// The ngx.req functions that change the request as later phases and
// proxy_pass see it: set_uri (with OpenResty's jump, re-searching the
// locations from rewrite_by_lua*), set_uri_args, set_method and the body
// setters (set_body_data, set_body_file, init_body / append_body /
// finish_body). Bodies live in memory: goresty keeps no body files.

import (
	"os"
	"strconv"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

func installReqModify(w *luavm.Worker, reqAPI func(string, func(*lua.LState, *HTTPCtx) int)) {
	reqAPI("set_method", func(L *lua.LState, c *HTTPCtx) int {
		m := L.CheckInt(1)
		name, ok := captureMethods[m]
		if !ok {
			L.RaiseError("unsupported HTTP method: %d", m)
		}
		c.Req.Method = name
		return 0
	})
	reqAPI("set_uri_args", func(L *lua.LState, c *HTTPCtx) int {
		var args string
		switch v := L.Get(1).(type) {
		case lua.LString:
			args = string(v)
		case lua.LNumber:
			args = luavm.FormatNumber(float64(v))
		case *lua.LTable:
			args = EncodeArgs(L, v)
		default:
			L.RaiseError("bad argument #1 to 'set_uri_args' (string, number, or table expected, but got %s)", typeNameOf(v))
		}
		c.ArgsSet = true
		if c.Vars != nil {
			if err := c.Vars.SetVar("args", args); err != nil {
				L.RaiseError("%s", err.Error())
			}
		}
		return 0
	})
	reqAPI("set_uri", func(L *lua.LState, c *HTTPCtx) int {
		uri := L.CheckString(1)
		if uri == "" {
			L.RaiseError("attempt to use zero-length uri")
		}
		jump := lua.LVAsBool(L.Get(2))
		if !lua.LVAsBool(L.Get(3)) { // binary: any byte goes
			for i := 0; i < len(uri); i++ {
				if b := uri[i]; b <= ' ' || b == 0x7f {
					L.RaiseError("unsafe byte \"0x%02x\" in uri \"%s\"", b, uri)
				}
			}
		}
		if ph := w.Current().Phase; jump && ph != luavm.PhaseRewrite {
			L.RaiseError("API disabled in the context of %s", ph.Context())
		}
		if c.Server != nil {
			c.Server.SetURI(uri, jump)
		}
		if jump {
			// as OpenResty, the handler ends here and the locations are
			// searched again for the new URI
			return ContentExit(w, L, 0)
		}
		return 0
	})
	reqAPI("set_body_data", func(L *lua.LState, c *HTTPCtx) int {
		data := L.CheckString(1)
		if !c.BodyRead {
			L.RaiseError("request body not read yet")
		}
		c.replaceBody([]byte(data))
		return 0
	})
	reqAPI("set_body_file", func(L *lua.LState, c *HTTPCtx) int {
		path := L.CheckString(1)
		if !c.BodyRead {
			L.RaiseError("request body not read yet")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			L.RaiseError("%s", "failed to open file "+path+": "+errlog.Strerror(err))
		}
		if lua.LVAsBool(L.Get(2)) { // auto_clean: the file goes with the request
			os.Remove(path)
		}
		c.replaceBody(b)
		return 0
	})
	reqAPI("init_body", func(L *lua.LState, c *HTTPCtx) int {
		if L.Get(1) != lua.LNil {
			if n := L.CheckInt(1); n <= 0 {
				L.ArgError(1, "buffer size must be positive, but got "+strconv.Itoa(n))
			}
		}
		if !c.BodyRead {
			L.RaiseError("request body not read yet")
		}
		c.replaceBody([]byte{})
		c.bodyInit = true
		return 0
	})
	reqAPI("append_body", func(L *lua.LState, c *HTTPCtx) int {
		data := L.CheckString(1)
		if !c.bodyInit {
			L.RaiseError("request_body not initialized")
		}
		if c.MaxBodySize > 0 && int64(len(c.Body)+len(data)) > c.MaxBodySize {
			return luaFail(L, "too large")
		}
		c.Body = append(c.Body, data...)
		return 0
	})
	reqAPI("finish_body", func(L *lua.LState, c *HTTPCtx) int {
		if !c.bodyInit {
			L.RaiseError("request_body not initialized")
		}
		c.bodyInit = false
		return 0
	})
}

func typeNameOf(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	return v.Type().String()
}

// replaceBody makes b the request body, in memory (a temporary file the
// client's body was buffered to goes).
func (c *HTTPCtx) replaceBody(b []byte) {
	c.RemoveBodyFile()
	c.Body, c.BodyFile, c.bodyInit = b, "", false
}
