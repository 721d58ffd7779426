package confparse

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// newHandler clears the content handler of loc before a directive sets
// another: as in nginx, the last content_by_lua*, proxy_pass or
// ssl_session_metrics written in a location is the one that serves it.
func newHandler(loc *LocationConf) {
	loc.Content, loc.ProxyPass, loc.SSLSessionMetrics = nil, "", false
}

// Directives of http, server and location that shape requests and responses.
var httpCommands = []command{
	{name: "server", syntax: "{ ... }", ctx: ctxHTTP, min: 0, max: 0, block: true, set: func(l *loader, d *directive) error {
		srv := &ServerConf{Pos: d.pos}
		d.c.http.Servers = append(d.c.http.Servers, srv)
		l.serverPos[srv] = d.errPos
		return l.walk(d.block, &dctx{kind: ctxServer, id: srv, http: d.c.http, srv: srv})
	}},
	{name: "log_format", syntax: "name [escape=default|json|none] string ...", ctx: ctxHTTP, min: 2, max: many, set: setLogFormat},
	{name: "types", syntax: "{ type extension ...; ... }", ctx: ctxHSL, block: true, set: setTypes},
	{name: "root", syntax: "path  (default html)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		if d.c.kind == ctxLocation && l.isSet(d.c.loc, "alias") {
			return d.errf(`"root" directive is duplicate, "alias" directive was specified earlier`)
		}
		d.c.settings().Root = l.prefixPath(d.args[0])
		return nil
	}},
	{name: "alias", syntax: "path  (the location's prefix replaced by path; regex locations: the whole path, with captures)", ctx: ctxLocation, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		if l.isSet(d.c.loc, "root") {
			return d.errf(`"alias" directive is duplicate, "root" directive was specified earlier`)
		}
		p := l.prefixPath(d.args[0])
		if strings.HasSuffix(d.args[0], "/") && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		d.c.loc.Alias = p
		return nil
	}},
	{name: "try_files", syntax: "file ... uri | file ... =code", ctx: ctxSL, min: 2, max: many, once: true, set: func(l *loader, d *directive) error {
		if d.c.kind == ctxLocation {
			d.c.loc.TryFiles = append([]string(nil), d.args...)
		} else {
			d.c.srv.TryFiles = append([]string(nil), d.args...)
		}
		return nil
	}},
	{name: "index", syntax: "file ...  (default index.html)", ctx: ctxHSL, min: 1, max: many, set: func(l *loader, d *directive) error {
		s := d.c.settings()
		s.Index = append(s.Index, d.args...)
		return nil
	}},
	{name: "default_type", syntax: "mime-type  (default text/plain)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		d.c.settings().DefaultType = d.args[0]
		return nil
	}},
	{name: "keepalive_timeout", syntax: "timeout [header_timeout]  (default 75s; 0 closes after each response; idle connections wait the listen address's default server's)", ctx: ctxHSL, min: 1, max: 2, once: true, set: func(l *loader, d *directive) error {
		v, ok := parseTime(d.args[0], false)
		if !ok {
			return d.invalidValue()
		}
		s := d.c.settings()
		if len(d.args) == 2 {
			h, ok := parseTime(d.args[1], true)
			if !ok {
				return d.invalidValue()
			}
			s.KeepaliveHeader = h
		}
		s.KeepaliveTimeout = v
		return nil
	}},
	{name: "client_max_body_size", syntax: "size  (default 1m; 0 = no limit)", ctx: ctxHSL, min: 1, max: 1, once: true, set: size(func(d *directive, v int64) { d.c.settings().ClientMaxBodySize = v })},
	{name: "server_tokens", syntax: "on | off | build  (default on)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		switch strings.ToLower(d.args[0]) { // an enum slot: case-insensitive
		case "on", "build":
			d.c.settings().ServerTokens = true
		case "off":
			d.c.settings().ServerTokens = false
		default:
			return d.errf(`invalid value "%s"`, d.args[0])
		}
		return nil
	}},
	{name: "access_log", syntax: "path | syslog:server=address[,facility=f][,severity=s][,tag=t][,nohostname] [format [buffer=size] [flush=time] [if=condition]] | off", ctx: ctxHSL | ctxLIf, min: 1, max: many, set: setAccessLog},
	{name: "proxy_set_header", syntax: "field value", ctx: ctxHSL, min: 2, max: 2, set: func(l *loader, d *directive) error {
		s := d.c.settings()
		s.ProxySetHeaders = append(s.ProxySetHeaders, Header{Name: d.args[0], Value: d.args[1]})
		return nil
	}},
	{name: "error_page", syntax: "code ... [=[response]] uri", ctx: ctxHSL | ctxLIf, min: 2, max: many, set: func(l *loader, d *directive) error {
		ep := ErrorPage{URI: d.args[len(d.args)-1]}
		for _, a := range d.args[:len(d.args)-1] {
			if r, ok := strings.CutPrefix(a, "="); ok {
				ep.Response = -1
				if r != "" {
					n, ok := parseInt(r)
					if !ok {
						return d.errf(`invalid value "%s"`, a)
					}
					ep.Response = n
				}
				continue
			}
			n, ok := parseInt(a)
			if !ok {
				return d.errf(`invalid value "%s"`, a)
			}
			if n < 300 || n > 599 {
				return d.errf(`value "%s" must be between 300 and 599`, a)
			}
			ep.Codes = append(ep.Codes, n)
		}
		if len(ep.Codes) == 0 {
			return d.errf(`invalid number of arguments in "%s" directive`, d.name)
		}
		s := d.c.settings()
		s.ErrorPages = append(s.ErrorPages, ep)
		return nil
	}},
	{name: "absolute_redirect", syntax: "on | off  (default on; off: redirects keep a relative Location)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().AbsoluteRedirect = v })},
	{name: "port_in_redirect", syntax: "on | off  (default on)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().PortInRedirect = v })},
	{name: "server_name_in_redirect", syntax: "on | off  (default off: the Host header's name)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().ServerNameInRedirect = v })},
	{name: "recursive_error_pages", syntax: "on | off  (default off)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().RecursiveErrorPages = v })},
	{name: "add_header", syntax: "name value [always]  (200 201 204 206 301 302 303 304 307 308, or always)", ctx: ctxHSL | ctxLIf, min: 2, max: 3, set: func(l *loader, d *directive) error {
		a := AddHeader{Name: d.args[0], Value: d.args[1]}
		if len(d.args) == 3 {
			if d.args[2] != "always" {
				return d.errf(`invalid value "%s"`, d.args[2])
			}
			a.Always = true
		}
		s := d.c.settings()
		s.AddHeaders = append(s.AddHeaders, a)
		return nil
	}},
	{name: "client_body_temp_path", syntax: "path [level ...]  (default client_body_temp; where ngx.req.read_body buffers a body past client_body_buffer_size)", ctx: ctxHSL, min: 1, max: 4, once: true, set: setBodyTempPath},
	{name: "proxy_temp_path", syntax: "path [level ...]  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 4, once: true, set: accepted},
	{name: "fastcgi_temp_path", syntax: "path [level ...]  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 4, once: true, set: accepted},
	{name: "scgi_temp_path", syntax: "path [level ...]  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 4, once: true, set: accepted},
	{name: "uwsgi_temp_path", syntax: "path [level ...]  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 4, once: true, set: accepted},
	{name: "sendfile", syntax: "on | off  (accepted; no effect)", ctx: ctxHSL | ctxLIf, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "tcp_nopush", syntax: "on | off  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "tcp_nodelay", syntax: "on | off  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "client_body_buffer_size", syntax: "size  (default 16k)", ctx: ctxHSL, min: 1, max: 1, once: true, set: size(func(d *directive, v int64) { d.c.settings().ClientBodyBufferSize = v })},
	{name: "client_body_in_file_only", syntax: "on | clean | off  (default off)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		switch v := strings.ToLower(d.args[0]); v {
		case "on", "clean", "off":
			d.c.settings().ClientBodyInFileOnly = v
			return nil
		}
		return d.errf(`invalid value "%s"`, d.args[0])
	}},
	{name: "client_body_timeout", syntax: "time  (accepted; no effect)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(nil)},
	{name: "client_header_timeout", syntax: "time  (default 60s; also bounds the TLS handshake, session hooks included; the listen address's default server decides)", ctx: ctxHS, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) {
		if d.c.kind == ctxServer {
			d.c.srv.ClientHeaderTimeout = v
		} else {
			d.c.http.ClientHeaderTimeout = v
		}
	})},
	{name: "underscores_in_headers", syntax: "on | off  (default off: a request header line whose name has \"_\" is ignored; the listen address's default server decides)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) {
		if d.c.kind == ctxServer {
			d.c.srv.UnderscoresInHeaders = v
		} else {
			d.c.http.UnderscoresInHeaders = v
		}
	})},
	{name: "ignore_invalid_headers", syntax: "on | off  (default on: a request header line whose name has other bytes than letters, digits, \"-\" is ignored; the listen address's default server decides)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) {
		if d.c.kind == ctxServer {
			d.c.srv.KeepInvalidHeaders = !v
		} else {
			d.c.http.KeepInvalidHeaders = !v
		}
	})},
	{name: "send_timeout", syntax: "time  (default 60s; between two writes to the client of a proxied upgraded connection, others are written without it)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.settings().SendTimeout = v })},

	{name: "listen", syntax: "address[:port] | port | unix:path [ssl] [http2] [default_server] [reuseport]", ctx: ctxServer, min: 1, max: many, set: setListen},
	{name: "server_name", syntax: "name ...", ctx: ctxServer, min: 1, max: many, set: func(l *loader, d *directive) error {
		d.c.srv.Names = append(d.c.srv.Names, d.args...)
		return nil
	}},
	{name: "http2", syntax: "on | off  (default off)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) {
		if d.c.kind == ctxServer {
			d.c.srv.HTTP2 = v
		} else {
			d.c.http.HTTP2 = v
		}
	})},
	{name: "location", syntax: "[ = | ~ | ~* | ^~ ] uri { ... } | @name { ... }", ctx: ctxSL, min: 1, max: 2, block: true, set: setLocation},
	{name: "set", syntax: "$variable value", ctx: ctxSL | ctxIf, min: 2, max: 2, set: setSet},
	{name: "return", syntax: "code [text] | code URL | URL", ctx: ctxSL | ctxIf, min: 1, max: 2, set: setReturn},
	{name: "rewrite", syntax: "regex replacement [last | break | redirect | permanent]  (RE2 syntax)", ctx: ctxSL | ctxIf, min: 2, max: 3, set: func(l *loader, d *directive) error {
		re, err := regexp.Compile(d.args[0])
		if err != nil {
			return d.errf(`invalid regular expression "%s": %s`, d.args[0], strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		rw := &Rewrite{Re: re, Replacement: d.args[1]}
		if len(d.args) == 3 {
			switch d.args[2] {
			case "last", "break", "redirect", "permanent":
				rw.Flag = d.args[2]
			default:
				return d.errf(`invalid parameter "%s"`, d.args[2])
			}
		}
		steps := d.c.rewrite()
		*steps = append(*steps, RewriteStep{Rewrite: rw, Pos: d.pos})
		return nil
	}},

	{name: "proxy_pass", syntax: "URL", ctx: ctxLocation | ctxLIf, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		u := d.args[0]
		// as nginx, the scheme matches case-insensitively
		scheme, rest, ok := strings.Cut(u, "://")
		if scheme = strings.ToLower(scheme); !ok || (scheme != "http" && scheme != "https") {
			return d.errf("invalid URL prefix")
		}
		u = scheme + "://" + rest
		if rest == "" || rest[0] == '/' {
			return d.errf(`no host in "%s"`, u)
		}
		// nginx cannot tell which part of the URI to replace there
		lc := d.c.loc
		if strings.Contains(rest, "/") && !strings.Contains(u, "$") &&
			(d.c.kind == ctxLIf || lc.Modifier == "~" || lc.Modifier == "~*" || lc.Modifier == "@") {
			return d.errf(`"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`)
		}
		newHandler(lc)
		lc.ProxyPass = u
		return nil
	}},
}

// setBodyTempPath is client_body_temp_path path [level1 [level2 [level3]]]:
// each level is 1 or 2 digits of the file name, as nginx's.
func setBodyTempPath(l *loader, d *directive) error {
	s := d.c.settings()
	s.ClientBodyTempPath = l.prefixPath(d.args[0])
	s.ClientBodyTempLevels = nil
	for _, a := range d.args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 || n > 2 {
			return d.errf(`invalid value "%s"`, a)
		}
		s.ClientBodyTempLevels = append(s.ClientBodyTempLevels, n)
	}
	return nil
}

// hashTuning declares nginx's NAME_hash_bucket_size and NAME_hash_max_size
// for each name: accepted, as Go maps have no buckets to size.
func hashTuning(ctx ctxKind, names ...string) []command {
	var rows []command
	for _, n := range names {
		for _, k := range []string{"_hash_bucket_size", "_hash_max_size"} {
			rows = append(rows, command{name: n + k, syntax: "size  (accepted; Go maps have no buckets to size)", ctx: ctx, min: 1, max: 1, once: true, set: size(nil)})
		}
	}
	return rows
}
