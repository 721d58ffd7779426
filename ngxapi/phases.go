package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// phaseSet is a set of phases, one bit each.
type phaseSet uint32

func phases(ps ...luavm.Phase) phaseSet {
	var s phaseSet
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

func (s phaseSet) has(p luavm.Phase) bool { return s&(1<<p) != 0 }

const (
	pInit       = luavm.PhaseInit
	pInitWorker = luavm.PhaseInitWorker
	pStore      = luavm.PhaseSSLSessionStore
	pFetch      = luavm.PhaseSSLSessionFetch
	pContent    = luavm.PhaseContent
	pTimer      = luavm.PhaseTimer
	pSet        = luavm.PhaseSet
	pRewrite    = luavm.PhaseRewrite
	pAccess     = luavm.PhaseAccess
	pHeader     = luavm.PhaseHeaderFilter
	pBody       = luavm.PhaseBodyFilter
	pLog        = luavm.PhaseLog
	pCert       = luavm.PhaseSSLCert
	pHello      = luavm.PhaseSSLHello
	pBalancer   = luavm.PhaseBalancer
)

var (
	anyPhase     = notInit | phases(pInit)
	notInit      = phases(pInitWorker, pStore, pFetch, pContent, pTimer, pSet, pRewrite, pAccess, pHeader, pBody, pLog, pCert, pHello, pBalancer)
	yieldable    = phases(pFetch, pContent, pTimer, pRewrite, pAccess, pCert, pHello) // may suspend the light thread
	requestOnly  = phases(pRewrite, pAccess, pContent)                                // the phases that may produce the response
	reqPhases    = requestOnly | phases(pSet, pHeader, pBody, pLog, pBalancer)        // every phase of an HTTP request
	sessionHooks = phases(pStore, pFetch)
)

// apiPhases is THE table deciding where each API may be called, following
// OpenResty's "context:" lines. A call elsewhere raises
// "API disabled in the context of <phase context>". Anyone may add rows;
// check() refuses an API missing here, so a new entry point cannot forget it.
var apiPhases = map[string]phaseSet{
	// core (ngx.go)
	"ngx.log":                 anyPhase,
	"print":                   anyPhase,
	"ngx.get_phase":           anyPhase,
	"ngx.sleep":               yieldable,
	"ngx.run_worker_thread":   yieldable,
	"ngx.exit":                phases(pStore, pFetch, pContent, pTimer, pRewrite, pAccess, pHeader, pCert, pHello, pBalancer),
	"ngx.ctx":                 notInit,
	"ngx.timer.at":            notInit,
	"ngx.timer.every":         notInit,
	"ngx.timer.running_count": notInit,
	"ngx.timer.pending_count": notInit,
	"ngx.now":                 anyPhase,
	"ngx.time":                anyPhase,
	"ngx.today":               anyPhase,
	"ngx.localtime":           anyPhase,
	"ngx.utctime":             anyPhase,
	"ngx.update_time":         anyPhase,
	"ngx.http_time":           anyPhase,
	"ngx.cookie_time":         anyPhase,
	"ngx.parse_http_time":     anyPhase,
	"ngx.worker.id":           anyPhase,
	"ngx.worker.count":        anyPhase,
	"ngx.worker.pid":          anyPhase,
	"ngx.worker.pids":         notInit,
	"ngx.worker.exiting":      anyPhase,

	// cosockets (H5): creating and using a socket suspends the thread
	"ngx.socket.tcp":     yieldable,
	"ngx.socket.udp":     yieldable,
	"ngx.socket.connect": yieldable,
	"ngx.socket.stream":  yieldable,

	// shared dicts (H5)
	"ngx.shared": anyPhase,

	// HTTP request and response (H3)
	"ngx.say":                    requestOnly,
	"ngx.print":                  requestOnly,
	"ngx.flush":                  requestOnly,
	"ngx.eof":                    requestOnly,
	"ngx.status":                 reqPhases,
	"ngx.header":                 requestOnly | phases(pHeader, pBody, pLog),
	"ngx.var":                    reqPhases,
	"ngx.redirect":               requestOnly,
	"ngx.send_headers":           requestOnly,
	"ngx.headers_sent":           requestOnly | phases(pSet),
	"ngx.req.get_method":         reqPhases,
	"ngx.req.get_uri_args":       reqPhases,
	"ngx.req.get_post_args":      reqPhases,
	"ngx.req.get_headers":        reqPhases,
	"ngx.req.read_body":          requestOnly,
	"ngx.req.get_body_data":      requestOnly | phases(pLog),
	"ngx.req.get_body_file":      requestOnly,
	"ngx.req.discard_body":       requestOnly,
	"ngx.req.http_version":       reqPhases,
	"ngx.req.raw_header":         reqPhases,
	"ngx.req.start_time":         reqPhases,
	"ngx.req.is_internal":        reqPhases,
	"ngx.req.set_header":         requestOnly | phases(pSet, pHeader, pBody),
	"ngx.req.clear_header":       requestOnly | phases(pSet, pHeader, pBody),
	"ngx.req.set_uri":            requestOnly | phases(pSet),
	"ngx.req.set_uri_args":       requestOnly | phases(pSet),
	"ngx.req.set_method":         requestOnly | phases(pSet),
	"ngx.req.set_body_data":      requestOnly,
	"ngx.req.set_body_file":      requestOnly,
	"ngx.req.init_body":          requestOnly,
	"ngx.req.append_body":        requestOnly,
	"ngx.req.finish_body":        requestOnly,
	"ngx.req.socket":             requestOnly,
	"ngx.location.capture":       requestOnly,
	"ngx.location.capture_multi": requestOnly,
	"ngx.exec":                   requestOnly,
	"ngx.on_abort":               requestOnly,
	"ngx.thread.spawn":           yieldable,
	"ngx.thread.wait":            yieldable,
	"ngx.thread.kill":            yieldable,
	"ngx.resp.get_headers":       reqPhases,

	// ngx.arg (ngx_arg.go): set_by_lua*'s arguments and body_filter_by_lua*'s
	// chunk and eof are read in those two phases; only the latter are written
	"ngx.arg=": phases(pBody),

	// TLS session hooks (H4)
	"ngx.ssl.session.get_session_id":                   sessionHooks,
	"ngx.ssl.session.get_serialized_session":           sessionHooks, // fetch: nil, "bad session in lua context"
	"ngx.ssl.session.set_serialized_session":           phases(pFetch),
	"ngx.ssl.server_name":                              phases(pStore, pFetch, pContent, pCert),
	"ngx.ssl.get_tls1_version":                         phases(pStore, pFetch, pContent, pCert),
	"ngx.ssl.get_tls1_version_str":                     phases(pStore, pFetch, pContent, pCert),
	"ngx.ssl.raw_server_addr":                          phases(pCert),
	"ngx.ssl.raw_client_addr":                          phases(pCert),
	"ngx.ssl.server_port":                              phases(pCert),
	"ngx.ssl.clear_certs":                              phases(pCert),
	"ngx.ssl.set_der_cert":                             phases(pCert),
	"ngx.ssl.set_der_priv_key":                         phases(pCert),
	"ngx.ssl.set_cert":                                 phases(pCert),
	"ngx.ssl.set_priv_key":                             phases(pCert),
	"ngx.balancer.set_current_peer":                    phases(pBalancer),
	"ngx.balancer.set_more_tries":                      phases(pBalancer),
	"ngx.balancer.get_last_failure":                    phases(pBalancer),
	"ngx.balancer.set_timeouts":                        phases(pBalancer),
	"ngx.ssl.clienthello.get_client_hello_server_name": phases(pHello),
	"ngx.ssl.clienthello.get_supported_versions":       phases(pHello),
	"ngx.ssl.clienthello.get_client_hello_ext":         phases(pHello),
	"ngx.ssl.clienthello.get_client_hello_ext_present": phases(pHello),
	"ngx.ssl.clienthello.set_protocols":                phases(pHello),
	"ngx.ssl.verify_client":                            anyPhase, // nil, "API disabled in the current context" outside the TLS phases
	"ngx.ssl.cert_pem_to_der":                          anyPhase, // pure functions
	"ngx.ssl.priv_key_pem_to_der":                      anyPhase,
	"ngx.ssl.parse_pem_cert":                           anyPhase,
	"ngx.ssl.parse_pem_priv_key":                       anyPhase,

	// pure functions (H8): allowed everywhere, listed for completeness
	"ngx.re":         anyPhase,
	"ngx.codec":      anyPhase,
	"cjson":          anyPhase,
	"resty.lrucache": anyPhase,
}

// Allowed reports whether api may run in phase p (for tests and tools).
func Allowed(api string, p luavm.Phase) bool {
	s, ok := apiPhases[api]
	return ok && s.has(p)
}

// currentPhase is the phase of the running light thread; code that runs
// outside one (a module loaded while the worker starts) counts as init.
func currentPhase(w *luavm.Worker) luavm.Phase {
	if t := w.Current(); t != nil {
		return t.Phase
	}
	return luavm.PhaseInit
}

// apiFuncs returns the registrar of table t's API functions: each is set
// as t[name] and gated (check) as prefix+name, its row in the phase table,
// before it runs.
func apiFuncs(w *luavm.Worker, t *lua.LTable, prefix string) func(name string, f lua.LGFunction) {
	return func(name string, f lua.LGFunction) {
		g := gateOf(prefix + name)
		t.RawSetString(name, w.L.NewFunction(func(L *lua.LState) int {
			g.check(w, L)
			return f(L)
		}))
	}
}

// check raises OpenResty's "API disabled in the context of ..." when api
// may not run in the current phase. Every API entry point calls it first.
func check(w *luavm.Worker, L *lua.LState, api string) { gateOf(api).check(w, L) }

// The gates of APIs checked inline (fields of ngx read and written through
// metamethods, the print builtin).
var (
	gateStatus      = gateOf("ngx.status")
	gateHeadersSent = gateOf("ngx.headers_sent")
	gateHeader      = gateOf("ngx.header")
	gateVar         = gateOf("ngx.var")
	gateCtx         = gateOf("ngx.ctx")
	gatePrint       = gateOf("print")
)

// gate is api's row of the phase table, looked up once where the API is
// registered rather than at each call (a map lookup per ngx.say).
type gate struct {
	api string
	s   phaseSet
	ok  bool // api has a row
}

func gateOf(api string) gate {
	s, ok := apiPhases[api]
	return gate{api, s, ok}
}

func (g gate) check(w *luavm.Worker, L *lua.LState) {
	if !g.ok {
		L.RaiseError("goresty: API %s is missing from the phase table", g.api)
	}
	if p := currentPhase(w); !g.s.has(p) {
		L.RaiseError("API disabled in the context of %s", p.Context())
	}
}
