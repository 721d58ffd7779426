package ngxapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

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
	w        *luavm.Worker
	log      *errlog.Logger
	resolver *net.Resolver // nil: system resolver
	sysDNS   bool          // the system resolver has name servers
	connTO   time.Duration
	sendTO   time.Duration
	readTO   time.Duration
	poolSize int
	keepTO   time.Duration

	tlsRoots    *x509.CertPool
	tlsRootsErr error
	verifyDepth int
	minTLS      uint16
	maxTLS      uint16

	mu    sync.Mutex
	pools map[string]*connPool

	tcpMT, udpMT, sessMT *lua.LTable
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func newSockEnv(w *luavm.Worker, http *confparse.HTTPConf) *sockEnv {
	se := &sockEnv{w: w, log: w.Log, pools: make(map[string]*connPool),
		connTO: 60 * time.Second, sendTO: 60 * time.Second, readTO: 60 * time.Second,
		poolSize: 30, keepTO: 60 * time.Second, verifyDepth: 1,
		minTLS: tls.VersionTLS12, maxTLS: tls.VersionTLS13}
	if http != nil {
		se.connTO = orDefault(http.LuaSocketConnectTimeout, se.connTO)
		se.sendTO = orDefault(http.LuaSocketSendTimeout, se.sendTO)
		se.readTO = orDefault(http.LuaSocketReadTimeout, se.readTO)
		se.keepTO = orDefault(http.LuaSocketKeepalive, se.keepTO)
		if http.LuaSocketPoolSize > 0 {
			se.poolSize = http.LuaSocketPoolSize
		}
		if len(http.Resolver) > 0 {
			se.resolver = newResolver(http.Resolver, orDefault(http.ResolverTimeout, 30*time.Second))
		}
		if http.LuaSSLVerifyDepth > 0 {
			se.verifyDepth = http.LuaSSLVerifyDepth
		}
		if http.LuaSSLTrustedCertificate != "" {
			pem, err := os.ReadFile(http.LuaSSLTrustedCertificate)
			if err != nil {
				se.tlsRootsErr = err
			} else {
				se.tlsRoots = x509.NewCertPool()
				if !se.tlsRoots.AppendCertsFromPEM(pem) {
					se.tlsRootsErr = fmt.Errorf("no certificates in %s", http.LuaSSLTrustedCertificate)
				}
			}
		}
		if len(http.LuaSSLProtocols) > 0 {
			se.minTLS, se.maxTLS = tlsRange(http.LuaSSLProtocols)
		}
	}
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

// worker -> sockEnv, so CloseSocketPools can reach every pool.
var sockEnvs sync.Map // *luavm.Worker -> *sockEnv

func registerSockEnv(w *luavm.Worker, se *sockEnv) { sockEnvs.Store(w, se) }

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
		se := v.(*sockEnv)
		se.mu.Lock()
		pools := se.pools
		se.pools = make(map[string]*connPool)
		se.mu.Unlock()
		for _, p := range pools {
			p.closeIdle()
		}
		sockEnvs.Delete(k)
		return true
	})
}

// ---------- connection pools ----------

type idleConn struct {
	conn   net.Conn
	tlsOn  bool
	sess   *clientSession
	reused int
	taken  atomic.Bool
	data   atomic.Bool // the watcher saw bytes: not reusable
	done   chan struct{}
	pool   *connPool
}

type connPool struct {
	key   string
	size  int
	sized bool // size was chosen (connect's pool_size/backlog or a setkeepalive): later sizes are ignored

	mu      sync.Mutex
	idle    []*idleConn      // most recent last
	total   int              // connections alive (busy + idle) opened for this pool
	waiters []chan *idleConn // nil sent = a free slot to dial with
}

func (se *sockEnv) pool(key string, size int, create bool) *connPool {
	se.mu.Lock()
	defer se.mu.Unlock()
	p := se.pools[key]
	if p == nil && create {
		p = &connPool{key: key, size: se.poolSize}
		se.pools[key] = p
	}
	if p != nil && size > 0 {
		p.fixSize(size)
	}
	return p
}

// fixSize settles the pool's size the first time one is chosen, as
// OpenResty creates a pool with the size of the connect (pool_size, backlog)
// or setkeepalive that made it, lua_socket_pool_size by default.
func (p *connPool) fixSize(size int) {
	p.mu.Lock()
	if !p.sized {
		if size > 0 {
			p.size = size
		}
		p.sized = true
	}
	p.mu.Unlock()
}

