package ngxapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Cosockets: ngx.socket.tcp / ngx.socket.connect / ngx.socket.stream.
//
// Every blocking step (resolve, dial, TLS handshake, read, write) runs in
// the op passed to Worker.Suspend, on its own goroutine; the worker only
// prepares arguments and reads results. While an op runs, the socket's
// connection and read buffer belong to it (the busy flags say so); the
// worker touches them again only after the op has returned.
//
// Each worker has its own keepalive pools (setkeepalive), keyed by
// "host:port", "unix:path" or the connect option pool. An idle pooled
// connection is watched by one goroutine that closes it when the peer
// sends anything or closes, or when the keepalive timeout passes.

func init() {
	register("ngx.socket", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		var http *confparse.HTTPConf
		if env != nil && env.Config != nil {
			http = env.Config.HTTP
		}
		se := newSockEnv(w, http)
		L := w.L
		sock := L.NewTable()
		tcp := L.NewFunction(se.luaTCP)
		sock.RawSetString("tcp", tcp)
		sock.RawSetString("stream", tcp)
		sock.RawSetString("connect", L.NewFunction(se.luaConnect))
		sock.RawSetString("udp", L.NewFunction(se.luaUDP))
		ngx.RawSetString("socket", sock)
	})
}

// sockEnv is one worker's cosocket state.
type sockEnv struct {
	w      *luavm.Worker
	log    *errlog.Logger
	sysDNS bool         // the system resolver has name servers
	defs   sockDefaults // http's lua_socket_*, resolver and lua_ssl_* values

	// quiet (worker goroutine only): sockets made now log their failures
	// through storeLogLimiter, once a second per message (the session
	// store's own sockets, so an outage does not flood the log).
	quiet bool

	mu    sync.Mutex
	pools map[string]*connPool
	nets  map[*confparse.LuaSocketSettings]*netConf // per server/location, made on first use

	tcpMT, udpMT, sessMT *lua.LTable
	reqMT, rawReqMT      *lua.LTable // ngx.req.socket's, made on first use
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sockDefaults are the lua_socket_* values a socket starts with and falls
// back to (settimeout(0), setkeepalive() without arguments).
type sockDefaults struct {
	connTO, sendTO, readTO, keepTO time.Duration
	poolSize                       int
	net                            *netConf
	log                            *errlog.Logger // for failures; nil: lua_socket_log_errors off
}

// netConf is what resolver, resolver_timeout and lua_ssl_* make for the
// level where a socket is created (http, server or location).
type netConf struct {
	resolver    *net.Resolver // nil: system resolver
	tlsRoots    *x509.CertPool
	verifyDepth int
	minTLS      uint16
	maxTLS      uint16
}

func newNetConf(ls *confparse.LuaSocketSettings) *netConf {
	n := &netConf{verifyDepth: 1, minTLS: tls.VersionTLS12, maxTLS: tls.VersionTLS13}
	if len(ls.Resolver) > 0 {
		n.resolver = newResolver(ls.Resolver, orDefault(ls.ResolverTimeout, 30*time.Second))
	}
	if ls.SSLVerifyDepth > 0 {
		n.verifyDepth = ls.SSLVerifyDepth
	}
	if ls.SSLTrustedCertificate != "" {
		// checked at -t and start (a PEM certificate must be there)
		if pem, err := os.ReadFile(ls.SSLTrustedCertificate); err == nil {
			n.tlsRoots = x509.NewCertPool()
			n.tlsRoots.AppendCertsFromPEM(pem)
		}
	}
	if len(ls.SSLProtocols) > 0 {
		n.minTLS, n.maxTLS = tlsRange(ls.SSLProtocols)
	}
	return n
}

// netFor is the netConf of a server's or location's settings, made once.
func (se *sockEnv) netFor(ls *confparse.LuaSocketSettings) *netConf {
	se.mu.Lock()
	defer se.mu.Unlock()
	n := se.nets[ls]
	if n == nil {
		n = newNetConf(ls)
		se.nets[ls] = n
	}
	return n
}

// over returns d with the values set in ls (a server's or location's
// lua_socket_* settings, already merged with http's) taking precedence.
func (d sockDefaults) over(ls *confparse.LuaSocketSettings) sockDefaults {
	if ls == nil {
		return d
	}
	d.connTO = orDefault(ls.ConnectTimeout, d.connTO)
	d.sendTO = orDefault(ls.SendTimeout, d.sendTO)
	d.readTO = orDefault(ls.ReadTimeout, d.readTO)
	d.keepTO = orDefault(ls.KeepaliveTimeout, d.keepTO)
	if ls.PoolSize > 0 {
		d.poolSize = ls.PoolSize
	}
	return d
}

// LuaSocketer is a request context that knows the lua_socket_* settings of
// its location (HTTPCtx): cosockets made in that request use them.
type LuaSocketer interface {
	LuaSocketSettings() *confparse.LuaSocketSettings
}

// current is the defaults for a socket created now: the running request's
// location's, else http's (timers, init_worker, the TLS hooks).
func (se *sockEnv) current() sockDefaults {
	if se.quiet {
		d := se.defs
		d.log = d.log.Limited(storeLogLimiter)
		return d
	}
	if t := se.w.Current(); t != nil {
		if c, ok := t.Ctx.(LuaSocketer); ok {
			ls := c.LuaSocketSettings()
			d := se.defs.over(ls)
			d.log = se.errLog(ls)
			if ls != nil {
				d.net = se.netFor(ls)
			}
			return d
		}
	}
	return se.defs
}

// errLog is the logger of cosocket failures under ls: none with
// lua_socket_log_errors off.
func (se *sockEnv) errLog(ls *confparse.LuaSocketSettings) *errlog.Logger {
	if ls != nil && ls.NoLogErrors {
		return nil
	}
	return se.log
}

func newSockEnv(w *luavm.Worker, http *confparse.HTTPConf) *sockEnv {
	se := &sockEnv{w: w, log: w.Log, pools: make(map[string]*connPool), nets: map[*confparse.LuaSocketSettings]*netConf{},
		defs: sockDefaults{connTO: 60 * time.Second, sendTO: 60 * time.Second, readTO: 60 * time.Second,
			keepTO: 60 * time.Second, poolSize: 30}}
	httpLS := &confparse.LuaSocketSettings{}
	if http != nil {
		httpLS = &confparse.LuaSocketSettings{ConnectTimeout: http.LuaSocketConnectTimeout,
			SendTimeout: http.LuaSocketSendTimeout, ReadTimeout: http.LuaSocketReadTimeout,
			KeepaliveTimeout: http.LuaSocketKeepalive, PoolSize: http.LuaSocketPoolSize,
			NoLogErrors: http.LuaSocketNoLogErrors, Resolver: http.Resolver, ResolverTimeout: http.ResolverTimeout,
			SSLTrustedCertificate: http.LuaSSLTrustedCertificate, SSLVerifyDepth: http.LuaSSLVerifyDepth, SSLProtocols: http.LuaSSLProtocols}
		se.defs = se.defs.over(httpLS)
	}
	se.defs.net = newNetConf(httpLS)
	se.defs.log = se.errLog(httpLS)
	se.sysDNS = systemHasNameservers()
	se.tcpMT = se.newTCPMeta(w.L)
	se.udpMT = se.newUDPMeta(w.L)
	se.sessMT = objectMeta(w.L, "ssl session", nil)
	registerSockEnv(w, se)
	return se
}

var tlsVersions = map[string]uint16{"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}

func tlsRange(protos []string) (min, max uint16) {
	for _, p := range protos {
		v, ok := tlsVersions[p]
		if !ok {
			continue
		}
		if min == 0 || v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	if min == 0 {
		return tls.VersionTLS12, tls.VersionTLS13
	}
	return min, max
}

func newResolver(servers []string, timeout time.Duration) *net.Resolver {
	addrs := make([]string, len(servers))
	for i, s := range servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			s = net.JoinHostPort(strings.Trim(s, "[]"), "53")
		}
		addrs[i] = s
	}
	var next atomic.Uint32
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, network, addrs[int(next.Add(1))%len(addrs)])
	}}
}

