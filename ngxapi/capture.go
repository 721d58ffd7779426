package ngxapi

import (
	"net/http"
	"strings"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// SubRequest is one ngx.location.capture: a request to a location of the
// same server, answered in memory.
type SubRequest struct {
	Method string
	URI    string // path, without the query
	Args   string
	Body   []byte
}

// SubResponse is a subrequest's answer.
type SubResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// captureMethods maps ngx.HTTP_* method numbers to names.
var captureMethods = map[int]string{
	2: "GET", 4: "HEAD", 8: "POST", 16: "PUT", 32: "DELETE", 64: "MKCOL", 128: "COPY", 256: "MOVE",
	512: "OPTIONS", 1024: "PROPFIND", 2048: "PROPPATCH", 4096: "LOCK", 8192: "UNLOCK", 16384: "PATCH", 32768: "TRACE",
}

func init() {
	register("ngx.location", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		L := w.L
		loc := subTable(L, ngx, "location")
		// The subrequests run off the worker while the thread is parked
		// (Suspend returns scalars only); the response tables are built
		// on the worker by a second call: Lua wrappers join the two.
		start := L.NewFunction(func(L *lua.LState) int {
			multi := L.CheckBool(1)
			api := "ngx.location.capture"
			if multi {
				api = "ngx.location.capture_multi"
			}
			check(w, L, api)
			c := httpCtx(w, L)
			var srs []SubRequest
			if multi {
				t := L.CheckTable(2)
				for i := 1; i <= t.MaxN(); i++ {
					spec, ok := t.RawGetInt(i).(*lua.LTable)
					if !ok {
						L.ArgError(1, "bad request spec")
					}
					srs = append(srs, subRequest(L, 1, spec.RawGetInt(1), spec.RawGetInt(2)))
				}
				if len(srs) == 0 {
					L.RaiseError("at least one subrequest should be specified")
				}
			} else {
				srs = []SubRequest{subRequest(L, 1, L.Get(2), L.Get(3))}
			}
			if c.Server == nil {
				L.RaiseError("no subrequests in this context")
			}
			return w.Suspend(L, func() []lua.LValue {
				c.captured = c.Server.Capture(srs)
				return nil
			})
		})
		results := L.NewFunction(func(L *lua.LState) int {
			c := httpCtx(w, L)
			rs := c.captured
			c.captured = nil
			for _, r := range rs {
				t := L.CreateTable(0, 4)
				t.RawSetString("status", lua.LNumber(r.Status))
				t.RawSetString("body", lua.LString(r.Body))
				t.RawSetString("truncated", lua.LFalse)
				h := L.NewTable()
				for k, vs := range r.Header {
					h.RawSetString(k, headerValue(L, vs))
				}
				t.RawSetString("header", h)
				L.Push(t)
			}
			return len(rs)
		})
		fn, err := L.LoadString(`local start, results, loc = ...
loc.capture = function(uri, opts) start(false, uri, opts) local r = results() return r end
loc.capture_multi = function(reqs) start(true, reqs) return results() end`)
		if err != nil {
			panic(err)
		}
		L.Push(fn)
		L.Push(start)
		L.Push(results)
		L.Push(loc)
		L.Call(3, 0)
	})
}

// subRequest reads capture's (uri, options).
func subRequest(L *lua.LState, arg int, uriV, optV lua.LValue) SubRequest {
	uri, ok := uriV.(lua.LString)
	if !ok || uri == "" {
		L.ArgError(arg, "uri is empty")
	}
	sr := SubRequest{Method: "GET"}
	sr.URI, sr.Args, _ = strings.Cut(string(uri), "?")
	opts, _ := optV.(*lua.LTable)
	if opts == nil {
		return sr
	}
	if m, ok := opts.RawGetString("method").(lua.LNumber); ok {
		name, known := captureMethods[int(m)]
		if !known {
			L.RaiseError("unsupported HTTP method: %d", int(m))
		}
		sr.Method = name
	}
	switch a := opts.RawGetString("args").(type) {
	case lua.LString:
		sr.Args = joinArgs(sr.Args, string(a))
	case *lua.LTable:
		sr.Args = joinArgs(sr.Args, EncodeArgs(L, a))
	}
	if b, ok := opts.RawGetString("body").(lua.LString); ok {
		sr.Body = []byte(b)
	}
	return sr
}

func joinArgs(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "&" + b
}