// take returns an idle connection, or nil.
func (p *connPool) take() *idleConn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		ic := p.idle[n-1]
		p.idle = p.idle[:n-1]
		ic.taken.Store(true)
		p.mu.Unlock()
		ic.conn.SetReadDeadline(time.Unix(1, 0))
		<-ic.done
		ic.conn.SetReadDeadline(time.Time{})
		if !ic.data.Load() {
			return ic
		}
		ic.conn.Close()
		p.release()
	}
}

// put makes c idle for timeout (0: no timeout); it evicts the oldest idle
// connection when the pool is full. A connect waiting in the backlog gets
// the connection directly.
func (p *connPool) put(c net.Conn, tlsOn bool, sess *clientSession, reused int, timeout time.Duration) {
	ic := &idleConn{conn: c, tlsOn: tlsOn, sess: sess, reused: reused, done: make(chan struct{}), pool: p}
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
	} else {
		c.SetReadDeadline(time.Time{})
	}
	p.mu.Lock()
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		close(ic.done)
		ch <- ic
		return
	}
	var evict *idleConn
	if len(p.idle) >= p.size {
		evict = p.idle[0]
		p.idle = p.idle[1:]
		evict.taken.Store(true)
	}
	p.idle = append(p.idle, ic)
	p.mu.Unlock()
	if evict != nil {
		evict.conn.Close()
		p.release()
	}
	// The deadline was set before the connection became visible in the pool,
	// so a take() (deadline in the past) always wins over it.
	go ic.watch()
}

func (ic *idleConn) watch() {
	defer close(ic.done)
	var b [1]byte
	n, _ := ic.conn.Read(b[:])
	if n > 0 {
		ic.data.Store(true)
	}
	if ic.taken.Load() {
		return
	}
	p := ic.pool
	p.mu.Lock()
	for i, x := range p.idle {
		if x == ic {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	taken := ic.taken.Swap(true)
	p.mu.Unlock()
	if !taken {
		ic.conn.Close()
		p.release()
	}
}

// acquire counts a new connection. With a backlog, at most size
// connections exist; extra connects wait (up to backlog of them) for a
// pooled connection or a free slot, or time out.
func (p *connPool) acquire(limit bool, backlog int, timeout time.Duration) (*idleConn, error) {
	p.mu.Lock()
	if !limit || p.total < p.size {
		p.total++
		p.mu.Unlock()
		return nil, nil
	}
	if len(p.waiters) >= backlog {
		p.mu.Unlock()
		return nil, errTooManyWaiting
	}
	ch := make(chan *idleConn, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ic := <-ch:
		return ic, nil
	case <-t.C:
	}
	p.mu.Lock()
	for i, x := range p.waiters {
		if x == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, errTimeout
		}
	}
	p.mu.Unlock()
	// handed over just as we timed out: take it
	return <-ch, nil
}

// release forgets a closed connection, handing its slot to a waiter.
func (p *connPool) release() {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- nil // the slot passes on: total unchanged
		return
	}
	p.total--
	p.mu.Unlock()
}

func (p *connPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, ic := range idle {
		if !ic.taken.Swap(true) {
			ic.conn.Close()
			<-ic.done
		}
	}
}

var (
	errTimeout        = errors.New("timeout")
	errTooManyWaiting = errors.New("too many waiting connect operations")
)

// ---------- the socket object ----------

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

	connTO, sendTO time.Duration
	readTO         atomic.Int64 // a time.Duration; read by ops while another thread may set it

	busyRead, busyWrite, busyConn atomic.Bool
	broken                        atomic.Bool // an op closed the connection after an error
	readFailed                    atomic.Bool // ... after a failed read: close() still returns 1
	closedOnce                    bool        // close() may answer 1 once after a failed read
	cleanup                       runtime.Cleanup
	closer                        *sockCloser
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
}

func (c *sockCloser) set(conn net.Conn, p *connPool) {
	c.mu.Lock()
	c.conn, c.pool = conn, p
	c.mu.Unlock()
}

func (c *sockCloser) close() {
	c.mu.Lock()
	conn, p := c.conn, c.pool
	c.conn, c.pool = nil, nil
	c.mu.Unlock()
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
	return t
}

