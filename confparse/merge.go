package confparse

import (
	"os"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// finish fills defaults and merges inheritable settings downwards
// (http -> server -> location), as nginx's merge_conf callbacks do.
func (l *loader) finish() error {
	c := l.cfg
	m := &c.Main
	if !l.isSet(m, "worker_processes") {
		m.WorkerProcesses = 1
	}
	if !l.isSet(m, "daemon") {
		m.Daemon = true
	}
	if !l.isSet(m, "master_process") {
		m.MasterProcess = true
	}
	if m.PID == "" {
		m.PID = c.Prefix + "logs/nginx.pid"
	}
	if len(m.ErrorLogs) == 0 {
		path := c.Prefix + "logs/error.log"
		if l.opts.ErrorLog != "" {
			path = l.prefixPath(l.opts.ErrorLog)
		}
		m.ErrorLogs = []errlog.Target{{Path: path, Level: errlog.Error}}
	}
	if !l.isSet(&c.Events, "worker_connections") {
		c.Events.WorkerConnections = 512
	}
	h := c.HTTP
	if h == nil {
		return nil
	}
	if !l.isSet(h, "lua_package_path") {
		h.LuaPackagePath = defaultLuaPath
	}
	if !l.isSet(h, "lua_package_cpath") {
		h.LuaPackageCPath = defaultLuaCPath
	}
	defInt(l, h, "lua_max_pending_timers", &h.LuaMaxPendingTimers, 1024)
	defInt(l, h, "lua_max_running_timers", &h.LuaMaxRunningTimers, 256)
	defInt(l, h, "lua_socket_pool_size", &h.LuaSocketPoolSize, 30)
	defInt(l, h, "lua_ssl_verify_depth", &h.LuaSSLVerifyDepth, 1)
	defDur(l, h, "lua_hook_timeout", &h.LuaHookTimeout, time.Second)
	defDur(l, h, "lua_content_timeout", &h.LuaContentTimeout, 60*time.Second)
	defDur(l, h, "resolver_timeout", &h.ResolverTimeout, 30*time.Second)
	defDur(l, h, "lua_socket_connect_timeout", &h.LuaSocketConnectTimeout, 60*time.Second)
	defDur(l, h, "lua_socket_read_timeout", &h.LuaSocketReadTimeout, 60*time.Second)
	defDur(l, h, "lua_socket_send_timeout", &h.LuaSocketSendTimeout, 60*time.Second)
	defDur(l, h, "lua_socket_keepalive_timeout", &h.LuaSocketKeepalive, 60*time.Second)
	defDur(l, h, "client_header_timeout", &h.ClientHeaderTimeout, 60*time.Second)
	if !l.isSet(h, "lua_ssl_protocols") {
		h.LuaSSLProtocols = []string{"TLSv1.2", "TLSv1.3"}
	}
	if !l.isSet(h, "resolver") {
		h.ResolverIPv6 = true
	}

	// http-level defaults are merged from a virtual parent holding nginx's defaults.
	def := Settings{
		Root:                 c.Prefix + "html",
		Index:                []string{"index.html"},
		DefaultType:          "text/plain",
		KeepaliveTimeout:     75 * time.Second,
		KeepaliveRequests:    1000,
		AbsoluteRedirect:     true,
		PortInRedirect:       true,
		ClientMaxBodySize:    1 << 20,
		ClientBodyBufferSize: 16 << 10, // two pages, as nginx on x86-64
		ClientBodyInFileOnly: "off",
		ClientBodyTempPath:   c.Prefix + "client_body_temp",
		ServerTokens:         true,
		AccessLogs:           []AccessLog{{Path: c.Prefix + "logs/access.log", Format: "combined"}},
		ErrorLogs:            m.ErrorLogs,
		ProxyConnectTimeout:  60 * time.Second, ProxyReadTimeout: 60 * time.Second, ProxySendTimeout: 60 * time.Second,
		SendTimeout:      60 * time.Second,
		ProxyHTTPVersion: "1.0", ProxyNextUpstream: []string{"error", "timeout"},
		ProxySSL: &ProxySSL{VerifyDepth: 1, Protocols: []string{"TLSv1.2", "TLSv1.3"}, SessionReuse: true},
	}
	l.mergeSettings(h, &h.Settings, &def)
	defSSL := SSLSettings{
		Protocols:      []string{"TLSv1.2", "TLSv1.3"},
		Ciphers:        "HIGH:!aNULL:!MD5",
		ECDHCurve:      "auto",
		SessionTimeout: 5 * time.Minute,
		SessionTickets: true,
		VerifyClient:   "off",
		VerifyDepth:    1,
	}
	if err := l.mergeSSL(h, &h.SSL, &defSSL, nil); err != nil {
		return err
	}
	httpSock := LuaSocketSettings{
		ConnectTimeout: h.LuaSocketConnectTimeout, ReadTimeout: h.LuaSocketReadTimeout,
		SendTimeout: h.LuaSocketSendTimeout, KeepaliveTimeout: h.LuaSocketKeepalive, PoolSize: h.LuaSocketPoolSize,
		NoLogErrors: h.LuaSocketNoLogErrors,
		Resolver:    h.Resolver, ResolverTimeout: h.ResolverTimeout, ResolverValid: h.ResolverValid, ResolverIPv6: h.ResolverIPv6,
		SSLTrustedCertificate: h.LuaSSLTrustedCertificate, SSLVerifyDepth: h.LuaSSLVerifyDepth, SSLProtocols: h.LuaSSLProtocols,
	}
	for _, srv := range h.Servers {
		l.mergeSettings(srv, &srv.Settings, &h.Settings)
		l.mergeLuaSocket(srv, &srv.LuaSocket, &httpSock)
		if !l.isSet(srv, "http2") {
			srv.HTTP2 = h.HTTP2
		}
		if !l.isSet(srv, "client_header_timeout") {
			srv.ClientHeaderTimeout = h.ClientHeaderTimeout
		}
		if !l.isSet(srv, "underscores_in_headers") {
			srv.UnderscoresInHeaders = h.UnderscoresInHeaders
		}
		if !l.isSet(srv, "ignore_invalid_headers") {
			srv.KeepInvalidHeaders = h.KeepInvalidHeaders
		}
		if err := l.mergeSSL(srv, &srv.SSL, &h.SSL, &h.SSL); err != nil {
			return err
		}
		if len(srv.Listens) == 0 {
			addr := ":8000"
			if os.Geteuid() == 0 {
				addr = ":80"
			}
			srv.Listens = []Listen{{Network: "tcp", Addr: addr, Pos: srv.Pos}}
		}
		if len(srv.Names) == 0 {
			srv.Names = []string{""}
		}
		for _, ls := range srv.Listens {
			if ls.SSL && len(srv.SSL.Certificates) == 0 {
				return &Error{Msg: `no "ssl_certificate" is defined for the "listen ... ssl" directive`, Pos: l.serverPos[srv]}
			}
		}
		l.mergeLocations(srv.Locations, &srv.Settings, &srv.LuaSocket)
		srv.Unmatched = &LocationConf{Pos: srv.Pos, TryFiles: srv.TryFiles, Settings: srv.Settings, LuaSocket: srv.LuaSocket}
	}
	for _, srv := range h.Servers {
		if err := l.checkDupLocations(srv.Locations); err != nil {
			return err
		}
		if err := srv.EachLocation(checkProxySSL); err != nil {
			return err
		}
	}
	return nil
}

// checkProxySSL refuses what nginx refuses of a location proxying to
// https:// (nginx names no position; the location's is given).
func checkProxySSL(lc *LocationConf) error {
	ps := lc.ProxySSL
	if !strings.HasPrefix(lc.ProxyPass, "https://") {
		return nil
	}
	if ps.Verify && ps.TrustedCert == "" {
		return &Error{Msg: "no proxy_ssl_trusted_certificate for proxy_ssl_verify", Pos: lc.Pos}
	}
	if ps.Certificate != "" && ps.CertificateKey == "" {
		return &Error{Msg: `no "proxy_ssl_certificate_key" is defined for certificate "` + ps.Certificate + `"`, Pos: lc.Pos}
	}
	return nil
}

func (l *loader) mergeLocations(locs []*LocationConf, parent *Settings, sock *LuaSocketSettings) {
	for _, loc := range locs {
		l.mergeSettings(loc, &loc.Settings, parent)
		l.mergeLuaSocket(loc, &loc.LuaSocket, sock)
		l.mergeLocations(loc.Locations, &loc.Settings, &loc.LuaSocket)
		for _, ifl := range loc.IfBlocks {
			l.mergeIf(ifl, loc)
		}
	}
}

// mergeIf completes the configuration of an "if" block in location p as
// nginx merges "if in location": settings and the content handler come from
// the location unless the block has its own; root written in the block
// replaces an inherited alias; try_files is the location's only (nginx's
// try_files phase does not see it under an "if").
func (l *loader) mergeIf(ifl, p *LocationConf) {
	l.mergeSettings(ifl, &ifl.Settings, &p.Settings)
	l.mergeLuaSocket(ifl, &ifl.LuaSocket, &p.LuaSocket)
	if ifl.Content == nil && ifl.ProxyPass == "" {
		ifl.Content, ifl.ProxyPass, ifl.SSLSessionMetrics = p.Content, p.ProxyPass, p.SSLSessionMetrics
	}
	if !l.isSet(ifl, "root") {
		ifl.Alias = p.Alias
	}
}

func (l *loader) mergeLuaSocket(id any, s, p *LuaSocketSettings) {
	defDur(l, id, "lua_socket_connect_timeout", &s.ConnectTimeout, p.ConnectTimeout)
	defDur(l, id, "lua_socket_read_timeout", &s.ReadTimeout, p.ReadTimeout)
	defDur(l, id, "lua_socket_send_timeout", &s.SendTimeout, p.SendTimeout)
	defDur(l, id, "lua_socket_keepalive_timeout", &s.KeepaliveTimeout, p.KeepaliveTimeout)
	defInt(l, id, "lua_socket_pool_size", &s.PoolSize, p.PoolSize)
	if !l.isSet(id, "lua_socket_log_errors") {
		s.NoLogErrors = p.NoLogErrors
	}
	if !l.isSet(id, "resolver") {
		s.Resolver, s.ResolverValid, s.ResolverIPv6 = p.Resolver, p.ResolverValid, p.ResolverIPv6
	}
	defDur(l, id, "resolver_timeout", &s.ResolverTimeout, p.ResolverTimeout)
	if !l.isSet(id, "lua_ssl_trusted_certificate") {
		s.SSLTrustedCertificate = p.SSLTrustedCertificate
	}
	defInt(l, id, "lua_ssl_verify_depth", &s.SSLVerifyDepth, p.SSLVerifyDepth)
	if !l.isSet(id, "lua_ssl_protocols") {
		s.SSLProtocols = p.SSLProtocols
	}
}

func defInt(l *loader, id any, name string, p *int, v int) {
	if !l.isSet(id, name) {
		*p = v
	}
}

func defDur(l *loader, id any, name string, p *time.Duration, v time.Duration) {
	if !l.isSet(id, name) {
		*p = v
	}
}

// mergeSettings gives s (written at level id) every value not set there
// from its parent p.
func (l *loader) mergeSettings(id any, s, p *Settings) {
	set := func(n string) bool { return l.isSet(id, n) }
	if !set("root") {
		s.Root = p.Root
	}
	if !set("index") {
		s.Index = p.Index
	}
	if !set("default_type") {
		s.DefaultType = p.DefaultType
	}
	if !set("keepalive_timeout") {
		s.KeepaliveTimeout, s.KeepaliveHeader = p.KeepaliveTimeout, p.KeepaliveHeader
	}
	defInt(l, id, "keepalive_requests", &s.KeepaliveRequests, p.KeepaliveRequests)
	if !set("client_max_body_size") {
		s.ClientMaxBodySize = p.ClientMaxBodySize
	}
	if !set("lua_need_request_body") {
		s.LuaNeedRequestBody = p.LuaNeedRequestBody
	}
	if !set("server_tokens") {
		s.ServerTokens = p.ServerTokens
	}
	if !set("client_body_buffer_size") {
		s.ClientBodyBufferSize = p.ClientBodyBufferSize
	}
	if !set("client_body_in_file_only") {
		s.ClientBodyInFileOnly = p.ClientBodyInFileOnly
	}
	if !set("client_body_temp_path") {
		s.ClientBodyTempPath, s.ClientBodyTempLevels = p.ClientBodyTempPath, p.ClientBodyTempLevels
	}
	if !set("lua_check_client_abort") {
		s.LuaCheckClientAbort = p.LuaCheckClientAbort
	}
	if !set("access_log") {
		s.AccessLogs = p.AccessLogs
	}
	if !set("error_log") {
		s.ErrorLogs = p.ErrorLogs
	}
	if !set("proxy_set_header") {
		s.ProxySetHeaders = p.ProxySetHeaders
	}
	if !set("add_header") {
		s.AddHeaders = p.AddHeaders
	}
	if !set("error_page") {
		s.ErrorPages = p.ErrorPages
	}
	if !set("rewrite_log") {
		s.RewriteLog = p.RewriteLog
	}
	if !set("absolute_redirect") {
		s.AbsoluteRedirect = p.AbsoluteRedirect
	}
	if !set("port_in_redirect") {
		s.PortInRedirect = p.PortInRedirect
	}
	if !set("server_name_in_redirect") {
		s.ServerNameInRedirect = p.ServerNameInRedirect
	}
	if !set("recursive_error_pages") {
		s.RecursiveErrorPages = p.RecursiveErrorPages
	}
	if !set("proxy_intercept_errors") {
		s.ProxyInterceptErrors = p.ProxyInterceptErrors
	}
	if !set("types") {
		s.Types = p.Types
	}
	defDur(l, id, "proxy_connect_timeout", &s.ProxyConnectTimeout, p.ProxyConnectTimeout)
	defDur(l, id, "proxy_read_timeout", &s.ProxyReadTimeout, p.ProxyReadTimeout)
	defDur(l, id, "proxy_send_timeout", &s.ProxySendTimeout, p.ProxySendTimeout)
	defDur(l, id, "send_timeout", &s.SendTimeout, p.SendTimeout)
	defInt(l, id, "proxy_next_upstream_tries", &s.ProxyNextUpstreamTries, p.ProxyNextUpstreamTries)
	if !set("proxy_http_version") {
		s.ProxyHTTPVersion = p.ProxyHTTPVersion
	}
	if !set("proxy_next_upstream") {
		s.ProxyNextUpstream = p.ProxyNextUpstream
	}
	l.mergeProxySSL(id, s, p)
	s.LuaPhases.inherit(&p.LuaPhases)
}

// mergeSSL pairs the certificates and keys written at level id and
// inherits unset TLS settings from p.
func (l *loader) mergeSSL(id any, s, p, parentLevel *SSLSettings) error {
	set := func(n string) bool { return l.isSet(id, n) }
	certs, keys := l.certs[s], l.keys[s]
	if len(certs) > 0 || len(keys) > 0 {
		for i := range certs {
			if i >= len(keys) {
				return &Error{Msg: `no "ssl_certificate_key" is defined for certificate "` + certs[i].Cert + `"`, Pos: l.certPos(id, certs[i])}
			}
			certs[i].Key = keys[i]
		}
		if len(keys) > len(certs) {
			d := l.seen[id]["ssl_certificate_key\x00"]
			return &Error{Msg: `no "ssl_certificate" is defined for certificate key "` + keys[len(certs)] + `"`, Pos: d.errPos}
		}
		s.Certificates = certs
	} else {
		s.Certificates = p.Certificates
	}
	if !set("ssl_protocols") {
		s.Protocols = p.Protocols
	}
	if !set("ssl_ciphers") {
		s.Ciphers = p.Ciphers
	}
	if !set("ssl_prefer_server_ciphers") {
		s.PreferServerCiphers = p.PreferServerCiphers
	}
	if !set("ssl_ecdh_curve") {
		s.ECDHCurve = p.ECDHCurve
	}
	if !set("ssl_session_timeout") {
		s.SessionTimeout = p.SessionTimeout
	}
	if !set("ssl_session_tickets") {
		s.SessionTickets = p.SessionTickets
	}
	if !set("ssl_session_ticket_key") {
		s.SessionTicketKeys = p.SessionTicketKeys
	}
	if !set("ssl_session_cache") {
		s.SessionCache = p.SessionCache
	}
	inheritStr := func(name string, dst *string, src string) {
		if !set(name) {
			*dst = src
		}
	}
	inheritStr("ssl_verify_client", &s.VerifyClient, p.VerifyClient)
	inheritStr("ssl_client_certificate", &s.ClientCertificate, p.ClientCertificate)
	inheritStr("ssl_trusted_certificate", &s.TrustedCert, p.TrustedCert)
	inheritStr("ssl_crl", &s.CRL, p.CRL)
	inheritStr("ssl_dhparam", &s.DHParam, p.DHParam)
	inheritStr("ssl_stapling_file", &s.StaplingFile, p.StaplingFile)
	defInt(l, id, "ssl_verify_depth", &s.VerifyDepth, p.VerifyDepth)
	if !set("ssl_early_data") {
		s.EarlyData = p.EarlyData
	}
	if !set("ssl_stapling") {
		s.Stapling = p.Stapling
	}
	_, isServer := id.(*ServerConf)
	if isServer && len(s.Certificates) > 0 && (s.VerifyClient == "on" || s.VerifyClient == "optional") && s.ClientCertificate == "" {
		// nginx says it without a position; the server block's is given
		return &Error{Msg: "no ssl_client_certificate for ssl_verify_client", Pos: l.sslPos(id)}
	}
	if s.CertificateByLua == nil {
		s.CertificateByLua = p.CertificateByLua
	}
	if s.ClientHelloByLua == nil {
		s.ClientHelloByLua = p.ClientHelloByLua
	}
	return nil
}

// sslPos is where a server's TLS settings are reported: its "{".
func (l *loader) sslPos(id any) Pos {
	return l.serverPos[id.(*ServerConf)]
}

func (l *loader) certPos(id any, c CertPair) Pos {
	return c.Pos
}
