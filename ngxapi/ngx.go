package ngxapi

import (
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// ngx.null is Null (declared with cjson in cjson.go): one sentinel for the
// whole process, compared by identity.

// Versions goresty reports (ngx.config, $nginx_version, -v/-V, Server):
// its own, and the nginx and lua-nginx-module releases whose behaviour it
// follows (those of the Debian peer).
const (
	GorestyVersion = "0.1.0"
	NginxRelease   = "1.22.1"
	NginxVersion   = 1022001 // ngx.config.nginx_version: NginxRelease as a number
	NgxLuaRelease  = "0.10.23"
	NgxLuaVersion  = 10023 // ngx.config.ngx_lua_version: NgxLuaRelease as a number
)

// ContentExit, when set (by the HTTP part), handles ngx.exit in content
// phases: it sends or finalises the response, then returns w.Exit(L, code).
var ContentExit func(w *luavm.Worker, L *lua.LState, code int) int

var coreConstants = map[string]int{
	"OK": 0, "ERROR": -1, "AGAIN": -2, "DONE": -4, "DECLINED": -5,

	"STDERR": 0, "EMERG": 1, "ALERT": 2, "CRIT": 3, "ERR": 4, "WARN": 5,
	"NOTICE": 6, "INFO": 7, "DEBUG": 8,

	"HTTP_GET": 2, "HTTP_HEAD": 4, "HTTP_POST": 8, "HTTP_PUT": 16,
	"HTTP_DELETE": 32, "HTTP_MKCOL": 64, "HTTP_COPY": 128, "HTTP_MOVE": 256,
	"HTTP_OPTIONS": 512, "HTTP_PROPFIND": 1024, "HTTP_PROPPATCH": 2048,
	"HTTP_LOCK": 4096, "HTTP_UNLOCK": 8192, "HTTP_PATCH": 16384,
	"HTTP_TRACE": 32768,

	"HTTP_CONTINUE": 100, "HTTP_SWITCHING_PROTOCOLS": 101,
	"HTTP_OK": 200, "HTTP_CREATED": 201, "HTTP_ACCEPTED": 202,
	"HTTP_NO_CONTENT": 204, "HTTP_PARTIAL_CONTENT": 206,
	"HTTP_SPECIAL_RESPONSE": 300, "HTTP_MOVED_PERMANENTLY": 301,
	"HTTP_MOVED_TEMPORARILY": 302, "HTTP_SEE_OTHER": 303,
	"HTTP_NOT_MODIFIED": 304, "HTTP_TEMPORARY_REDIRECT": 307,
	"HTTP_PERMANENT_REDIRECT": 308,
	"HTTP_BAD_REQUEST":        400, "HTTP_UNAUTHORIZED": 401,
	"HTTP_PAYMENT_REQUIRED": 402, "HTTP_FORBIDDEN": 403,
	"HTTP_NOT_FOUND": 404, "HTTP_NOT_ALLOWED": 405,
	"HTTP_NOT_ACCEPTABLE": 406, "HTTP_REQUEST_TIMEOUT": 408,
	"HTTP_CONFLICT": 409, "HTTP_GONE": 410,
	"HTTP_UPGRADE_REQUIRED": 426, "HTTP_TOO_MANY_REQUESTS": 429,
	"HTTP_CLOSE": 444, "HTTP_ILLEGAL": 451,
	"HTTP_INTERNAL_SERVER_ERROR": 500, "HTTP_METHOD_NOT_IMPLEMENTED": 501, "HTTP_NOT_IMPLEMENTED": 501,
	"HTTP_BAD_GATEWAY": 502, "HTTP_SERVICE_UNAVAILABLE": 503,
	"HTTP_GATEWAY_TIMEOUT": 504, "HTTP_VERSION_NOT_SUPPORTED": 505,
	"HTTP_INSUFFICIENT_STORAGE": 507,
}

func installCore(w *luavm.Worker, ngx *lua.LTable, env *Env) {
	L := w.L
	for k, v := range coreConstants {
		ngx.RawSetString(k, lua.LNumber(v))
	}
	ngx.RawSetString("null", Null)

	fn := func(name string, f lua.LGFunction) { ngx.RawSetString(name, L.NewFunction(f)) }
	api := apiFuncs(w, ngx, "ngx.")

	// ngx.run_worker_thread(pool, module, func, ...) runs in one of
	// nginx's thread_pool threads; goresty has no thread_pool directive,
	// so it answers as OpenResty does when the pool is not configured
	api("run_worker_thread", func(L *lua.LState) int {
		msg := "expecting at least 3 arguments"
		if L.GetTop() >= 3 {
			msg = "thread pool " + L.CheckString(1) + " not found"
		}
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	})
	api("log", func(L *lua.LState) int {
		lv := L.CheckInt(1)
		if lv < int(errlog.Stderr) || lv > int(errlog.Debug) {
			L.ArgError(1, "bad log level")
		}
		luaLog(w, L, errlog.Level(lv), 2)
		return 0
	})
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		gatePrint.check(w, L)
		luaLog(w, L, errlog.Notice, 1)
		return 0
	}))
	fn("get_phase", func(L *lua.LState) int {
		L.Push(lua.LString(currentPhase(w).String()))
		return 1
	})
	api("sleep", func(L *lua.LState) int {
		sec := float64(L.CheckNumber(1))
		if sec < 0 || math.IsNaN(sec) {
			L.RaiseError("invalid sleep duration \"%d\"", int64(sec*1000))
		}
		return w.Sleep(L, time.Duration(sec*float64(time.Second)))
	})
	api("exit", func(L *lua.LState) int {
		code := L.CheckInt(1)
		switch currentPhase(w) {
		case luavm.PhaseContent, luavm.PhaseRewrite, luavm.PhaseAccess:
			if ContentExit != nil {
				return ContentExit(w, L, code)
			}
		case luavm.PhaseSSLSessionStore:
			// OpenResty records the code and returns: the hook goes on.
			w.Current().SetExit(code)
			return 0
		}
		return w.Exit(L, code)
	})

	installTimer(w, ngx)
	installTime(w, ngx)

	worker := L.NewTable()
	ngx.RawSetString("worker", worker)
	workerAPI := apiFuncs(w, worker, "ngx.worker.")
	workerAPI("id", func(L *lua.LState) int {
		L.Push(lua.LNumber(w.ID))
		return 1
	})
	workerAPI("count", func(L *lua.LState) int {
		L.Push(lua.LNumber(w.Count()))
		return 1
	})
	workerAPI("pid", func(L *lua.LState) int {
		L.Push(lua.LNumber(os.Getpid()))
		return 1
	})
	workerAPI("pids", func(L *lua.LState) int {
		// one entry per worker, as OpenResty's; goresty's workers share
		// one process, so every entry is its pid (ngx.worker.pid's answer)
		t := L.NewTable()
		for i := 1; i <= w.Count(); i++ {
			t.RawSetInt(i, lua.LNumber(os.Getpid()))
		}
		L.Push(t)
		return 1
	})
	workerAPI("exiting", func(L *lua.LState) int {
		L.Push(lua.LBool(w.Exiting()))
		return 1
	})

	prefix := w.Pool().Options().Prefix
	if env.Config != nil && env.Config.Prefix != "" {
		prefix = env.Config.Prefix
	}
	config := L.NewTable()
	ngx.RawSetString("config", config)
	config.RawSetString("subsystem", lua.LString("http"))
	config.RawSetString("debug", lua.LFalse)
	config.RawSetString("is_console", lua.LFalse)
	config.RawSetString("nginx_version", lua.LNumber(NginxVersion))
	config.RawSetString("ngx_lua_version", lua.LNumber(NgxLuaVersion))
	config.RawSetString("prefix", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(prefix))
		return 1
	}))
	config.RawSetString("nginx_configure", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(""))
		return 1
	}))

	installRestyCore(w)
}