// newTCP makes the socket object: as in OpenResty, a table (the socket at
// [1]) whose metatable holds the methods.
func (se *sockEnv) newTCP(L *lua.LState) *lua.LTable {
	s := &tcpSock{se: se, sockBinding: sockBinding{owner: se.owner()}, connTO: se.connTO, sendTO: se.sendTO, closer: &sockCloser{}}
	s.readTO.Store(int64(se.readTO))
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
	}
	return objectMeta(L, "tcp socket", methods)
}

// objectMeta makes the metatable of a cosocket-family object: its methods
// as __index (none for an ssl session) and a __tostring that prints
// "<kind>: <address>".
func objectMeta(L *lua.LState, kind string, methods map[string]lua.LGFunction) *lua.LTable {
	mt := L.NewTable()
	if methods != nil {
		idx := L.NewTable()
		for k, f := range methods {
			idx.RawSetString(k, L.NewFunction(f))
		}
		mt.RawSetString("__index", idx)
	}
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		// Sockets are tables and ssl sessions userdata: both are pointers.
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
func (s *tcpSock) connect(L *lua.LState, wrap func([]lua.LValue) []lua.LValue) int {
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	var host, network, addr string
	var port int
	optIdx := 3
	first := L.CheckString(2)
	if strings.HasPrefix(first, "unix:") {
		network, addr = "unix", first[len("unix:"):]
		host = first
	} else {
		host = first
		pv := L.Get(3)
		pn, ok := pv.(lua.LNumber)
		if !ok {
			if ps, isStr := pv.(lua.LString); isStr {
				if n, err := strconv.Atoi(string(ps)); err == nil {
					pn, ok = lua.LNumber(n), true
				}
			}
		}
		if !ok {
			L.ArgError(3, "number expected, got "+pv.Type().String())
		}
		port = int(pn)
		if port < 0 || port > 65535 {
			return luaFail(L, "bad port number: "+strconv.Itoa(port))
		}
		network = "tcp"
		optIdx = 4
	}
	key := host
	if network == "tcp" {
		key = host + ":" + strconv.Itoa(port)
	}
	poolSize, backlog := 0, -1
	if t, ok := L.Get(optIdx).(*lua.LTable); ok {
		if v := t.RawGetString("pool"); v != lua.LNil {
			ps, ok := v.(lua.LString)
			if !ok {
				L.RaiseError("bad \"pool\" option type: %s", v.Type().String())
			}
			key = string(ps)
		}
		if v := t.RawGetString("pool_size"); v != lua.LNil {
			n, ok := v.(lua.LNumber)
			if !ok || n <= 0 {
				L.RaiseError("bad \"pool_size\" option value: %s", v.String())
			}
			poolSize = int(n)
		}
		if v := t.RawGetString("backlog"); v != lua.LNil {
			n, ok := v.(lua.LNumber)
			if !ok || n < 0 {
				L.RaiseError("bad \"backlog\" option value: %s", v.String())
			}
			backlog = int(n)
		}
	} else if v := L.Get(optIdx); v != lua.LNil {
		L.ArgError(optIdx, "table expected, got "+v.Type().String())
	}
	if wrap == nil {
		wrap = func(v []lua.LValue) []lua.LValue { return v }
	}
	// OpenResty closes an already connected socket first.
	s.alive()
	s.closeConn()
	s.bindThread(s.se.w, s.threadEnded)
	p := s.se.pool(key, poolSize, true)
	if backlog >= 0 {
		p.fixSize(poolSize)
	}
	if ic := p.take(); ic != nil {
		s.attach(ic.conn, ic.tlsOn, ic.sess, p, key, ic.reused+1)
		ret := wrap([]lua.LValue{lua.LNumber(1)})
		for _, v := range ret {
			L.Push(v)
		}
		return len(ret)
	}
	connTO, se, lc := s.connTO, s.se, s.logConn()
	s.busyConn.Store(true)
	return se.suspend(L, func() []lua.LValue {
		defer s.busyConn.Store(false)
		ic, err := p.acquire(backlog >= 0, backlog, connTO)
		if err != nil {
			return wrap(fail(errText(err)))
		}
		if ic != nil { // a pooled connection handed over by setkeepalive
			s.attach(ic.conn, ic.tlsOn, ic.sess, p, key, ic.reused+1)
			return wrap([]lua.LValue{lua.LNumber(1)})
		}
		conn, errs := se.dial(network, host, addr, port, connTO, lc)
		if conn == nil {
			p.release()
			return wrap(fail(errs))
		}
		s.attach(conn, false, nil, p, key, 0)
		return wrap([]lua.LValue{lua.LNumber(1)})
	})
}

func (s *tcpSock) attach(c net.Conn, tlsOn bool, sess *clientSession, p *connPool, key string, reused int) {
	s.conn, s.tlsOn, s.sess, s.pool, s.key, s.reuse, s.buf = c, tlsOn, sess, p, key, reused, nil
	s.closer.set(c, p)
}

// dial resolves and connects (op goroutine). It logs failures as nginx.
func (se *sockEnv) dial(network, host, path string, port int, timeout time.Duration, lc *errlog.Conn) (net.Conn, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	if network == "unix" {
		c, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			se.logDialErr(err, host, lc)
			return nil, errText(err)
		}
		return c, ""
	}
	ips, errs := se.resolve(ctx, host)
	if errs != "" {
		se.log.LogConn(errlog.Error, lc, errs)
		return nil, errs
	}
	var lastErr error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return c, ""
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	se.logDialErr(lastErr, net.JoinHostPort(host, strconv.Itoa(port)), lc)
	return nil, errText(lastErr)
}

