package httpserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/tlssession"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// vserver is one server block.
type vserver struct {
	conf  *confparse.ServerConf
	locs  *locTable
	tls   *tls.Config          // nil: no certificate
	named map[string]*location // "@name" locations
	name  string               // first server_name ($server_name)
	vhost string
	cv    *clientVerify // ssl_verify_client; nil when off
	cert  *luavm.Chunk  // ssl_certificate_by_lua*, nil when none
	hello *luavm.Chunk  // ssl_client_hello_by_lua*, nil when none
}

// addrGroup is every server block listening on one address.
type addrGroup struct {
	key       string
	network   string
	addr      string
	ssl       bool
	mtls      bool // a server block here checks client certificates
	reuseport bool
	h2        bool
	servers   []*vserver
	def       *vserver
	names     *nameTable
	base      *tls.Config // nil on plain HTTP
	srv       *http.Server
	ln        *genListener
	alt       *http.Server // over TLS: failed handshakes (tlsstrict.go); h2 is h2conn.go's
	handoff   *handoff     // alt's listener
	lean      leanSet      // the HTTP/1.x connections the lean loop serves (lean.go)
	h1        *handoff     // srv's listener: what the lean loop hands to net/http
	fresh     atomic.Int64 // accepted connections whose first request is not read yet
}

// generation is everything built from one configuration; a reload builds
// a new one and retires the old one once its connections are done.
type generation struct {
	cfg    *confparse.Config
	log    *errlog.Logger
	pool   *luavm.Pool
	mgr    *tlssession.Manager
	groups []*addrGroup
	chunks map[*confparse.LuaCode]*luavm.Chunk
	// fileChunks: the _file chunks of paths with variables, by path
	fileChunks sync.Map
	setVars    map[string]bool
	logs       *accessLogs
	// error_log at http/server/location level differing from the main
	// one: the logger of each such level (by its Settings), one Logger per
	// distinct target list.
	levelLogs map[*confparse.Settings]*errlog.Logger
	errLogs   map[string]*errlog.Logger
	transport *http.Transport
	// proxy_ssl_* configurations of the locations proxying to https://,
	// and the transports speaking TLS with them
	proxyTLS      map[*confparse.ProxySSL]*proxyTLS
	tlsTransports proxyTransports
	upstreams     map[string]*upstreamPool  // upstream blocks by name
	maps          map[string]*confparse.Map // map variables by name
	started       bool
	warnings      []string
	wg            sync.WaitGroup
}

type buildError struct{ msg string }

func (e *buildError) Error() string { return e.msg }

