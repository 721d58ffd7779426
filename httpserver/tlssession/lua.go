package tlssession

import (
	"errors"

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
	c.sc = ngxapi.SessionCtx{ID: c.id, Serialized: c.serialized, ServerName: c.serverName, Version: c.version}
	c.req = luavm.Request{Phase: luavm.PhaseSSLSessionStore, Chunk: h.storeChunk, Ctx: &c.sc, Conn: logConn(c, storeConn)}
	res := h.pool.Next().Run(&c.req)
	if res.Err != nil {
		return res.Err
	}
	if res.Exited && res.Exit == ngxError {
		return errExit
	}
	return nil
}

func (h *luaHooks) fetch(c *call) error {
	c.sc = ngxapi.SessionCtx{ID: c.id, ServerName: c.serverName, Version: c.version, Decoder: c}
	lc := logConn(c, fetchConn)
	c.req = luavm.Request{Phase: luavm.PhaseSSLSessionFetch, Chunk: h.fetchChunk, Ctx: &c.sc, Conn: lc}
	if c.conn != nil {
		// a fetch hook still waiting at the handshake deadline (a lookup
		// that never answers) is ended there by luavm: its cosockets are
		// closed and a graceful stop does not wait for it
		c.req.Deadline = c.conn.Deadline
	}
	res := h.pool.Next().Run(&c.req)
	if res.Err == luavm.ErrDeadline {
		h.log.LogConn(errlog.Error, lc, "ssl_session_fetch_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up")
		return errHandshakeTimeout
	}
	if res.Err != nil {
		return res.Err
	}
	if res.Exited && res.Exit == ngxError {
		return errExit
	}
	return nil
}