func (se *sockEnv) logDialErr(err error, peer string, lc *errlog.Conn) {
	if errText(err) == "timeout" {
		se.log.LogConn(errlog.Error, lc, "lua tcp socket connect timed out, when connecting to "+peer)
		return
	}
	if strings.HasPrefix(peer, "unix:") {
		se.log.LogConn(errlog.Error, lc, "connect() to "+peer+" failed ("+errnoLog(err)+")")
		return
	}
	se.log.LogConn(errlog.Error, lc, "connect() failed ("+errnoLog(err)+")")
}

// resolve returns the addresses for host, or OpenResty's error text.
func (se *sockEnv) resolve(ctx context.Context, host string) ([]string, string) {
	h := strings.Trim(host, "[]")
	if ip := net.ParseIP(h); ip != nil {
		return []string{h}, ""
	}
	r := se.resolver
	if r == nil {
		if !se.sysDNS && !inHostsFile(h) {
			return nil, fmt.Sprintf("no resolver defined to resolve %q", host)
		}
		r = net.DefaultResolver
	}
	ips, err := r.LookupHost(ctx, h)
	if err != nil || len(ips) == 0 {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsTimeout {
			return nil, fmt.Sprintf("%s could not be resolved (110: Operation timed out)", host)
		}
		if ctx.Err() != nil {
			return nil, "timeout"
		}
		return nil, fmt.Sprintf("%s could not be resolved (3: Host not found)", host)
	}
	return ips, ""
}

func inHostsFile(host string) bool {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		for _, n := range f[min(1, len(f)):] {
			if strings.EqualFold(n, host) {
				return true
			}
		}
	}
	return false
}

// ---------- send ----------

// appendData flattens a send argument: a string, a number, or an array
// (nested) of strings and numbers.
func appendData(L *lua.LState, b []byte, v lua.LValue, depth int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return append(b, x...)
	case lua.LNumber:
		return append(b, x.String()...)
	case lua.LBool:
		return append(b, x.String()...)
	case *lua.LNilType:
		return append(b, "nil"...)
	case *lua.LTable:
		if depth > 100 {
			L.RaiseError("table too deep")
		}
		n := x.Len()
		for i := 1; i <= n; i++ {
			b = appendData(L, b, x.RawGetInt(i), depth+1)
		}
		return b
	}
	if depth == 0 {
		L.ArgError(2, "string, number, boolean, nil, or array table expected, got "+v.Type().String())
	}
	L.RaiseError("bad data type %s found", v.Type().String())
	return b
}

// logClosed is OpenResty's error-log line for I/O on a closed socket.
func (s *tcpSock) logClosed(op string) {
	s.se.log.LogConn(errlog.Error, s.logConn(), fmt.Sprintf(
		"attempt to %s data on a closed socket: u:%016X, c:0000000000000000, ft:0 eof:0", op, uintptr(unsafe.Pointer(s))))
}

