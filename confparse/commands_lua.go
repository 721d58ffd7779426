package confparse

import "time"

// The Lua phases: each is one luaPhase (its _block, _file and, where
// OpenResty has it, string form). The session hooks have no string form in
// OpenResty either.
var luaPhases = concatCommands(
	luaPhase("init_by_lua", ctxHTTP, true, "", func(d *directive) **LuaCode { return &d.c.http.InitByLua }),
	luaPhase("init_worker_by_lua", ctxHTTP, true, "", func(d *directive) **LuaCode { return &d.c.http.InitWorkerByLua }),
	luaPhase("ssl_session_store_by_lua", ctxHTTP, false, "", func(d *directive) **LuaCode { return &d.c.http.SSLSessionStore }),
	luaPhase("ssl_session_fetch_by_lua", ctxHTTP, false, "", func(d *directive) **LuaCode { return &d.c.http.SSLSessionFetch }),
	luaPhase("content_by_lua", ctxLocation|ctxLIf, true, "", func(d *directive) **LuaCode {
		newHandler(d.c.loc)
		return &d.c.loc.Content
	}),
	luaPhase("rewrite_by_lua", ctxHSL|ctxLIf, true, "", func(d *directive) **LuaCode { return &d.c.settings().RewriteByLua }),
	luaPhase("access_by_lua", ctxHSL|ctxLIf, true, "", func(d *directive) **LuaCode { return &d.c.settings().AccessByLua }),
	luaPhase("header_filter_by_lua", ctxHSL|ctxLIf, true, "", func(d *directive) **LuaCode { return &d.c.settings().HeaderFilterByLua }),
	luaPhase("body_filter_by_lua", ctxHSL|ctxLIf, true, "", func(d *directive) **LuaCode { return &d.c.settings().BodyFilterByLua }),
	luaPhase("log_by_lua", ctxHSL|ctxLIf, true, "", func(d *directive) **LuaCode { return &d.c.settings().LogByLua }),
	luaPhase("ssl_certificate_by_lua", ctxHS, false, "", func(d *directive) **LuaCode { return &d.c.ssl().CertificateByLua }),
	luaPhase("ssl_client_hello_by_lua", ctxHS, false, "", func(d *directive) **LuaCode { return &d.c.ssl().ClientHelloByLua }),
	luaPhase("balancer_by_lua", ctxUpstream, false, "", func(d *directive) **LuaCode { return &d.c.ups.BalancerByLua }),
)