// build makes a generation; sockets come from (and new ones go to) socks.
func build(cfg *confparse.Config, log *errlog.Logger, socks map[string]*socket, atStart ...func() error) (g *generation, err error) {
	g = &generation{cfg: cfg, log: log, chunks: map[*confparse.LuaCode]*luavm.Chunk{}, setVars: map[string]bool{}}
	defer func() {
		if err != nil {
			if g.pool != nil {
				g.pool.Close()
			}
			g.release()
		}
	}()
	h := cfg.HTTP
	if h == nil {
		h = &confparse.HTTPConf{}
	}
	compile := func(c *confparse.LuaCode) (*luavm.Chunk, error) {
		if c == nil || c.PathVars != "" {
			return nil, nil
		}
		if ch, ok := g.chunks[c]; ok {
			return ch, nil
		}
		ch, err := CompileLua(c)
		if err != nil {
			return nil, err
		}
		g.chunks[c] = ch
		return ch, nil
	}
	compileLoc := func(l *confparse.LocationConf) error {
		lp := &l.LuaPhases
		for _, c := range []*confparse.LuaCode{l.Content, lp.RewriteByLua, lp.AccessByLua, lp.HeaderFilterByLua, lp.BodyFilterByLua, lp.LogByLua} {
			if _, err := compile(c); err != nil {
				return err
			}
		}
		return g.rewriteSteps(l.Rewrite, compile)
	}
	for _, s := range h.Servers {
		if err := g.rewriteSteps(s.Rewrite, compile); err != nil {
			return g, err
		}
		if err := s.EachLocation(compileLoc); err != nil {
			return g, err
		}
	}
	init, err := compile(h.InitByLua)
	if err != nil {
		return g, err
	}
	initWorker, err := compile(h.InitWorkerByLua)
	if err != nil {
		return g, err
	}
	store, err := compile(h.SSLSessionStore)
	if err != nil {
		return g, err
	}
	fetch, err := compile(h.SSLSessionFetch)
	if err != nil {
		return g, err
	}

	// access logs, error logs of servers and locations
	g.logs, err = openAccessLogs(cfg)
	if err != nil {
		return g, err
	}
	if err := g.openLevelLogs(h); err != nil {
		return g, err
	}

	if err := checkDicts(h); err != nil {
		return g, err
	}
	env := &ngxapi.Env{Config: cfg, Dicts: shdict.Default}
	install := ngxapi.Installer(env)
	opts := luavm.Options{
		Workers:          cfg.Main.WorkerProcesses,
		Prefix:           cfg.Prefix,
		PackagePath:      h.LuaPackagePath,
		PackageCPath:     h.LuaPackageCPath,
		MaxPendingTimers: h.LuaMaxPendingTimers,
		MaxRunningTimers: h.LuaMaxRunningTimers,
		HookTimeout:      h.LuaHookTimeout,
		MaxStringSize:    h.LuaMaxStringSize,
		MaxMemory:        h.LuaMaxMemory,
		Log:              log,
		Install:          install,
		Init:             init,
		InitWorker:       initWorker,
		DeferInitWorker:  true, // run at the end of build, after atStart
	}
	for _, ph := range []luavm.Phase{luavm.PhaseRewrite, luavm.PhaseAccess, luavm.PhaseContent} {
		opts.Timeouts[ph] = luavm.NoneIfZero(h.LuaContentTimeout)
	}
	g.pool, err = luavm.NewPool(opts)
	if err != nil {
		return g, err
	}
	g.mgr, err = tlssession.New(tlssession.Options{HTTP: h, Pool: g.pool, Store: store, Fetch: fetch, Dicts: shdict.Default, Log: log})
	if err != nil {
		return g, err
	}
	for _, u := range h.Upstreams {
		if _, err := compile(u.BalancerByLua); err != nil {
			return g, err
		}
	}
	g.upstreams = upstreamPools(h)
	if g.proxyTLS, err = proxyTLSConfigs(h); err != nil {
		return g, err
	}
	g.maps = map[string]*confparse.Map{}
	for _, m := range h.Maps {
		g.maps[m.Var] = m
	}
	g.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         upstreamDial,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true,
	}

	// server blocks and address groups
	byKey := map[string]*addrGroup{}
	var order []string
	for _, sc := range h.Servers {
		vs := &vserver{conf: sc}
		if len(sc.Names) > 0 {
			vs.name = sc.Names[0]
		}
		named := map[string]*location{}
		vs.named = named
		vs.locs, err = buildLocations(sc.Locations, named)
		if err != nil {
			return g, &buildError{err.Error()}
		}
		for _, l := range sc.Listens {
			key := l.Network + " " + l.Addr
			grp := byKey[key]
			if grp == nil {
				grp = &addrGroup{key: key, network: l.Network, addr: l.Addr}
				byKey[key] = grp
				order = append(order, key)
			}
			grp.ssl = grp.ssl || l.SSL
			grp.reuseport = grp.reuseport || l.Reuseport
			grp.h2 = grp.h2 || l.HTTP2
			grp.servers = append(grp.servers, vs)
			if l.DefaultServer && grp.def == nil {
				grp.def = vs
			}
		}
		vs.vhost = tlssession.VhostName(sc)
		if vs.cert, err = compile(sc.SSL.CertificateByLua); err != nil {
			return g, err
		}
		if vs.hello, err = compile(sc.SSL.ClientHelloByLua); err != nil {
			return g, err
		}
	}
	for _, key := range order {
		grp := byKey[key]
		if grp.def == nil {
			grp.def = grp.servers[0]
		}
		grp.names, err = newNameTable(displayAddr(grp.network, grp.addr), grp.servers, grp.def)
		if err != nil {
			return g, &buildError{err.Error()}
		}
		g.warnings = append(g.warnings, grp.names.warnings...)
		g.groups = append(g.groups, grp)
	}
	// TLS configs per server block (once per block, shared by its groups)
	for _, grp := range g.groups {
		if !grp.ssl {
			continue
		}
		for _, vs := range grp.servers {
			if vs.tls != nil || len(vs.conf.SSL.Certificates) == 0 {
				continue
			}
			c, cv, warns, err := buildTLS(vs.conf, grp.h2 || vs.conf.HTTP2)
			if err != nil {
				return g, &buildError{err.Error()}
			}
			vs.cv = cv
			g.warnings = append(g.warnings, warns...)
			if err := g.mgr.Configure(c, vs.conf, vs.vhost); err != nil {
				return g, &buildError{err.Error()}
			}
			vs.tls = c
		}
		for _, vs := range grp.servers {
			grp.mtls = grp.mtls || vs.cv != nil
		}
		if grp.def.tls == nil {
			p := grp.def.conf.Pos
			return g, &buildError{fmt.Sprintf("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in %s:%d", p.File, p.Line)}
		}
		grp.base = g.baseTLS(grp)
	}
	// sockets
	for _, grp := range g.groups {
		s := socks[grp.key]
		if s == nil {
			s, err = openSocket(grp.network, grp.addr, grp.reuseport)
			if err != nil {
				return g, &buildError{err.Error()}
			}
			socks[grp.key] = s
		}
		grp.ln = &genListener{s: s, g: g, grp: grp, done: make(chan struct{})}
		grp.srv = g.httpServer(grp)
		grp.h1 = newHandoff(grp.ln.Addr())
		g.altServer(grp)
	}
	// Everything root may be needed for is done: run atStart (Run's pid
	// file and privilege drop), then let the workers' own Lua run.
	for _, f := range atStart {
		if err := f(); err != nil {
			return g, err
		}
	}
	g.pool.RunInitWorker()
	return g, nil
}