func systemHasNameservers() bool {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "nameserver" {
			return true
		}
	}
	return false
}

// suspend runs op off the worker (Worker.Suspend); op's values become the
// results of the Lua call.
func (se *sockEnv) suspend(L *lua.LState, op func() []lua.LValue) int {
	return se.w.Suspend(L, op)
}

// worker -> sockEnv, so CloseSocketPools can reach every pool. An entry
// (with its worker's per-level netConfs, keyed by the configuration's
// pointers) goes when the worker ends, however it ends: a worker replaced
// by the watchdog or left behind by Close would otherwise keep its whole
// generation's configuration alive across reloads.
var sockEnvs sync.Map // *luavm.Worker -> *sockEnv

func registerSockEnv(w *luavm.Worker, se *sockEnv) {
	sockEnvs.Store(w, se)
	go func() {
		<-w.Ended()
		dropSockEnv(w, se)
	}()
}

// dropSockEnv closes a worker's idle pooled connections and forgets it.
func dropSockEnv(w *luavm.Worker, se *sockEnv) {
	se.mu.Lock()
	pools := se.pools
	se.pools = make(map[string]*connPool)
	se.mu.Unlock()
	for _, p := range pools {
		p.closeIdle()
	}
	sockEnvs.CompareAndDelete(w, se)
}