func (s *tcpSock) send(L *lua.LState) int {
	if !s.alive() {
		s.logClosed("send")
		return luaFail(L, "closed")
	}
	if s.busyWrite.Load() || s.busyConn.Load() {
		return luaFail(L, "socket busy writing")
	}
	data := appendData(L, nil, L.Get(2), 0)
	if len(data) == 0 {
		L.Push(lua.LNumber(0))
		return 1
	}
	conn, to, lc := s.conn, s.sendTO, s.logConn()
	s.busyWrite.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busyWrite.Store(false)
		conn.SetWriteDeadline(time.Now().Add(to))
		n, err := conn.Write(data)
		if err != nil {
			e := errText(err)
			if e == "timeout" {
				s.se.log.LogConn(errlog.Error, lc, "lua tcp socket write timed out")
			}
			s.abort()
			return fail(e)
		}
		return []lua.LValue{lua.LNumber(n)}
	})
}

// ---------- receive ----------

// fill reads more into buf (op goroutine). It returns the error text.
func (s *tcpSock) fill(conn net.Conn, max int) string {
	if to := time.Duration(s.readTO.Load()); to > 0 {
		conn.SetReadDeadline(time.Now().Add(to))
	}
	if max <= 0 {
		max = 4096
	}
	if cap(s.buf)-len(s.buf) < max {
		nb := make([]byte, len(s.buf), len(s.buf)+max)
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := conn.Read(s.buf[len(s.buf) : len(s.buf)+max])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return ""
	}
	if err == nil {
		return ""
	}
	return errText(err)
}

func (s *tcpSock) consume(n int) string {
	out := string(s.buf[:n])
	s.buf = s.buf[n:]
	if len(s.buf) == 0 {
		s.buf = s.buf[:0:0]
	}
	return out
}

// readErr ends a failed read: a timeout keeps the connection, anything else
// closes it (op goroutine: only marks; the connection is closed here too).
func (s *tcpSock) readErr(conn net.Conn, e string, partial string, lc *errlog.Conn) []lua.LValue {
	if e == "timeout" {
		s.se.log.LogConn(errlog.Error, lc, "lua tcp socket read timed out")
	} else {
		s.readFailed.Store(true)
		s.abort()
	}
	return fail(e, lua.LString(partial))
}

func (s *tcpSock) startRead(L *lua.LState) (net.Conn, bool) {
	if !s.alive() {
		if !s.closedOnce {
			s.logClosed("receive")
		}
		L.Push(lua.LNil)
		L.Push(lua.LString("closed"))
		return nil, false
	}
	if s.busyRead.Load() || s.busyConn.Load() {
		L.Push(lua.LNil)
		L.Push(lua.LString("socket busy reading"))
		return nil, false
	}
	return s.conn, true
}

// afterRead runs on resume: a connection closed by a failed read is
// forgotten. It wraps op so the close is seen by the worker.
func (s *tcpSock) suspendRead(L *lua.LState, conn net.Conn, op func() []lua.LValue) int {
	s.busyRead.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busyRead.Store(false)
		return op()
	})
}

func (s *tcpSock) receive(L *lua.LState) int {
	conn, ok := s.startRead(L)
	if !ok {
		return 2
	}
	lc := s.logConn()
	pat := L.Get(2)
	var size int = -1
	mode := byte('l')
	switch v := pat.(type) {
	case *lua.LNilType:
	case lua.LNumber:
		size = int(v)
	case lua.LString:
		if n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			size = int(n)
		} else if len(v) == 2 && v[0] == '*' && (v[1] == 'l' || v[1] == 'a') {
			mode = v[1]
		} else {
			L.ArgError(2, "bad pattern argument: "+string(v))
		}
	default:
		L.ArgError(2, "bad pattern argument")
	}
	if size < -1 || (size < 0 && pat.Type() == lua.LTNumber) {
		L.ArgError(2, "bad pattern argument")
	}
	if size == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if size > 0 && len(s.buf) >= size {
		L.Push(lua.LString(s.consume(size)))
		return 1
	}
	if size < 0 && mode == 'l' {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
			L.Push(lua.LString(stripCR(s.consume(i + 1))))
			return 1
		}
	}
	return s.suspendRead(L, conn, func() []lua.LValue {
		switch {
		case size > 0:
			for len(s.buf) < size {
				if e := s.fill(conn, size-len(s.buf)); e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
			}
			return []lua.LValue{lua.LString(s.consume(size))}
		case mode == 'a':
			for {
				e := s.fill(conn, 16384)
				if e == "closed" {
					s.readFailed.Store(true)
					s.abort()
					return []lua.LValue{lua.LString(s.consume(len(s.buf)))}
				}
				if e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
			}
		default:
			for {
				if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
					return []lua.LValue{lua.LString(stripCR(s.consume(i + 1)))}
				}
				if e := s.fill(conn, 4096); e != "" {
					return s.readErr(conn, e, stripCR(s.consume(len(s.buf))), lc)
				}
			}
		}
	})
}