// clientAddr is nginx's $remote_addr of an accepted connection (one
// allocation for TCP: the address text only).
func clientAddr(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip4 := a.IP.To4(); ip4 != nil {
			return net.IP(ip4).String()
		}
		return a.IP.String()
	}
	return "unix:"
}

func displayAddr(network, addr string) string {
	if network == "unix" {
		return "unix:" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "0.0.0.0" + addr
	}
	return addr
}

// baseTLS is the listener's tls.Config: it only picks the server block's
// config by SNI.
func (g *generation) baseTLS(grp *addrGroup) *tls.Config {
	def := grp.def.tls
	mgr := g.mgr
	server := displayAddr(grp.network, grp.addr)
	hsTimeout := headerTimeout(grp)
	return &tls.Config{
		Certificates: def.Certificates,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			var hc *ngxapi.HelloCtx
			if grp.def.hello != nil { // nginx: the default server's, before SNI picks one
				var err error
				if hc, err = g.helloPhase(grp.def, hello, server, hsTimeout); err != nil {
					return nil, err
				}
			}
			c, vs := def, grp.def
			if hello.ServerName != "" {
				if v := grp.names.find(normHost(hello.ServerName)); v != nil && v.tls != nil {
					c, vs = v.tls, v
				}
			}
			var cc *tls.Config
			var verify ngxapi.ClientVerify // ngx.ssl.verify_client
			if vs.cert != nil {
				var err error
				if cc, err = g.certPhase(vs, c, hello, server, hsTimeout, &verify); err != nil {
					return nil, err
				}
			} else {
				cc = connConfig(mgr, c, hello, server, hsTimeout)
			}
			if hc != nil && hc.ProtocolsSet {
				if cc == c {
					cc = c.Clone()
				}
				cc.MinVersion, cc.MaxVersion = hc.MinVersion, hc.MaxVersion
			}
			if verify.On {
				cc = luaVerify(&verify, vs, c, cc, hello.Conn)
			}
			return cc, nil
		},
	}
}