// CloseSocketPools closes every idle pooled cosocket connection of the
// workers given (all workers when none), ending their watcher goroutines.
// httpserver calls it when a worker pool stops.
func CloseSocketPools(workers ...*luavm.Worker) {
	sockEnvs.Range(func(k, v any) bool {
		w := k.(*luavm.Worker)
		if len(workers) > 0 {
			found := false
			for _, x := range workers {
				found = found || x == w
			}
			if !found {
				return true
			}
		}
		dropSockEnv(w, v.(*sockEnv))
		return true
	})
}

type tcpSock struct {
	se *sockEnv
	sockBinding

	conn  net.Conn // nil when not connected
	tlsOn bool
	sess  *clientSession // the TLS session of conn, when tlsOn
	buf   []byte         // read but not yet consumed
	pool  *connPool
	key   string
	reuse int
	// local: bind's address for the next connect; clientCert:
	// setclientcert's certificate for sslhandshake
	local      net.IP
	clientCert *tls.Certificate

	defs           sockDefaults // lua_socket_* where the socket was created
	connTO, sendTO time.Duration
	readTO         atomic.Int64 // a time.Duration; read by ops while another thread may set it

	busyRead, busyWrite, busyConn atomic.Bool
	broken                        atomic.Bool // an op closed the connection after an error
	readFailed                    atomic.Bool // ... after a failed read or send: close() still returns 1
	// readEOF: the peer closed its side; as OpenResty, which then
	// finalizes only the read part, receives say "closed" while sends
	// still go out (until the kernel reports EPIPE) and setkeepalive
	// refuses the connection
	readEOF    atomic.Bool
	closedOnce bool // close() may answer 1 once after a failed read
	cleanup    runtime.Cleanup
	closer     *sockCloser
	sent       *atomic.Int64 // the raw request socket's count of bytes sent
}

// sockBinding ties a cosocket (tcp or udp) to the request or timer using
// it: OpenResty's controlling request, u->request.
type sockBinding struct {
	owner any
	// bound: connect (setpeername) was called, so the socket stays its
	// owner's for good
	bound bool
	// the light thread whose end closes the socket (see bindThread)
	endThread *luavm.Thread
}

// claim makes the socket the running request's (owner o) as it connects:
// a socket never connected may be connected by anyone; once connected by
// one request, another may not connect it again, even after the first has
// ended.
func (b *sockBinding) claim(L *lua.LState, o any) {
	if b.bound {
		L.RaiseError("bad request")
	}
	b.owner = o
}

// bindThread makes the end of the light thread running on w call ended,
// unless a later bindThread from another thread took the socket over, as
// OpenResty's cleanup handler does when the request (or timer) that
// connected a cosocket finishes.
func (b *sockBinding) bindThread(w *luavm.Worker, ended func()) {
	b.bound = true
	t := w.Current()
	if t == nil || b.endThread == t {
		return
	}
	b.endThread = t
	t.OnExit(func() {
		if b.endThread != t {
			return
		}
		b.endThread = nil
		ended()
	})
}

// sockCloser closes what a socket holds when Lua drops it without
// close()/setkeepalive(), as OpenResty does at the end of a request.
type sockCloser struct {
	mu   sync.Mutex
	conn net.Conn
	pool *connPool
	wait *poolWaiter // a connect waiting in pool's backlog: close cancels it
}

