package tlssession

import (
	"errors"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// Options configure a Manager.
type Options struct {
	HTTP         *confparse.HTTPConf // seal keys (ssl_session_seal_key)
	Pool         *luavm.Pool         // runs the hooks; nil = no Lua
	Store, Fetch *luavm.Chunk        // ssl_session_store_by_lua*, ssl_session_fetch_by_lua*; nil = none
	Dicts        *shdict.Registry    // for ssl_session_cache shared:NAME; nil = shdict.Default
	Log          *errlog.Logger
	Counters     *Counters // nil = DefaultCounters (process-wide, survive reloads)
}

// New makes the Manager of one configuration generation.
func New(opts Options) (*Manager, error) {
	var h hookRunner
	if opts.Pool != nil && (opts.Store != nil || opts.Fetch != nil) {
		lh := &luaHooks{pool: opts.Pool, storeChunk: opts.Store, fetchChunk: opts.Fetch, log: opts.Log}
		if lh.log == nil {
			lh.log = errlog.StderrLogger(errlog.Error)
		}
		h = lh
	}
	return newManager(coreOptions{HTTP: opts.HTTP, Hooks: h, Dicts: opts.Dicts, Log: opts.Log, Counters: opts.Counters})
}

// luaHooks runs the hooks as light threads on the pool's workers. The
// handshake goroutine waits for the thread; the store hook cannot yield
// (luavm's phase rules) and runs under lua_hook_timeout; the fetch hook may
// yield (a cosocket lookup), which holds up only this handshake.
type luaHooks struct {
	pool                   *luavm.Pool
	storeChunk, fetchChunk *luavm.Chunk
	log                    *errlog.Logger
}

// Log suffixes for lines made by the hooks (shared, read-only).
var (
	storeConn = &errlog.Conn{Context: luavm.PhaseSSLSessionStore.Context()}
	fetchConn = &errlog.Conn{Context: luavm.PhaseSSLSessionFetch.Context()}
)

const ngxError = -1 // ngx.ERROR

var (
	errExit             = errors.New("ngx.exit(ngx.ERROR)")
	errHandshakeTimeout = errors.New("handshake deadline passed")
)

// runUntil runs req on w and waits for it until deadline; false when the
// deadline came first. The light thread is then left to end on its own
// (its cosocket timeouts, the worker's stop): luavm has no way yet to end
// a parked thread from outside; nothing reads the hook's results anymore.
// The waiting goroutine, its channels and timer are recycled (the resumed
// handshake is the hot path).
func runUntil(w *luavm.Worker, req *luavm.Request, deadline time.Time) (luavm.Result, bool) {
	d := time.Until(deadline)
	if d <= 0 {
		return luavm.Result{}, false
	}
	var g *guard
	select {
	case g = <-idleGuards:
	default:
		g = newGuard()
	}
	g.w, g.req = w, req
	g.t.Reset(d)
	g.start <- struct{}{}
	select {
	case res := <-g.done:
		g.t.Stop()
		g.w, g.req = nil, nil
		select {
		case idleGuards <- g:
		default:
			close(g.start)
		}
		return res, true
	case <-g.t.C:
		close(g.start) // its goroutine ends once Run returns
		return luavm.Result{}, false
	}
}

// guard is a goroutine running hooks for runUntil, one at a time.
type guard struct {
	w     *luavm.Worker
	req   *luavm.Request
	start chan struct{}
	done  chan luavm.Result // buffered: the goroutine never blocks on it
	t     *time.Timer
}

// idleGuards bounds the guards (and goroutines) kept for reuse.
var idleGuards = make(chan *guard, 64)

func newGuard() *guard {
	g := &guard{start: make(chan struct{}), done: make(chan luavm.Result, 1), t: time.NewTimer(time.Hour)}
	g.t.Stop()
	go func() {
		for range g.start {
			g.done <- g.w.Run(g.req)
		}
	}()
	return g
}

func (h *luaHooks) hasStore() bool { return h.storeChunk != nil }
func (h *luaHooks) hasFetch() bool { return h.fetchChunk != nil }

// logConn is the log suffixes for a hook of c's connection.
func logConn(c *call, shared *errlog.Conn) *errlog.Conn {
	if c.conn == nil || c.conn.Log == nil {
		return shared
	}
	lc := &c.conn.fetchLog
	if shared == storeConn {
		lc = &c.conn.storeLog
	}
	if lc.Context == "" {
		*lc = *c.conn.Log
		lc.Context = shared.Context
	}
	return lc
}

func (h *luaHooks) store(c *call) error {
	ctx := &ngxapi.SessionCtx{ID: c.id, Serialized: c.serialized, ServerName: c.cs.ServerName, Version: c.cs.Version}
	res := h.pool.Next().Run(&luavm.Request{Phase: luavm.PhaseSSLSessionStore, Chunk: h.storeChunk, Ctx: ctx, Conn: logConn(c, storeConn)})
	if res.Err != nil {
		return res.Err
	}
	if res.Exited && res.Exit == ngxError {
		return errExit
	}
	return nil
}

func (h *luaHooks) fetch(c *call) error {
	ctx := &ngxapi.SessionCtx{ID: c.id, ServerName: c.cs.ServerName, Version: c.cs.Version, Decoder: c}
	lc := logConn(c, fetchConn)
	req := &luavm.Request{Phase: luavm.PhaseSSLSessionFetch, Chunk: h.fetchChunk, Ctx: ctx, Conn: lc}
	w := h.pool.Next()
	var res luavm.Result
	if c.conn == nil || c.conn.Deadline.IsZero() {
		res = w.Run(req)
	} else {
		var ok bool
		if res, ok = runUntil(w, req, c.conn.Deadline); !ok {
			h.log.LogConn(errlog.Error, lc, "ssl_session_fetch_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up")
			return errHandshakeTimeout
		}
	}
	if res.Err != nil {
		return res.Err
	}
	if res.Exited && res.Exit == ngxError {
		return errExit
	}
	return nil
}