// connConfig is the config of one connection of the server block whose
// config is c (see Manager.ForConn).
func connConfig(mgr *tlssession.Manager, c *tls.Config, hello *tls.ClientHelloInfo, server string, hsTimeout time.Duration) *tls.Config {
	// Session hooks log with the connection's suffixes (nginx's
	// "*N ..., context: ..., client: ADDR, server: LISTEN") and
	// $ssl_session_id comes from the connection's session: both
	// live in the quietConn; ForConn clones c only for server
	// blocks with stateful sessions, and only those need them
	// (the clone's hooks read them during the handshake, after
	// this returns).
	if qc, ok := hello.Conn.(*quietConn); ok {
		cc := mgr.ForConn(c, &qc.sessVal)
		if cc == c {
			return c
		}
		qc.logc = errlog.Conn{ID: qc.id, Client: clientAddr(qc.Conn), Server: server}
		qc.sessVal.Log = &qc.logc
		// http.Server gives the handshake the same deadline
		// (ReadHeaderTimeout); a fetch hook is not waited for
		// past it.
		qc.sessVal.Deadline = time.Now().Add(hsTimeout)
		qc.sess = &qc.sessVal
		return cc
	}
	return c
}

type connKey struct{}

// headerTimeout is client_header_timeout of the address's default server
// (nginx's post_accept_timeout): reading a request header, and the TLS
// handshake.
func headerTimeout(grp *addrGroup) time.Duration {
	if t := grp.def.conf.ClientHeaderTimeout; t > 0 {
		return t
	}
	return 60 * time.Second
}

func (g *generation) httpServer(grp *addrGroup) *http.Server {
	ka := grp.def.conf.KeepaliveTimeout
	srv := &http.Server{
		Handler:           &handler{g: g, grp: grp},
		ReadHeaderTimeout: headerTimeout(grp), // client_header_timeout; also the TLS handshake's deadline
		IdleTimeout:       ka,
		MaxHeaderBytes:    1 << 20, // nginx's limits are checked per request (headerLimits)
		ErrorLog:          nil,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if qc := connOf(c); qc != nil {
				return context.WithValue(ctx, connKey{}, qc)
			}
			return ctx
		},
	}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		qc := connOf(c)
		if qc == nil {
			return
		}
		if st == http.StateNew {
			if qc.fresh.CompareAndSwap(false, true) { // not when the lean loop counted it
				grp.fresh.Add(1)
			}
		} else if qc.fresh.CompareAndSwap(true, false) {
			grp.fresh.Add(-1)
		}
	}
	srv.ErrorLog = newServerLogger(g.log, displayAddr(grp.network, grp.addr))
	if ka <= 0 {
		srv.SetKeepAlivesEnabled(false)
	}
	return srv
}

// start serves every address group.
func (g *generation) start() {
	g.started = true
	for _, grp := range g.groups {
		grp := grp
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			grp.leanAccept()
			close(grp.ln.done)
		}()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			grp.srv.Serve(grp.h1)
		}()
		if grp.alt != nil {
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				grp.alt.Serve(grp.handoff)
			}()
		}
	}
}

// detach stops accepting (sockets stay open for the next generation) and
// returns once no accept loop of this generation can take a connection.
func (g *generation) detach() {
	for _, grp := range g.groups {
		if grp.ln != nil {
			grp.ln.detach()
		}
	}
	if !g.started {
		return
	}
	for _, grp := range g.groups {
		if grp.ln != nil {
			grp.ln.waitDetached()
		}
	}
}

// freshGrace bounds how long a retiring generation waits for connections
// it accepted to send their first request (http.Server.Shutdown would drop
// them unanswered).
const freshGrace = time.Second

// shutdown finishes in-flight requests, then stops the Lua VMs gracefully.
func (g *generation) shutdown(ctx context.Context) {
	g.detach()
	deadline := time.Now().Add(freshGrace)
	for _, grp := range g.groups {
		for grp.fresh.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	for _, grp := range g.groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			grp.stopServers(func(l *leanSet) { l.shutdown(ctx) }, func(s *http.Server) { s.Shutdown(ctx) })
		}()
	}
	wg.Wait()
	if g.pool != nil {
		g.pool.Shutdown(ctx)
	}
	g.release()
}