// waiting records (w, p) or forgets (nil) the connect waiting in a pool's
// backlog.
func (c *sockCloser) waiting(w *poolWaiter, p *connPool) {
	c.mu.Lock()
	c.wait, c.pool = w, p
	c.mu.Unlock()
}

func (c *sockCloser) set(conn net.Conn, p *connPool) {
	c.mu.Lock()
	c.conn, c.pool = conn, p
	c.mu.Unlock()
}

func (c *sockCloser) close() {
	c.mu.Lock()
	conn, p, w := c.conn, c.pool, c.wait
	c.conn, c.pool, c.wait = nil, nil, nil
	c.mu.Unlock()
	if w != nil {
		p.cancel(w)
	}
	if conn != nil {
		conn.Close()
		if p != nil {
			p.release()
		}
	}
}

func (se *sockEnv) owner() any {
	t := se.w.Current()
	if t == nil {
		return nil
	}
	if t.Ctx != nil {
		return t.Ctx
	}
	t.Keep() // compared with the threads that use the socket later
	return t
}

// newTCP makes the socket object: as in OpenResty, a table (the socket at
// [1]) whose metatable holds the methods.
func (se *sockEnv) newTCP(L *lua.LState) *lua.LTable {
	d := se.current()
	s := &tcpSock{se: se, sockBinding: sockBinding{owner: se.owner()}, defs: d, connTO: d.connTO, sendTO: d.sendTO, closer: &sockCloser{}}
	s.readTO.Store(int64(d.readTO))
	obj := sockObject(L, s, se.tcpMT)
	s.cleanup = runtime.AddCleanup(obj, func(c *sockCloser) { c.close() }, s.closer)
	return obj
}

func sockObject(L *lua.LState, v any, mt *lua.LTable) *lua.LTable {
	ud := L.NewUserData()
	ud.Value = v
	obj := L.CreateTable(1, 0)
	obj.RawSetInt(1, ud)
	obj.Metatable = mt
	return obj
}

// sockValue returns what sockObject stored in the table at argument 1.
func sockValue(L *lua.LState) any {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			return ud.Value
		}
	}
	return nil
}

func (se *sockEnv) luaTCP(L *lua.LState) int {
	check(se.w, L, "ngx.socket.tcp")
	L.Push(se.newTCP(L))
	return 1
}

func (se *sockEnv) luaConnect(L *lua.LState) int {
	check(se.w, L, "ngx.socket.connect")
	ud := se.newTCP(L)
	// sock:connect(...) with the socket in front of the arguments
	args := []lua.LValue{ud}
	for i := 1; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	L.SetTop(0)
	for _, a := range args {
		L.Push(a)
	}
	s := ud.RawGetInt(1).(*lua.LUserData).Value.(*tcpSock)
	return s.connect(L, func(vals []lua.LValue) []lua.LValue {
		if len(vals) > 0 && vals[0] != lua.LNil {
			return []lua.LValue{ud}
		}
		return vals
	})
}

func (se *sockEnv) newTCPMeta(L *lua.LState) *lua.LTable {
	methods := map[string]lua.LGFunction{
		"connect":        func(L *lua.LState) int { return sockOf(L, "connect").connect(L, nil) },
		"sslhandshake":   func(L *lua.LState) int { return sockOf(L, "sslhandshake").sslhandshake(L) },
		"send":           func(L *lua.LState) int { return sockOf(L, "send").send(L) },
		"receive":        func(L *lua.LState) int { return sockOf(L, "receive").receive(L) },
		"receiveany":     func(L *lua.LState) int { return sockOf(L, "receiveany").receiveany(L) },
		"receiveuntil":   func(L *lua.LState) int { return sockOf(L, "receiveuntil").receiveuntil(L) },
		"close":          func(L *lua.LState) int { return sockOf(L, "close").close(L) },
		"settimeout":     func(L *lua.LState) int { return sockOf(L, "settimeout").settimeout(L) },
		"settimeouts":    func(L *lua.LState) int { return sockOf(L, "settimeouts").settimeouts(L) },
		"setkeepalive":   func(L *lua.LState) int { return sockOf(L, "setkeepalive").setkeepalive(L) },
		"getreusedtimes": func(L *lua.LState) int { return sockOf(L, "getreusedtimes").getreusedtimes(L) },
		"setoption":      func(L *lua.LState) int { return sockOf(L, "setoption").setoption(L) },
		"getoption":      func(L *lua.LState) int { return sockOf(L, "getoption").getoption(L) },
		"bind":           func(L *lua.LState) int { return sockOf(L, "bind").bind(L) },
		"setclientcert":  func(L *lua.LState) int { return sockOf(L, "setclientcert").setclientcert(L) },
	}
	return objectMeta(L, "tcp socket", methods)
}