func stripCR(line string) string {
	line = strings.TrimSuffix(line, "\n")
	if strings.IndexByte(line, '\r') < 0 {
		return line
	}
	return strings.ReplaceAll(line, "\r", "")
}

func (s *tcpSock) receiveany(L *lua.LState) int {
	conn, ok := s.startRead(L)
	if !ok {
		return 2
	}
	max := L.CheckInt(2)
	if max <= 0 {
		L.ArgError(2, "bad max argument")
	}
	if len(s.buf) > 0 {
		L.Push(lua.LString(s.consume(min(max, len(s.buf)))))
		return 1
	}
	lc := s.logConn()
	return s.suspendRead(L, conn, func() []lua.LValue {
		if e := s.fill(conn, max); e != "" {
			return s.readErr(conn, e, "", lc)[:2]
		}
		return []lua.LValue{lua.LString(s.consume(min(max, len(s.buf))))}
	})
}

// receiveuntil(pattern, {inclusive=bool}) returns an iterator reading up
// to the pattern; iterator(size) returns at most size bytes per call and
// nil once the pattern has been reached.
func (s *tcpSock) receiveuntil(L *lua.LState) int {
	pattern := L.CheckString(2)
	if pattern == "" {
		return luaFail(L, "pattern is empty")
	}
	inclusive := false
	if t, ok := L.Get(3).(*lua.LTable); ok {
		if v := t.RawGetString("inclusive"); v != lua.LNil {
			b, ok := v.(lua.LBool)
			if !ok {
				L.RaiseError("bad \"inclusive\" option value type: %s", v.Type().String())
			}
			inclusive = bool(b)
		}
	}
	pat := []byte(pattern)
	ended := false // the previous sized call returned the last chunk
	remain := 0    // bytes of the current part (up to the pattern) left to return
	iter := func(L *lua.LState) int {
		size := 0
		if v := L.Get(1); v != lua.LNil {
			size = L.CheckInt(1)
			if size < 0 {
				L.ArgError(1, "bad size argument")
			}
		}
		if ended {
			ended = false
			L.Push(lua.LNil)
			return 1
		}
		conn, ok := s.startRead(L)
		if !ok {
			return 2
		}
		lc := s.logConn()
		step := func() ([]lua.LValue, bool) {
			if remain == 0 {
				if i := bytes.Index(s.buf, pat); i >= 0 {
					remain = i
					if inclusive {
						remain += len(pat)
					}
					if !inclusive && i == 0 {
						s.consume(len(pat))
						return []lua.LValue{lua.LNil}, true
					}
					if size == 0 {
						out := s.consume(remain)
						if !inclusive {
							s.consume(len(pat))
						}
						remain = 0
						return []lua.LValue{lua.LString(out)}, true
					}
				}
			}
			if remain > 0 {
				n := remain
				if size > 0 {
					n = min(size, remain)
				}
				out := s.consume(n)
				remain -= n
				if remain == 0 {
					if !inclusive {
						s.consume(len(pat))
					}
					ended = size > 0
				}
				return []lua.LValue{lua.LString(out)}, true
			}
			if size > 0 {
				safe := len(s.buf) - partialSuffix(s.buf, pat)
				if safe >= size {
					return []lua.LValue{lua.LString(s.consume(size))}, true
				}
			}
			return nil, false
		}
		if r, ok := step(); ok {
			for _, v := range r {
				L.Push(v)
			}
			return len(r)
		}
		return s.suspendRead(L, conn, func() []lua.LValue {
			for {
				if e := s.fill(conn, 4096); e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
				if r, ok := step(); ok {
					return r
				}
			}
		})
	}
	L.Push(L.NewFunction(iter))
	return 1
}

// partialSuffix is the length of the longest suffix of b that is a proper
// prefix of pat (bytes that may still turn out to be the pattern).
func partialSuffix(b, pat []byte) int {
	for n := min(len(pat)-1, len(b)); n > 0; n-- {
		if bytes.Equal(b[len(b)-n:], pat[:n]) {
			return n
		}
	}
	return 0
}

