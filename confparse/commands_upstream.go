package confparse

import (
	"strings"
	"time"
)

// Upstream is an "upstream NAME { ... }" block: proxy_pass http://NAME
// balances over its servers.
type Upstream struct {
	Name       string
	Servers    []UpstreamServer
	Balance    string // "" (weighted round robin), "least_conn", "hash"
	HashKey    string // hash KEY (may hold $variables)
	Consistent bool   // hash ... consistent (ketama)
	Keepalive  int    // idle connections kept per worker; 0: none
	// KeepaliveTimeout closes idle upstream connections; default 60s.
	KeepaliveTimeout time.Duration
	Pos              Pos
	// BalancerByLua (balancer_by_lua*) picks the peer of each attempt.
	BalancerByLua *LuaCode
}

// UpstreamServer is one "server ADDRESS [weight=N] [max_fails=N]
// [fail_timeout=T] [backup] [down]" of an upstream block.
type UpstreamServer struct {
	Addr        string // host:port (port 80 when not given)
	Weight      int    // default 1
	MaxFails    int    // default 1; 0: never marked failed
	FailTimeout time.Duration
	Backup      bool
	Down        bool
}

func ups(d *directive) *Upstream { return d.c.ups }

// The upstream block, its directives, and the proxy_* settings that use it.
var upstreamCommands = []command{
	{name: "upstream", syntax: "name { ... }", ctx: ctxHTTP, min: 1, max: 1, block: true, set: func(l *loader, d *directive) error {
		h := d.c.http
		for _, u := range h.Upstreams {
			if u.Name == d.args[0] {
				return d.errf(`duplicate upstream "%s"`, d.args[0])
			}
		}
		u := &Upstream{Name: d.args[0], Pos: d.errPos}
		h.Upstreams = append(h.Upstreams, u)
		if err := l.walk(d.block, &dctx{kind: ctxUpstream, id: u, http: h, ups: u}); err != nil {
			return err
		}
		if len(u.Servers) == 0 {
			return &Error{Msg: "no servers are inside upstream", Pos: d.endPos}
		}
		return nil
	}},
	{name: "server", syntax: "address [weight=n] [max_fails=n] [fail_timeout=time] [backup] [down]  (in upstream)", ctx: ctxUpstream, min: 1, max: many, set: setUpstreamServer},
	{name: "least_conn", syntax: "(no arguments)", ctx: ctxUpstream, min: 0, max: 0, once: true, slot: "balance", set: func(l *loader, d *directive) error {
		ups(d).Balance = "least_conn"
		return nil
	}},
	{name: "hash", syntax: "key [consistent]", ctx: ctxUpstream, min: 1, max: 2, once: true, slot: "balance", set: func(l *loader, d *directive) error {
		u := ups(d)
		u.Balance, u.HashKey = "hash", d.args[0]
		if len(d.args) == 2 {
			if d.args[1] != "consistent" {
				return d.errf(`invalid parameter "%s"`, d.args[1])
			}
			u.Consistent = true
		}
		return nil
	}},
	{name: "keepalive", syntax: "connections", ctx: ctxUpstream, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		n, ok := parseInt(d.args[0])
		if !ok || n == 0 {
			return d.errf(`invalid value "%s" in "%s" directive`, d.args[0], d.name)
		}
		ups(d).Keepalive = n
		return nil
	}},

	{name: "keepalive_timeout", syntax: "time  (default 60s; idle upstream connections, in upstream)", ctx: ctxUpstream, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { ups(d).KeepaliveTimeout = v })},
	{name: "keepalive_requests", syntax: "number  (accepted; in upstream)", ctx: ctxUpstream, min: 1, max: 1, once: true, set: num(nil)},
	{name: "keepalive_requests", syntax: "number  (default 1000; HTTP/1.x client connections)", ctx: ctxHSL, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { d.c.settings().KeepaliveRequests = v })},

	{name: "proxy_intercept_errors", syntax: "on | off  (default off: upstream statuses >= 300 with an error_page get it)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().ProxyInterceptErrors = v })},
	{name: "proxy_connect_timeout", syntax: "time  (default 60s)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.settings().ProxyConnectTimeout = v })},
	{name: "proxy_read_timeout", syntax: "time  (default 60s)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.settings().ProxyReadTimeout = v })},
	{name: "proxy_send_timeout", syntax: "time  (default 60s; between two writes of the request)", ctx: ctxHSL, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { d.c.settings().ProxySendTimeout = v })},
	{name: "proxy_http_version", syntax: "1.0 | 1.1  (default 1.0; connections reused only with 1.1, keepalive N and proxy_set_header Connection other than close)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		switch d.args[0] {
		case "1.0", "1.1":
		default:
			return d.errf(`invalid value "%s" in "%s" directive`, d.args[0], d.name)
		}
		d.c.settings().ProxyHTTPVersion = d.args[0]
		return nil
	}},
	{name: "proxy_next_upstream", syntax: "error | timeout | invalid_header | http_500 | http_502 | http_503 | http_504 | http_403 | http_404 | http_429 | non_idempotent | off ...  (default error timeout)", ctx: ctxHSL, min: 1, max: many, once: true, set: func(l *loader, d *directive) error {
		for _, a := range d.args {
			switch strings.ToLower(a) { // a bitmask slot: case-insensitive
			case "error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_403", "http_404", "http_429", "non_idempotent", "off", "denied", "updating":
			default:
				return d.errf(`invalid value "%s"`, a)
			}
		}
		s := d.c.settings()
		s.ProxyNextUpstream = nil
		for _, a := range d.args {
			s.ProxyNextUpstream = append(s.ProxyNextUpstream, strings.ToLower(a))
		}
		return nil
	}},
	{name: "proxy_next_upstream_tries", syntax: "number  (default 0: no limit)", ctx: ctxHSL, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { d.c.settings().ProxyNextUpstreamTries = v })},
}

func setUpstreamServer(l *loader, d *directive) error {
	addr := d.args[0]
	if strings.HasPrefix(addr, "unix:") {
		return d.errf(`invalid parameter "%s"`, addr)
	}
	if !strings.Contains(strings.TrimPrefix(addr, "["), ":") || strings.HasSuffix(addr, "]") {
		addr += ":80"
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if p, ok := parseInt(port); !ok || p < 1 || p > 65535 {
		return d.errf(`invalid port in upstream "%s"`, d.args[0])
	}
	s := UpstreamServer{Addr: addr, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	for _, p := range d.args[1:] {
		k, v, hasV := strings.Cut(p, "=")
		switch {
		case k == "weight" && hasV:
			n, ok := parseInt(v)
			if !ok || n < 1 {
				return d.errf(`invalid parameter "%s"`, p)
			}
			s.Weight = n
		case k == "max_fails" && hasV:
			n, ok := parseInt(v)
			if !ok {
				return d.errf(`invalid parameter "%s"`, p)
			}
			s.MaxFails = n
		case k == "fail_timeout" && hasV:
			t, ok := parseTime(v, true)
			if !ok {
				return d.errf(`invalid parameter "%s"`, p)
			}
			s.FailTimeout = t
		case p == "backup":
			s.Backup = true
		case p == "down":
			s.Down = true
		case k == "max_conns" && hasV, k == "slow_start" && hasV:
			// accepted (nginx plus / newer); no effect
		default:
			return d.errf(`invalid parameter "%s"`, p)
		}
	}
	u := ups(d)
	u.Servers = append(u.Servers, s)
	return nil
}