// objectMeta makes the metatable of a cosocket-family object: its methods
// (with __index the metatable itself), or for an ssl session (no methods)
// a __tostring that prints "<kind>: <address>".
func objectMeta(L *lua.LState, kind string, methods map[string]lua.LGFunction) *lua.LTable {
	mt := L.NewTable()
	if methods != nil {
		// as OpenResty's: the methods are the metatable's own entries
		// and __index is the metatable itself; the sockets are plain
		// tables to tostring
		for k, f := range methods {
			mt.RawSetString(k, L.NewFunction(f))
		}
		mt.RawSetString("__index", mt)
		return mt
	}
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(fmt.Sprintf("%s: %p", kind, L.CheckAny(1))))
		return 1
	}))
	return mt
}

// sockOf checks argument 1 is a tcp socket usable by the running request.
func sockOf(L *lua.LState, method string) *tcpSock {
	s, ok := sockValue(L).(*tcpSock)
	if !ok {
		L.ArgError(1, "expecting tcp socket object")
	}
	if method != "settimeout" && method != "settimeouts" {
		check(s.se.w, L, "ngx.socket.tcp")
	}
	// A connection belongs to the request that made it (see claim).
	if o := s.se.owner(); o != s.owner {
		switch {
		case method == "connect":
			s.claim(L, o)
		case s.conn != nil && method != "close":
			L.RaiseError("bad request")
		}
	}
	return s
}

// threadEnded closes what the socket still holds when the light thread
// that connected it ends (worker goroutine): nothing after close() or
// setkeepalive().
func (s *tcpSock) threadEnded() {
	if s.busy() != "" {
		s.abort() // the pending op reports "closed"; it clears the fields
		return
	}
	s.alive()
	s.closeConn()
	s.closedOnce = false
}

// errText maps a Go network error to OpenResty's cosocket error strings.
func errText(err error) string {
	if err == nil {
		return ""
	}
	if err == errTimeout || err == errTooManyWaiting {
		return err.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return "closed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNRESET, syscall.EPIPE:
			if errno == syscall.EPIPE {
				return "broken pipe"
			}
			return "connection reset by peer"
		}
		return errno.Error()
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return de.Err
	}
	return err.Error()
}

func errnoLog(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errlog.ErrnoText(errno)
	}
	return err.Error()
}

func fail(err string, extra ...lua.LValue) []lua.LValue {
	return append([]lua.LValue{lua.LNil, lua.LString(err)}, extra...)
}

// luaFail returns nil, err: the failure of most ngx API functions.
func luaFail(L *lua.LState, err string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(err))
	return 2
}

func (s *tcpSock) logConn() *errlog.Conn {
	if t := s.se.w.Current(); t != nil {
		return t.Conn
	}
	return nil
}

// closeConn drops the connection (worker goroutine, socket not busy).
func (s *tcpSock) closeConn() {
	if s.conn == nil {
		return
	}
	s.closer.close()
	s.conn, s.buf, s.tlsOn, s.sess, s.pool = nil, nil, false, nil, nil
}

// alive forgets a connection an op has closed; it reports whether the
// socket is connected (worker goroutine).
func (s *tcpSock) alive() bool {
	if s.broken.Load() && s.busy() == "" {
		s.broken.Store(false)
		s.closedOnce = s.readFailed.Swap(false)
		s.closeConn()
	}
	return s.conn != nil
}

// abort closes the connection after a failed operation (op goroutine).
func (s *tcpSock) abort() {
	s.broken.Store(true)
	s.closer.close()
}

func (s *tcpSock) busy() string {
	switch {
	case s.busyConn.Load():
		return "socket busy connecting"
	case s.busyRead.Load():
		return "socket busy reading"
	case s.busyWrite.Load():
		return "socket busy writing"
	}
	return ""
}

// connect(host, port, opts?) | connect("unix:/path", opts?)