// The lua_* directives and the resolver.
var luaCommands = []command{
	{name: "lua_shared_dict", syntax: "name size  (size >= 8k)", ctx: ctxHTTP, min: 2, max: 2, set: setSharedDict},
	{name: "lua_package_path", syntax: "path  (\";;\" = default path, $prefix = prefix)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		d.c.http.LuaPackagePath = luaPath(l, d.args[0], defaultLuaPath)
		return nil
	}},
	{name: "lua_package_cpath", syntax: "path  (\";;\" = default path; C modules cannot load)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		d.c.http.LuaPackageCPath = luaPath(l, d.args[0], defaultLuaCPath)
		return nil
	}},
	{name: "lua_max_pending_timers", syntax: "number  (default 1024)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { d.c.http.LuaMaxPendingTimers = v })},
	{name: "lua_max_running_timers", syntax: "number  (default 256)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { d.c.http.LuaMaxRunningTimers = v })},
	{name: "lua_hook_timeout", syntax: "time  (default 1s; deadline for hooks that cannot yield)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.http.LuaHookTimeout = v })},
	{name: "lua_content_timeout", syntax: "time  (default 60s; 0 = none; content_by_lua* code still running then is interrupted)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.http.LuaContentTimeout = v })},
	{name: "lua_max_string_size", syntax: "size  (default 256m; longer strings raise \"resulting string too large\")", ctx: ctxHTTP, min: 1, max: 1, once: true, set: size(func(d *directive, v int64) { d.c.http.LuaMaxStringSize = v })},
	{name: "lua_max_memory", syntax: "size | off  (default GOMEMLIMIT, else 3/4 of the memory available at start; Lua running past it gets \"not enough memory\")", ctx: ctxHTTP, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		if d.args[0] == "off" {
			d.c.http.LuaMaxMemory = -1
			return nil
		}
		return size(func(d *directive, v int64) { d.c.http.LuaMaxMemory = v })(l, d)
	}},
	{name: "lua_socket_connect_timeout", syntax: "time  (default 60s)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: msec(luaSocketSet(func(s *LuaSocketSettings) *time.Duration { return &s.ConnectTimeout }, func(h *HTTPConf) *time.Duration { return &h.LuaSocketConnectTimeout }))},
	{name: "lua_socket_read_timeout", syntax: "time  (default 60s)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: msec(luaSocketSet(func(s *LuaSocketSettings) *time.Duration { return &s.ReadTimeout }, func(h *HTTPConf) *time.Duration { return &h.LuaSocketReadTimeout }))},
	{name: "lua_socket_send_timeout", syntax: "time  (default 60s)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: msec(luaSocketSet(func(s *LuaSocketSettings) *time.Duration { return &s.SendTimeout }, func(h *HTTPConf) *time.Duration { return &h.LuaSocketSendTimeout }))},
	{name: "lua_socket_keepalive_timeout", syntax: "time  (default 60s)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: msec(luaSocketSet(func(s *LuaSocketSettings) *time.Duration { return &s.KeepaliveTimeout }, func(h *HTTPConf) *time.Duration { return &h.LuaSocketKeepalive }))},
	{name: "lua_socket_pool_size", syntax: "number  (default 30)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: num(luaSocketSet(func(s *LuaSocketSettings) *int { return &s.PoolSize }, func(h *HTTPConf) *int { return &h.LuaSocketPoolSize }))},
	{name: "lua_socket_buffer_size", syntax: "size  (accepted; no effect)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: size(nil)},
	{name: "lua_socket_log_errors", syntax: "on | off  (default on)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: onOff(func(d *directive, on bool) {
		luaSocketSet(func(s *LuaSocketSettings) *bool { return &s.NoLogErrors }, func(h *HTTPConf) *bool { return &h.LuaSocketNoLogErrors })(d, !on)
	})},
	{name: "lua_ssl_trusted_certificate", syntax: "file", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		luaSocketSet(func(s *LuaSocketSettings) *string { return &s.SSLTrustedCertificate }, func(h *HTTPConf) *string { return &h.LuaSSLTrustedCertificate })(d, p)
		return pemCertsMustLoad(d, p)
	}},
	{name: "lua_ssl_verify_depth", syntax: "number  (default 1)", ctx: ctxHSL, min: 1, max: 1, once: true, set: num(luaSocketSet(func(s *LuaSocketSettings) *int { return &s.SSLVerifyDepth }, func(h *HTTPConf) *int { return &h.LuaSSLVerifyDepth }))},
	{name: "lua_ssl_protocols", syntax: "protocol ...  (default TLSv1.2 TLSv1.3)", ctx: ctxHSL, min: 1, max: many, once: true, set: func(l *loader, d *directive) error {
		p, err := protocols(d)
		luaSocketSet(func(s *LuaSocketSettings) *[]string { return &s.SSLProtocols }, func(h *HTTPConf) *[]string { return &h.LuaSSLProtocols })(d, p)
		return err
	}},
	{name: "lua_check_client_abort", syntax: "on | off  (default off)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().LuaCheckClientAbort = v })},
	{name: "lua_need_request_body", syntax: "on | off  (default off; the body is read before rewrite/access/content_by_lua*)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: onOff(func(d *directive, on bool) { d.c.settings().LuaNeedRequestBody = on })},
	{name: "lua_code_cache", syntax: "on | off  (accepted; code is always cached)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "resolver", syntax: "address ... [valid=time] [ipv6=on|off]", ctx: ctxHSL, min: 1, max: many, once: true, set: setResolver},
	{name: "resolver_timeout", syntax: "time  (default 30s)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(luaSocketSet(func(s *LuaSocketSettings) *time.Duration { return &s.ResolverTimeout }, func(h *HTTPConf) *time.Duration { return &h.ResolverTimeout }))},
	{name: "rewrite_by_lua_no_postpone", syntax: "on | off  (default off)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.http.RewriteByLuaNoPostpone = v })},
	{name: "access_by_lua_no_postpone", syntax: "on | off  (default off; no other access-phase module: no effect)", ctx: ctxHTTP, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.http.AccessByLuaNoPostpone = v })},
	{name: "set_by_lua_block", syntax: "$res { lua }", ctx: ctxSL | ctxIf, block: true, min: 1, max: 1, set: setByLua},
	{name: "set_by_lua_file", syntax: "$res file [$arg ...]", ctx: ctxSL | ctxIf, min: 2, max: many, set: setByLua},
	{name: "set_by_lua", syntax: "$res 'lua' [$arg ...]", ctx: ctxSL | ctxIf, min: 2, max: many, set: setByLua},
}
