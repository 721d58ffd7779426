package luavm

import "errors"

// Phase is the kind of code a light thread runs; it decides which ngx APIs
// may be called (see ngxapi/phases.go) and whether the thread may yield.
type Phase uint8

const (
	PhaseInit Phase = iota
	PhaseInitWorker
	PhaseSSLSessionStore
	PhaseSSLSessionFetch
	PhaseContent
	PhaseTimer
	PhaseSet          // set_by_lua*: returns a variable's value
	PhaseRewrite      // rewrite_by_lua*
	PhaseAccess       // access_by_lua*
	PhaseHeaderFilter // header_filter_by_lua*
	PhaseBodyFilter   // body_filter_by_lua*
	PhaseLog          // log_by_lua*
	PhaseSSLCert      // ssl_certificate_by_lua*
	PhaseSSLHello     // ssl_client_hello_by_lua*
	PhaseBalancer     // balancer_by_lua*
	NumPhases         // number of phases; not a phase
)

var phaseNames = [NumPhases]string{
	PhaseInit:            "init",
	PhaseInitWorker:      "init_worker",
	PhaseSSLSessionStore: "ssl_session_store",
	PhaseSSLSessionFetch: "ssl_session_fetch",
	PhaseContent:         "content",
	PhaseTimer:           "timer",
	PhaseSet:             "set",
	PhaseRewrite:         "rewrite",
	PhaseAccess:          "access",
	PhaseHeaderFilter:    "header_filter",
	PhaseBodyFilter:      "body_filter",
	PhaseLog:             "log",
	PhaseSSLCert:         "ssl_cert",
	PhaseSSLHello:        "ssl_client_hello",
	PhaseBalancer:        "balancer",
}

var phaseContexts = [NumPhases]string{
	PhaseInit:            "init_by_lua*",
	PhaseInitWorker:      "init_worker_by_lua*",
	PhaseSSLSessionStore: "ssl_session_store_by_lua*",
	PhaseSSLSessionFetch: "ssl_session_fetch_by_lua*",
	PhaseContent:         "content_by_lua*",
	PhaseTimer:           "ngx.timer",
	PhaseSet:             "set_by_lua*",
	PhaseRewrite:         "rewrite_by_lua*",
	PhaseAccess:          "access_by_lua*",
	PhaseHeaderFilter:    "header_filter_by_lua*",
	PhaseBodyFilter:      "body_filter_by_lua*",
	PhaseLog:             "log_by_lua*",
	PhaseSSLCert:         "ssl_certificate_by_lua*",
	PhaseSSLHello:        "ssl_client_hello_by_lua*",
	PhaseBalancer:        "balancer_by_lua*",
}

// phaseLimits names what bounds each phase's light threads (the running
// code is interrupted there with "<name> exceeded"): the directive that
// sets Options.Timeouts for it, or for the fetch hook the handshake
// deadline its caller gives in Request.Deadline. Timers have no bound by
// default (ngx.timer callbacks may run for the worker's lifetime, as in
// OpenResty); a phase added here gets its row and its Timeouts entry.
var phaseLimits = [NumPhases]string{
	PhaseInit:            "lua_hook_timeout",
	PhaseInitWorker:      "lua_hook_timeout",
	PhaseSSLSessionStore: "lua_hook_timeout",
	PhaseSSLSessionFetch: "handshake deadline",
	PhaseContent:         "lua_content_timeout",
	PhaseTimer:           "lua_timer_timeout",
	PhaseSet:             "lua_hook_timeout",
	PhaseRewrite:         "lua_content_timeout",
	PhaseAccess:          "lua_content_timeout",
	PhaseHeaderFilter:    "lua_hook_timeout",
	PhaseBodyFilter:      "lua_hook_timeout",
	PhaseLog:             "lua_hook_timeout",
}

// limitErrs are the errors a deadline context reports, one per phase, made
// once (no allocation when a deadline fires).
var limitErrs = func() (e [NumPhases]error) {
	for p := range e {
		e[p] = errors.New(phaseLimits[p] + " exceeded")
	}
	return
}()

// String is the name ngx.get_phase() returns.
func (p Phase) String() string {
	if p < NumPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// Context is the name used in "API disabled in the context of ..." errors
// and in error log lines.
func (p Phase) Context() string {
	if p < NumPhases {
		return phaseContexts[p]
	}
	return "unknown"
}

// Yieldable reports whether a light thread in this phase may suspend
// (ngx.sleep, cosockets). init, init_worker and the session store hook run
// to completion in one go, under Options.HookTimeout.
func (p Phase) Yieldable() bool {
	switch p {
	case PhaseSSLSessionFetch, PhaseContent, PhaseTimer, PhaseRewrite, PhaseAccess, PhaseSSLCert, PhaseSSLHello:
		return true
	}
	return false
}

// tracebacks reports whether a Lua error of this phase is logged with its
// stack traceback, as OpenResty logs it: the yieldable phases and the
// request's set, filter and log phases; not init, init_worker, the session
// store hook (its hot path gets no entry function) or the balancer.
func (p Phase) tracebacks() bool {
	switch p {
	case PhaseSet, PhaseHeaderFilter, PhaseBodyFilter, PhaseLog:
		return true
	}
	return p.Yieldable()
}

// failurePrefix is how OpenResty introduces a Lua error of this phase in
// the error log.
func (p Phase) failurePrefix() string {
	switch p {
	case PhaseInit:
		return "init_by_lua error: "
	case PhaseInitWorker:
		return "init_worker_by_lua error: "
	case PhaseSSLSessionStore:
		return "failed to run session_store_by_lua*: "
	case PhaseSet, PhaseHeaderFilter, PhaseBodyFilter, PhaseLog, PhaseBalancer:
		return "failed to run " + p.Context() + ": "
	}
	return "lua entry thread aborted: runtime error: "
}