// dictNames are the shdict registry names cfg uses: its lua_shared_dict
// zones and its "ssl_session_cache shared:NAME" caches (tlssession opens
// those as "ssl_session_cache:NAME").
func dictNames(cfg *confparse.Config) []string {
	h := cfg.HTTP
	if h == nil {
		return nil
	}
	var names []string
	for _, sd := range h.SharedDicts {
		names = append(names, sd.Name)
	}
	add := func(sc confparse.SessionCache) {
		if sc.Mode == confparse.SessionCacheShared {
			names = append(names, "ssl_session_cache:"+sc.Name)
		}
	}
	add(h.SSL.SessionCache)
	for _, s := range h.Servers {
		add(s.SSL.SessionCache)
	}
	return names
}

// retainDicts frees the shared dicts a committed configuration no longer
// declares; kept ones (same name and size) keep their contents. A retiring
// generation still holds its own dicts until it is gone.
func retainDicts(cfg *confparse.Config) { shdict.Default.Retain(dictNames(cfg)) }

// close stops at once.
func (g *generation) close() {
	g.detach()
	for _, grp := range g.groups {
		grp.stopServers((*leanSet).closeAll, func(s *http.Server) { s.Close() })
	}
	if g.pool != nil {
		g.pool.Close()
	}
	g.release()
}

// openLevelLogs opens the error logs named by error_log in http, server
// and location blocks where they differ from the main ones.
func (g *generation) openLevelLogs(h *confparse.HTTPConf) error {
	open := func(st *confparse.Settings) error {
		if len(st.ErrorLogs) == 0 || sameTargets(st.ErrorLogs, g.cfg.Main.ErrorLogs) {
			return nil
		}
		key := fmt.Sprint(st.ErrorLogs)
		l := g.errLogs[key]
		if l == nil {
			var err error
			if l, err = errlog.New(st.ErrorLogs); err != nil {
				return &buildError{err.Error()}
			}
			if g.errLogs == nil {
				g.errLogs = map[string]*errlog.Logger{}
				g.levelLogs = map[*confparse.Settings]*errlog.Logger{}
			}
			g.errLogs[key] = l
		}
		g.levelLogs[st] = l
		return nil
	}
	for _, s := range h.Servers {
		if err := open(&s.Settings); err != nil {
			return err
		}
		if err := s.EachLocation(func(l *confparse.LocationConf) error { return open(&l.Settings) }); err != nil {
			return err
		}
	}
	return nil
}

// reopenLogs reopens the access logs and the server/location error logs
// (USR1).
func (g *generation) reopenLogs() {
	if g.logs != nil {
		g.logs.reopen()
	}
	for _, l := range g.errLogs {
		l.Reopen()
	}
}

func (g *generation) release() {
	// Idle pooled cosocket connections (setkeepalive) of this generation's
	// workers: nothing can reuse them once its VMs are gone.
	if g.pool != nil {
		if ws := g.pool.Workers(); len(ws) > 0 {
			ngxapi.CloseSocketPools(ws...)
		}
	}
	if g.transport != nil {
		g.transport.CloseIdleConnections()
	}
	g.tlsTransports.closeIdle()
	for _, pl := range g.upstreams {
		pl.close()
	}
	if g.logs != nil {
		g.logs.close()
	}
	for _, l := range g.errLogs {
		l.Close()
	}
}

// CompileLua compiles one Lua directive's code; a failure is an [emerg] at
// the directive's file:line in OpenResty's words.
func CompileLua(c *confparse.LuaCode) (*luavm.Chunk, error) {
	ch, err := luavm.Compile(c.Source, c.File, c.Name)
	if err != nil {
		msg := "failed to load inlined Lua code: " + err.Error()
		if c.File != "" {
			msg = fmt.Sprintf("failed to load external Lua file \"%s\": %s", c.File, err)
		}
		return nil, &confparse.Error{Msg: msg, Pos: c.Pos}
	}
	return ch, nil
}