// ---------- close, timeouts, keepalive, options ----------

func (s *tcpSock) close(L *lua.LState) int {
	if !s.alive() {
		if s.closedOnce { // only the read side had failed, as OpenResty sees it
			s.closedOnce = false
			L.Push(lua.LNumber(1))
			return 1
		}
		return luaFail(L, "closed")
	}
	if s.busy() != "" {
		// wake the pending op (it reports "closed" to its caller); the
		// fields are cleared once it has returned
		s.abort()
		L.Push(lua.LNumber(1))
		return 1
	}
	s.closeConn()
	L.Push(lua.LNumber(1))
	return 1
}

func msArg(L *lua.LState, n int) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return 0
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		L.ArgError(n, "number expected, got "+v.Type().String())
	}
	if f < 0 {
		L.ArgError(n, "bad timeout value")
	}
	return time.Duration(float64(f) * float64(time.Millisecond))
}

func (s *tcpSock) settimeout(L *lua.LState) int {
	d := msArg(L, 2)
	if d == 0 {
		d = -1
	}
	s.connTO, s.sendTO = orDefault(d, s.se.connTO), orDefault(d, s.se.sendTO)
	s.readTO.Store(int64(orDefault(d, s.se.readTO)))
	return 0
}

func (s *tcpSock) settimeouts(L *lua.LState) int {
	c, w, r := msArg(L, 2), msArg(L, 3), msArg(L, 4)
	s.connTO, s.sendTO = orDefault(c, s.se.connTO), orDefault(w, s.se.sendTO)
	s.readTO.Store(int64(orDefault(r, s.se.readTO)))
	return 0
}

func (s *tcpSock) getreusedtimes(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	L.Push(lua.LNumber(s.reuse))
	return 1
}

func (s *tcpSock) setkeepalive(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	timeout := s.se.keepTO
	if v := L.Get(2); v != lua.LNil {
		timeout = msArg(L, 2) // 0: never expires
	}
	size := 0
	if v := L.Get(3); v != lua.LNil {
		n := L.CheckInt(3)
		if n <= 0 {
			L.ArgError(3, "bad \"pool_size\" option value: "+strconv.Itoa(n))
		}
		size = n
	}
	if len(s.buf) > 0 {
		s.closeConn()
		return luaFail(L, "unread data in buffer")
	}
	if s.se.w.Exiting() { // a stopping worker keeps no idle connections
		s.closeConn()
		L.Push(lua.LNumber(1))
		return 1
	}
	p := s.pool
	if p == nil {
		p = s.se.pool(s.key, size, true)
	} else {
		p.fixSize(size)
	}
	conn, tlsOn, sess, reused := s.conn, s.tlsOn, s.sess, s.reuse
	s.closer.set(nil, nil)
	s.conn, s.buf, s.tlsOn, s.sess, s.pool = nil, nil, false, nil, nil
	p.put(conn, tlsOn, sess, reused, timeout)
	L.Push(lua.LNumber(1))
	return 1
}

func (s *tcpSock) setoption(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	opt := L.CheckString(2)
	val := L.Get(3)
	var tc *net.TCPConn
	switch c := s.conn.(type) {
	case *net.TCPConn:
		tc = c
	case *tls.Conn:
		tc, _ = c.NetConn().(*net.TCPConn)
	}
	num := func() int {
		switch v := val.(type) {
		case lua.LNumber:
			return int(v)
		case lua.LBool:
			if v {
				return 1
			}
		}
		return 0
	}
	var err error
	switch opt {
	case "keepalive":
		if tc != nil {
			err = tc.SetKeepAlive(num() != 0)
		}
	case "tcp-nodelay":
		if tc != nil {
			err = tc.SetNoDelay(num() != 0)
		}
	case "sndbuf":
		if tc != nil {
			err = tc.SetWriteBuffer(num())
		}
	case "rcvbuf":
		if tc != nil {
			err = tc.SetReadBuffer(num())
		}
	case "reuseaddr":
		// only meaningful before bind; accepted as OpenResty does
	default:
		return luaFail(L, "unsupported option "+opt)
	}
	if err != nil {
		return luaFail(L, errText(err))
	}
	L.Push(lua.LTrue)
	return 1
}

// ---------- TLS ----------