// ngxField is a magic field of the ngx table (ngx.ctx, ngx.status, ...):
// read and written through the table's metatable. set may be nil: then an
// assignment stores the value in the table itself, as resty.core's
// getter-only fields (it hides the field from then on).
type ngxField struct {
	get func(w *luavm.Worker, L *lua.LState) lua.LValue
	set func(w *luavm.Worker, L *lua.LState, v lua.LValue)
}

var ngxFields = map[string]ngxField{}

// registerField adds a magic field of the ngx table; call it from init().
func registerField(name string, get func(w *luavm.Worker, L *lua.LState) lua.LValue, set func(w *luavm.Worker, L *lua.LState, v lua.LValue)) {
	if _, dup := ngxFields[name]; dup {
		panic("ngxapi: ngx." + name + " registered twice")
	}
	ngxFields[name] = ngxField{get, set}
}

func init() {
	registerField("ctx", func(w *luavm.Worker, L *lua.LState) lua.LValue {
		gateCtx.check(w, L)
		return w.Current().NgxCtx()
	}, func(w *luavm.Worker, L *lua.LState, v lua.LValue) {
		gateCtx.check(w, L)
		t, ok := v.(*lua.LTable)
		if !ok {
			L.RaiseError("ctx should be a table while getting a %s", v.Type().String())
		}
		w.Current().SetNgxCtx(t)
	})
}

// finishCore runs after every registered part: the magic fields
// (registerField) live behind the ngx table's metatable.
func finishCore(w *luavm.Worker, ngx *lua.LTable) {
	L := w.L
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok {
			if f, ok := ngxFields[string(k)]; ok {
				L.Push(f.get(w, L))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if s, ok := k.(lua.LString); ok {
			if f, ok := ngxFields[string(s)]; ok && f.set != nil {
				f.set(w, L, L.Get(3))
				return 0
			}
		}
		L.RawSet(L.CheckTable(1), k, L.Get(3))
		return 0
	}))
	L.SetMetatable(ngx, mt)
}

// luaLog writes the arguments from index first on as one message, with
// OpenResty's "[lua] <source>:<line>: <function>(): " prefix.
func luaLog(w *luavm.Worker, L *lua.LState, level errlog.Level, first int) {
	luaLogLimited(w, L, level, first, nil)
}

// luaLogLimited is luaLog through lim (nil: none): a line whose text was
// logged less than lim's period ago is counted instead (goresty's
// rate-limited log, see errlog.Limiter).
func luaLogLimited(w *luavm.Worker, L *lua.LState, level errlog.Level, first int, lim *errlog.Limiter) {
	lg := w.CurrentLog() // the request's error_log, else the worker's
	if !lg.Enabled(level) {
		return
	}
	var b strings.Builder
	b.WriteString("[lua] ")
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sln", dbg, lua.LNil); err == nil {
			// as lua-nginx-module: the base name of LuaJIT's short_src
			// (the chunk name: luavm.FileSource), "f.lua:3:" for a file
			b.WriteString(dbg.Source[strings.LastIndexByte(dbg.Source, '/')+1:])
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(dbg.CurrentLine))
			b.WriteString(": ")
			if name := luavm.FuncName(L, dbg); name != "" {
				b.WriteString(name)
				b.WriteString("(): ")
			}
		}
	}
	prefix := b.Len()
	top := L.GetTop()
	for i := first; i <= top; i++ {
		v := L.Get(i)
		switch x := v.(type) {
		case lua.LString:
			b.WriteString(string(x))
		case lua.LNumber:
			b.WriteString(luavm.FormatNumber(float64(x)))
		case lua.LBool:
			if x {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
		case *lua.LNilType:
			b.WriteString("nil")
		case *lua.LUserData:
			if x == Null {
				b.WriteString("null")
			} else {
				L.ArgError(i, "string, number, boolean, or nil expected, got userdata")
			}
		case *lua.LTable:
			if L.GetMetaField(x, "__tostring") == lua.LNil {
				L.ArgError(i, "expected table to have __tostring metamethod")
			}
			b.WriteString(L.ToStringMeta(x).String())
		default:
			L.ArgError(i, "string, number, boolean, or nil expected, got "+v.Type().String())
		}
	}
	var conn *errlog.Conn
	if t := w.Current(); t != nil {
		conn = t.Conn
	}
	if lim != nil { // the cause is the text, wherever it was logged from
		msg := b.String()
		lg.LogLimited(lim, level, conn, msg[prefix:], msg)
		return
	}
	lg.LogConn(level, conn, b.String())
}