// clientSession is the userdata sslhandshake returns. A TLS 1.3 ticket can
// arrive after the handshake; the capturing cache updates it then.
type clientSession struct {
	mu sync.Mutex
	st *tls.ClientSessionState
}

type oneSessionCache struct{ s *clientSession }

func (c oneSessionCache) Get(string) (*tls.ClientSessionState, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.st, c.s.st != nil
}

func (c oneSessionCache) Put(_ string, st *tls.ClientSessionState) {
	if st == nil {
		return
	}
	c.s.mu.Lock()
	c.s.st = st
	c.s.mu.Unlock()
}

func (s *tcpSock) sslhandshake(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	var reused *clientSession
	returnSession := true
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LBool:
		returnSession = bool(v)
	case *lua.LUserData:
		cs, ok := v.Value.(*clientSession)
		if !ok {
			L.ArgError(2, "bad session")
		}
		reused = cs
	default:
		L.ArgError(2, "bad session")
	}
	serverName := ""
	if v := L.Get(3); v != lua.LNil {
		serverName = L.CheckString(3)
	}
	verify := lua.LVAsBool(L.Get(4))
	if s.tlsOn { // a pooled TLS connection: already handshaked
		ud := L.NewUserData()
		ud.Value = s.sess
		if s.sess == nil {
			ud.Value = &clientSession{}
		}
		ud.Metatable = s.se.sessMT
		if !returnSession {
			L.Push(lua.LTrue)
		} else {
			L.Push(ud)
		}
		return 1
	}
	se := s.se
	sess := &clientSession{}
	if reused != nil {
		reused.mu.Lock()
		sess.st = reused.st
		reused.mu.Unlock()
	}
	cfg := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true,
		MinVersion:         se.minTLS,
		MaxVersion:         se.maxTLS,
		ClientSessionCache: oneSessionCache{sess},
	}
	var verifyErr string
	if verify {
		roots, depth, host := se.tlsRoots, se.verifyDepth, serverName
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			verifyErr = verifyChain(raw, roots, depth, host)
			if verifyErr != "" {
				return errors.New(verifyErr)
			}
			return nil
		}
	}
	conn, to, lc := s.conn, s.connTO, s.logConn()
	ud := L.NewUserData()
	ud.Value = sess
	ud.Metatable = se.sessMT
	s.busyConn.Store(true)
	return se.suspend(L, func() []lua.LValue {
		defer s.busyConn.Store(false)
		tc := tls.Client(conn, cfg)
		conn.SetDeadline(time.Now().Add(to))
		err := tc.Handshake()
		conn.SetDeadline(time.Time{})
		if err != nil {
			e := "handshake failed"
			if verifyErr != "" {
				e = verifyErr
				se.log.LogConn(errlog.Error, lc, "lua ssl certificate verify error: ("+verifyErr+")")
			} else if t := errText(err); t == "timeout" || t == "closed" {
				e = t
			} else {
				se.log.LogConn(errlog.Error, lc, "lua ssl handshake failed: "+err.Error())
			}
			s.abort()
			return fail(e)
		}
		s.conn, s.tlsOn, s.sess = tc, true, sess
		s.closer.set(tc, s.pool)
		if !returnSession {
			return []lua.LValue{lua.LTrue}
		}
		return []lua.LValue{ud}
	})
}

// verifyChain checks the server's chain against the trusted certificates
// (lua_ssl_trusted_certificate), the depth limit and the host name; the
// error text is OpenResty's "<X509 code>: <reason>".
func verifyChain(raw [][]byte, roots *x509.CertPool, depth int, host string) string {
	certs := make([]*x509.Certificate, 0, len(raw))
	for _, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return "handshake failed"
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return "handshake failed"
	}
	if roots == nil {
		return "20: unable to get local issuer certificate"
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			if len(certs) == 1 && certs[0].Subject.String() == certs[0].Issuer.String() {
				return "18: self-signed certificate"
			}
			return "20: unable to get local issuer certificate"
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return "10: certificate has expired"
		}
		return "handshake failed"
	}
	ok := false
	for _, ch := range chains {
		if len(ch)-2 <= depth { // certificates between leaf and root
			ok = true
		}
	}
	if !ok {
		return "22: certificate chain too long"
	}
	if host != "" {
		if err := certs[0].VerifyHostname(host); err != nil {
			return "certificate host mismatch"
		}
	}
	return ""
}