func installTimer(w *luavm.Worker, ngx *lua.LTable) {
	L := w.L
	timer := L.NewTable()
	ngx.RawSetString("timer", timer)
	timerAPI := apiFuncs(w, timer, "ngx.timer.")
	arm := func(every bool) lua.LGFunction {
		return func(L *lua.LState) int {
			delay := float64(L.CheckNumber(1))
			f := L.CheckFunction(2)
			if math.IsNaN(delay) || delay < 0 {
				delay = 0 // as OpenResty: a negative delay fires at once
			}
			if every && delay == 0 {
				L.RaiseError("delay cannot be zero")
			}
			var args []lua.LValue
			if n := L.GetTop(); n > 2 {
				args = make([]lua.LValue, 0, n-2)
				for i := 3; i <= n; i++ {
					args = append(args, L.Get(i))
				}
			}
			if err := w.TimerAt(time.Duration(delay*float64(time.Second)), f, args, every); err != nil {
				return luaFail(L, err.Error())
			}
			L.Push(lua.LNumber(1)) // OpenResty returns 1, not true
			return 1
		}
	}
	timerAPI("at", arm(false))
	timerAPI("every", arm(true))
	timerAPI("running_count", func(L *lua.LState) int {
		L.Push(lua.LNumber(w.RunningTimers()))
		return 1
	})
	timerAPI("pending_count", func(L *lua.LState) int {
		L.Push(lua.LNumber(w.PendingTimers()))
		return 1
	})
}

func installTime(w *luavm.Worker, ngx *lua.LTable) {
	api := apiFuncs(w, ngx, "ngx.")
	api("now", func(L *lua.LState) int {
		// the worker's cached clock, to the millisecond (nginx's
		// ngx_cached_time): no clock read here
		L.Push(lua.LNumber(float64(w.Now().UnixMilli()) / 1000))
		return 1
	})
	api("time", func(L *lua.LState) int {
		L.Push(lua.LNumber(w.Now().Unix()))
		return 1
	})
	api("update_time", func(L *lua.LState) int {
		w.UpdateTime()
		return 0
	})
	api("today", func(L *lua.LState) int {
		L.Push(lua.LString(w.Now().Format("2006-01-02")))
		return 1
	})
	api("localtime", func(L *lua.LState) int {
		L.Push(lua.LString(w.Now().Format("2006-01-02 15:04:05")))
		return 1
	})
	api("utctime", func(L *lua.LState) int {
		L.Push(lua.LString(w.Now().UTC().Format("2006-01-02 15:04:05")))
		return 1
	})
	api("http_time", func(L *lua.LState) int {
		sec := int64(L.CheckNumber(1))
		L.Push(lua.LString(time.Unix(sec, 0).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")))
		return 1
	})
	api("cookie_time", func(L *lua.LState) int {
		sec := int64(L.CheckNumber(1))
		L.Push(lua.LString(time.Unix(sec, 0).UTC().Format("Mon, 02-Jan-06 15:04:05 GMT")))
		return 1
	})
	api("parse_http_time", func(L *lua.LState) int {
		s := L.CheckString(1)
		if t, ok := parseHTTPTime(s); ok {
			L.Push(lua.LNumber(t.Unix()))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	})
}

// parseHTTPTime accepts the formats nginx's ngx_parse_http_time does:
// RFC 1123, RFC 850 and asctime.
func parseHTTPTime(s string) (time.Time, bool) {
	for _, layout := range []string{
		"Mon, 02 Jan 2006 15:04:05 GMT",
		"Monday, 02-Jan-06 15:04:05 GMT",
		"Mon, 02-Jan-06 15:04:05 GMT",
		"Mon Jan _2 15:04:05 2006",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
