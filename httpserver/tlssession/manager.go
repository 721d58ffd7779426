// Package tlssession implements TLS session resumption for goresty's
// servers on top of crypto/tls's WrapSession / UnwrapSession.
//
// Stateful mode (a ssl_session_store_by_lua* / ssl_session_fetch_by_lua*
// hook, or ssl_session_cache builtin / shared:NAME:SIZE): the ticket handed
// to the client is a random 32-byte session id and nothing else. The
// session itself (an envelope: creation time, server block identity,
// tls.SessionState.Bytes(), optionally AEAD-sealed) goes to the cache and to
// the store hook; a returning client's id is looked up in the cache, then
// through the fetch hook. This resumes TLS 1.2 and TLS 1.3 alike.
//
// Stateless mode (ssl_session_tickets on, no hooks, no cache): the ticket is
// the envelope sealed with the ssl_session_ticket_key files (first
// encrypts, all decrypt) or a per-process random key.
//
// Whatever goes wrong while resuming (a miss, a Lua error, garbage, an
// expired session, one from another server block) gives a full handshake,
// never a failed connection.
package tlssession

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// defaultTimeout is nginx's ssl_session_timeout default.
const defaultTimeout = 5 * time.Minute

// builtinSlot is what a builtin cache reserves per session when sizing its
// dict from a number of sessions (nginx's builtin:SIZE counts sessions).
const (
	builtinSlot     = 1024
	builtinSessions = 20480 // OpenSSL's default
)

// hookRunner runs the Lua hooks (lua.go); tests use Go functions.
type hookRunner interface {
	hasStore() bool
	hasFetch() bool
	// store runs the store hook for c (c.id, c.serialized); the error is
	// already logged.
	store(c *call) error
	// fetch runs the fetch hook for c.id; set_serialized_session lands in
	// c.DecodeSession. The error (a Lua error, ngx.exit(ngx.ERROR)) is
	// already logged when it is a Lua error.
	fetch(c *call) error
}

// Counters are the session counters served by ssl_session_metrics. They
// are process-wide by default so that they survive reloads.
type Counters struct {
	Stored          atomic.Uint64 // sessions handed to the cache / store hook
	IssuedStateless atomic.Uint64 // stateless tickets issued
	Hits            atomic.Uint64 // lookups that resumed a session
	Misses          atomic.Uint64 // lookups that found nothing
	Expired         atomic.Uint64 // rejected: older than ssl_session_timeout
	Foreign         atomic.Uint64 // rejected: created under another server block
	Corrupt         atomic.Uint64 // rejected: could not be opened or parsed, damaged, or stored under another id
	UnknownKey      atomic.Uint64 // rejected: sealed with a key this host does not have (or sealed vs raw)
	StoreErrors     atomic.Uint64 // store hook failed
	FetchErrors     atomic.Uint64 // fetch hook failed (Lua error or ngx.exit(ngx.ERROR))

	// unknownKeyLogged is when the last unknown-key line was logged (unix
	// ns): one a minute is enough to see the problem without flooding.
	unknownKeyLogged atomic.Int64
}

// DefaultCounters is used when Options.Counters is nil.
var DefaultCounters = &Counters{}

type manager struct {
	hooks    hookRunner
	seal     keyring // ssl_session_seal_key or the process key; empty = off (raw)
	log      *errlog.Logger
	dicts    *shdict.Registry
	c        *Counters
	now      func() time.Time
	rand     func([]byte) error
	reissue  reissueMap
	mu       sync.Mutex
	configs  map[*tls.Config]*vhost
	builtins map[string]*shdict.Dict
}

// Manager decides, per server block, how TLS sessions are resumed.
type Manager struct{ manager }

type coreOptions struct {
	HTTP     *confparse.HTTPConf
	Hooks    hookRunner
	Dicts    *shdict.Registry
	Log      *errlog.Logger
	Counters *Counters
	Now      func() time.Time
}

func newManager(o coreOptions) (*Manager, error) {
	m := &Manager{manager{
		hooks:    o.Hooks,
		log:      o.Log,
		dicts:    o.Dicts,
		c:        o.Counters,
		now:      o.Now,
		configs:  make(map[*tls.Config]*vhost),
		builtins: make(map[string]*shdict.Dict),
	}}
	if m.log == nil {
		m.log = errlog.StderrLogger(errlog.Error)
	}
	if m.dicts == nil {
		m.dicts = shdict.Default
	}
	if m.c == nil {
		m.c = DefaultCounters
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.rand = func(b []byte) error { _, err := rand.Read(b); return err }
	switch {
	case o.HTTP != nil && o.HTTP.SSLSessionSealOff:
	case o.HTTP != nil && len(o.HTTP.SSLSessionSealKeys) > 0:
		kr, err := loadSealKeys(o.HTTP.SSLSessionSealKeys)
		if err != nil {
			return nil, err
		}
		m.seal = kr
	default:
		kr, err := processSealKey()
		if err != nil {
			return nil, err
		}
		m.seal = kr
	}
	return m, nil
}

// vhost is one server block's session settings.
type vhost struct {
	m        *Manager
	name     string
	id       vhostID
	timeout  time.Duration
	stateful bool
	cache    *shdict.Dict // builtin / shared cache; nil = none
	tickets  keyring      // stateless tickets; empty = ssl_session_tickets off
	hooks    bool         // run the Lua hooks for this server
}

// Configure sets SessionTicketsDisabled, WrapSession and UnwrapSession on a
// server block's tls.Config. vhost is a stable identity of the server block
// (e.g. its listen addresses, server names and certificates): a session
// made under one identity is never resumed under another.
func (m *Manager) Configure(cfg *tls.Config, srv *confparse.ServerConf, vhostName string) error {
	v := &vhost{m: m, name: vhostName, id: hashVhost(vhostName), timeout: defaultTimeout}
	ssl := confparse.SSLSettings{SessionTickets: true}
	if srv != nil {
		ssl = srv.SSL
	}
	if ssl.SessionTimeout > 0 {
		v.timeout = ssl.SessionTimeout
	}
	hooks := m.hooks != nil && (m.hooks.hasStore() || m.hooks.hasFetch())
	switch ssl.SessionCache.Mode {
	case confparse.SessionCacheOff:
		hooks = false // nginx: "off" disables session reuse through the cache callbacks too
	case confparse.SessionCacheBuiltin:
		v.cache = m.builtin(vhostName, ssl.SessionCache.Size)
	case confparse.SessionCacheShared:
		// Namespaced so it never collides with a lua_shared_dict of the same name.
		v.cache = m.dicts.Open("ssl_session_cache:"+ssl.SessionCache.Name, ssl.SessionCache.Size)
	}
	v.hooks = hooks
	v.stateful = hooks || v.cache != nil
	if ssl.SessionTickets {
		if len(ssl.SessionTicketKeys) > 0 {
			kr, err := loadTicketKeys(ssl.SessionTicketKeys)
			if err != nil {
				return err
			}
			v.tickets = kr
		} else {
			kr, err := processTicketKey()
			if err != nil {
				return err
			}
			v.tickets = kr
		}
	}
	if !v.stateful && len(v.tickets) == 0 {
		cfg.SessionTicketsDisabled = true
		cfg.WrapSession, cfg.UnwrapSession = nil, nil
		return nil
	}
	cfg.SessionTicketsDisabled = false
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) { return v.wrap(cs, ss, nil) }
	cfg.UnwrapSession = func(id []byte, cs tls.ConnectionState) (*tls.SessionState, error) { return v.unwrap(id, cs, nil) }
	m.mu.Lock()
	m.configs[cfg] = v
	m.mu.Unlock()
	return nil
}

func (m *Manager) builtin(name string, size int64) *shdict.Dict {
	if size <= 0 {
		size = builtinSessions
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.builtins[name]
	if d == nil {
		d = shdict.New("ssl_session_cache:builtin", size*builtinSlot)
		m.builtins[name] = d
	}
	return d
}

// ConnSession is what one connection's handshake did with sessions (see
// ForConn).
type ConnSession struct {
	// Log, when set, gives hook log lines the connection's suffixes
	// (connection number, client, server); Context is filled in.
	Log *errlog.Conn
	// Deadline, when set, is the handshake's deadline: a fetch hook still
	// waiting then (a lookup that never answers) is ended (its light
	// thread ends on the worker, its cosockets are closed) and the
	// handshake goes on without it, to fail on the connection's own
	// deadline. Zero: wait for the hook however long it takes.
	Deadline time.Time
	id       [IDLen]byte
	hasID    bool
	// Log with the hook's context, filled on first use: a connection's
	// hooks run one after the other, so no allocation per hook run.
	storeLog, fetchLog errlog.Conn
}

// ID is the session id issued or resumed on the connection in lowercase
// hex ($ssl_session_id); "" when there is none (stateless tickets, no
// resumption, a client refusing tickets).
func (s *ConnSession) ID() string {
	if s == nil || !s.hasID {
		return ""
	}
	return hex.EncodeToString(s.id[:])
}

func (s *ConnSession) set(id []byte) {
	if s != nil && len(id) == IDLen {
		copy(s.id[:], id)
		s.hasID = true
	}
}

// ForConn returns the tls.Config for one connection of a server block
// whose config went through Configure: a shallow clone whose session
// hooks record the session id into s and log with s.Log. It returns cfg
// itself when the server block has no stateful sessions. Cost: a Config
// clone and two closures per handshake (3 allocations, ~700 bytes); keep s
// in a per-connection value that already exists (httpserver keeps it in
// its accepted connection) so that s and its log suffixes cost nothing
// more: hook runs reuse s's own errlog.Conn copies.
func (m *Manager) ForConn(cfg *tls.Config, s *ConnSession) *tls.Config {
	m.mu.Lock()
	v := m.configs[cfg]
	m.mu.Unlock()
	if v == nil || !v.stateful || s == nil {
		return cfg
	}
	c := cfg.Clone()
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) { return v.wrap(cs, ss, s) }
	c.UnwrapSession = func(id []byte, cs tls.ConnectionState) (*tls.SessionState, error) { return v.unwrap(id, cs, s) }
	return c
}

// ForConnCert is ForConn for a connection serving cert, which
// ssl_certificate_by_lua* chose, instead of the block's own certificates:
// its sessions are bound to that certificate as well as to the server
// block, so that a session made with one certificate is never resumed
// under another (SNI names sharing a server block may be served different
// certificates). Always a clone (Certificates replaced).
func (m *Manager) ForConnCert(cfg *tls.Config, s *ConnSession, cert *tls.Certificate) *tls.Config {
	m.mu.Lock()
	v := m.configs[cfg]
	m.mu.Unlock()
	c := cfg.Clone()
	c.Certificates = []tls.Certificate{*cert}
	if v == nil {
		return c
	}
	sum := sha256.Sum256(cert.Certificate[0])
	vc := *v
	vc.id = hashVhost(v.name + ";served=" + hex.EncodeToString(sum[:]))
	if !v.stateful {
		s = nil
	}
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) { return vc.wrap(cs, ss, s) }
	c.UnwrapSession = func(id []byte, cs tls.ConnectionState) (*tls.SessionState, error) { return vc.unwrap(id, cs, s) }
	return c
}

// call is one hook invocation; it is also what set_serialized_session
// reports to (DecodeSession).
type call struct {
	v          *vhost
	id         []byte
	serialized []byte       // store: the envelope handed to Lua
	serverName string       // SNI, "" when none
	version    uint16       // negotiated TLS version
	conn       *ConnSession // nil unless ForConn

	// fetch results
	set     bool
	corrupt bool // set_serialized_session got bytes that do not open or parse
	reason  rejectReason
	ss      *tls.SessionState
	secret  []byte

	// What the Lua hook runs with (lua.go), kept here so that a hook run
	// costs one allocation (the call) instead of three.
	sc  ngxapi.SessionCtx
	req luavm.Request
}

// ID is the session id (32 bytes).
func (c *call) ID() []byte { return c.id }

// Serialized is what get_serialized_session returns (store hook).
func (c *call) Serialized() []byte { return c.serialized }

// ServerName is the SNI name, "" when none.
func (c *call) ServerName() string { return c.serverName }

// Version is the negotiated TLS version.
func (c *call) Version() uint16 { return c.version }

// DecodeSession is set_serialized_session: an error (bytes that do not
// open or parse) makes it return nil and the error text; an expired or
// foreign session is accepted here and rejected once the hook is done.
func (c *call) DecodeSession(b []byte) error {
	r, ss, secret := c.v.decode(c.id, b) // not in place: b is also SessionCtx.Fetched
	if r == rejectCorrupt {
		c.corrupt = true
		return errCorrupt
	}
	c.set, c.reason, c.ss, c.secret = true, r, ss, secret
	return nil
}

type rejectReason uint8

const (
	rejectNone rejectReason = iota
	rejectExpired
	rejectForeign
	rejectCorrupt
	rejectUnknownKey
)

// decode opens (if sealing is on) and checks a stored envelope.
func (v *vhost) decode(id, b []byte) (rejectReason, *tls.SessionState, []byte) {
	return v.decodeIn(id, b, false)
}

// decodeIn is decode; owned says b is a private copy that may be
// decrypted in place. A sealed session this host cannot open for want of
// the key, or a raw one while sealing is on (whoever writes the store
// could forge it), is rejectUnknownKey: hosts sharing a store do not share
// the seal setting.
func (v *vhost) decodeIn(id, b []byte, owned bool) (rejectReason, *tls.SessionState, []byte) {
	m := v.m
	sealed := len(b) >= sealedHeader+nonceSize+tagSize && b[0] == magicSealed && b[1] == envVersion
	if len(m.seal) == 0 {
		if sealed {
			return rejectUnknownKey, nil, nil
		}
		return v.check(b, id)
	}
	if !sealed {
		if _, ok := parsePlain(b); ok {
			return rejectUnknownKey, nil, nil
		}
		return rejectCorrupt, nil, nil
	}
	var dst []byte
	if owned && len(b) >= sealedHeader+nonceSize {
		dst = b[sealedHeader+nonceSize : sealedHeader+nonceSize]
	}
	p, err := m.seal.open(dst, b, id)
	if err == errUnknownKey {
		return rejectUnknownKey, nil, nil
	}
	if err != nil {
		return rejectCorrupt, nil, nil
	}
	return v.check(p, nil)
}

// check validates a plain envelope: integrity (the id binding of a raw
// stored session, when id is given), server block, age, then the state.
func (v *vhost) check(plain, id []byte) (rejectReason, *tls.SessionState, []byte) {
	p, ok := parsePlain(plain)
	if !ok {
		return rejectCorrupt, nil, nil
	}
	if id != nil && p.check != plainCheck(id, plain) {
		return rejectCorrupt, nil, nil
	}
	if c, ok := stateCreatedAt(p.state); !ok || c != p.created {
		return rejectCorrupt, nil, nil
	}
	if p.vhost != v.id {
		return rejectForeign, nil, nil
	}
	now := v.m.now().Unix()
	if now-int64(p.created) > int64(v.timeout/time.Second) || int64(p.created) > now+60 {
		return rejectExpired, nil, nil
	}
	ss, err := tls.ParseSessionState(p.state)
	if err != nil {
		return rejectCorrupt, nil, nil
	}
	return rejectNone, ss, stateSecret(p.state)
}

// wrap is tls.Config.WrapSession.
func (v *vhost) wrap(cs tls.ConnectionState, ss *tls.SessionState, conn *ConnSession) ([]byte, error) {
	m := v.m
	// A resumed TLS 1.2 connection gets its own id back (see below); when
	// the connection knows it, the state need not even be serialized.
	if v.stateful && cs.DidResume && cs.Version <= tls.VersionTLS12 && conn != nil && conn.hasID {
		return bytes.Clone(conn.id[:]), nil
	}
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	created, ok := stateCreatedAt(state)
	if !ok {
		created = uint64(m.now().Unix())
	}
	if !v.stateful {
		t, err := v.tickets.seal(created, v.id, state, nil, m.rand)
		if err != nil {
			return nil, err
		}
		m.c.IssuedStateless.Add(1)
		return t, nil
	}
	// A resumed TLS 1.2 connection gets its own id back (crypto/tls always
	// sends a new ticket, OpenSSL would just echo the session id): the
	// session is not new, the store hook does not run again. A connection
	// that knows its id got it back above; without ForConn, the id is
	// found by the session's secret.
	if cs.DidResume && cs.Version <= tls.VersionTLS12 {
		if id, ok := m.reissue.get(stateSecret(state)); ok {
			return id, nil
		}
	}
	id := make([]byte, IDLen)
	if err := m.rand(id); err != nil {
		return nil, err
	}
	var env []byte
	if len(m.seal) > 0 {
		env, err = m.seal.seal(created, v.id, state, id, m.rand)
		if err != nil {
			return nil, err
		}
	} else {
		env = appendPlain(make([]byte, 0, plainHeader+len(state)), created, v.id, state, id)
	}
	if v.cache != nil {
		v.cache.Set(string(id), shdict.StringValue(string(env)), v.timeout, 0)
	}
	if v.hooks && m.hooks.hasStore() {
		c := &call{v: v, id: id, serialized: env, serverName: cs.ServerName, version: cs.Version, conn: conn}
		if err := m.hooks.store(c); err != nil {
			m.c.StoreErrors.Add(1)
		}
	}
	m.c.Stored.Add(1)
	conn.set(id)
	return id, nil
}

// unwrap is tls.Config.UnwrapSession. It never returns an error: anything
// wrong means a full handshake.
func (v *vhost) unwrap(identity []byte, cs tls.ConnectionState, conn *ConnSession) (*tls.SessionState, error) {
	m := v.m
	if len(identity) == 0 { // a TLS 1.2 client asking for a ticket, not offering one
		return nil, nil
	}
	if len(identity) != IDLen || !v.stateful {
		return v.unwrapStateless(identity, conn), nil
	}
	var (
		reason rejectReason
		ss     *tls.SessionState
		secret []byte
		found  bool
	)
	if v.cache != nil {
		if s, ok := v.cache.GetString(string(identity)); ok {
			found = true
			reason, ss, secret = v.decodeIn(identity, []byte(s), true)
		}
	}
	if !found && v.hooks && m.hooks.hasFetch() {
		c := &call{v: v, id: identity, serverName: cs.ServerName, version: cs.Version, conn: conn}
		if err := m.hooks.fetch(c); err != nil {
			m.c.FetchErrors.Add(1)
			return nil, nil
		}
		switch {
		case c.set:
			found = true
			reason, ss, secret = c.reason, c.ss, c.secret
		case c.corrupt:
			found, reason = true, rejectCorrupt
		}
	}
	if !found {
		m.c.Misses.Add(1)
		return nil, nil
	}
	if reason != rejectNone {
		m.reject(reason, identity, v, conn)
		return nil, nil
	}
	m.c.Hits.Add(1)
	if conn != nil {
		conn.set(identity)
	} else if cs.Version <= tls.VersionTLS12 {
		m.reissue.put(secret, identity, m.now())
	}
	return ss, nil
}

func (v *vhost) unwrapStateless(ticket []byte, conn *ConnSession) *tls.SessionState {
	m := v.m
	if len(v.tickets) == 0 {
		m.c.Misses.Add(1)
		return nil
	}
	plain, err := v.tickets.open(nil, ticket, nil)
	if err != nil {
		// A ticket from another key set (rotated away, another fleet) is a
		// miss, not an attack.
		if err == errUnknownKey || len(ticket) == IDLen {
			m.c.Misses.Add(1)
		} else {
			m.reject(rejectCorrupt, nil, v, conn)
		}
		return nil
	}
	reason, ss, _ := v.check(plain, nil)
	if reason != rejectNone {
		m.reject(reason, nil, v, conn)
		return nil
	}
	m.c.Hits.Add(1)
	return ss
}

func (m *Manager) reject(r rejectReason, id []byte, v *vhost, conn *ConnSession) {
	var lc *errlog.Conn
	if conn != nil {
		lc = conn.Log
	}
	what := "ssl session ticket"
	if id != nil {
		what = "ssl session " + hex.EncodeToString(id)
	}
	switch r {
	case rejectExpired:
		m.c.Expired.Add(1)
		if m.log.Enabled(errlog.Info) {
			m.log.LogConn(errlog.Info, lc, fmt.Sprintf("%s expired (ssl_session_timeout %s), full handshake", what, durationText(v.timeout)))
		}
	case rejectForeign:
		m.c.Foreign.Add(1)
		m.log.LogConn(errlog.Warn, lc, what+" was created under another server block, full handshake")
	case rejectCorrupt:
		m.c.Corrupt.Add(1)
		m.log.LogConn(errlog.Error, lc, what+" rejected: failed to de-serialize session, full handshake")
	case rejectUnknownKey:
		m.c.UnknownKey.Add(1)
		now := m.now().UnixNano()
		last := m.c.unknownKeyLogged.Load()
		if now-last >= int64(time.Minute) && m.c.unknownKeyLogged.CompareAndSwap(last, now) {
			m.log.LogConn(errlog.Warn, lc, what+" was sealed with a key this host does not have (or sealed by one host and not another), "+
				"full handshake: hosts do not share a seal key (ssl_session_seal_key); logged at most once a minute")
		}
	}
}

func durationText(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}

// WriteMetrics writes the counters in Prometheus text format (served by
// locations with ssl_session_metrics;).
func (m *Manager) WriteMetrics(w io.Writer) {
	WriteCounters(w, m.c)
}

// WriteCounters writes c in Prometheus text format.
func WriteCounters(w io.Writer, c *Counters) {
	fmt.Fprintf(w, "# HELP goresty_ssl_sessions_stored_total TLS sessions stored (cache or ssl_session_store_by_lua*).\n"+
		"# TYPE goresty_ssl_sessions_stored_total counter\n"+
		"goresty_ssl_sessions_stored_total %d\n", c.Stored.Load())
	fmt.Fprintf(w, "# HELP goresty_ssl_session_tickets_issued_total Stateless session tickets issued.\n"+
		"# TYPE goresty_ssl_session_tickets_issued_total counter\n"+
		"goresty_ssl_session_tickets_issued_total %d\n", c.IssuedStateless.Load())
	fmt.Fprintf(w, "# HELP goresty_ssl_session_fetches_total Session lookups by result.\n"+
		"# TYPE goresty_ssl_session_fetches_total counter\n"+
		"goresty_ssl_session_fetches_total{result=\"hit\"} %d\n"+
		"goresty_ssl_session_fetches_total{result=\"miss\"} %d\n", c.Hits.Load(), c.Misses.Load())
	fmt.Fprintf(w, "# HELP goresty_ssl_sessions_rejected_total Sessions found but refused (full handshake instead).\n"+
		"# TYPE goresty_ssl_sessions_rejected_total counter\n"+
		"goresty_ssl_sessions_rejected_total{reason=\"expired\"} %d\n"+
		"goresty_ssl_sessions_rejected_total{reason=\"foreign\"} %d\n"+
		"goresty_ssl_sessions_rejected_total{reason=\"corrupt\"} %d\n"+
		"goresty_ssl_sessions_rejected_total{reason=\"unknown_key\"} %d\n", c.Expired.Load(), c.Foreign.Load(), c.Corrupt.Load(), c.UnknownKey.Load())
	fmt.Fprintf(w, "# HELP goresty_ssl_session_hook_errors_total Session hooks that failed.\n"+
		"# TYPE goresty_ssl_session_hook_errors_total counter\n"+
		"goresty_ssl_session_hook_errors_total{hook=\"store\"} %d\n"+
		"goresty_ssl_session_hook_errors_total{hook=\"fetch\"} %d\n", c.StoreErrors.Load(), c.FetchErrors.Load())
}

// reissueMap remembers, for TLS 1.2 sessions just resumed, which id the
// client presented, keyed by the master secret: crypto/tls's WrapSession
// for the resumed connection sees the same secret and gives the same id
// back. Entries are dropped after a minute or when the map grows large.
type reissueMap struct {
	mu sync.Mutex
	m  map[[48]byte]reissueEntry
}

type reissueEntry struct {
	id [IDLen]byte
	at int64
}

const (
	reissueMax = 8192
	reissueTTL = int64(time.Minute)
)

func (r *reissueMap) put(secret, id []byte, now time.Time) {
	if len(secret) != 48 || len(id) != IDLen {
		return
	}
	var k [48]byte
	copy(k[:], secret)
	var e reissueEntry
	copy(e.id[:], id)
	e.at = now.UnixNano()
	r.mu.Lock()
	if r.m == nil {
		r.m = make(map[[48]byte]reissueEntry)
	}
	if len(r.m) >= reissueMax {
		for k, old := range r.m {
			if e.at-old.at > reissueTTL {
				delete(r.m, k)
			}
		}
		if len(r.m) >= reissueMax {
			clear(r.m)
		}
	}
	r.m[k] = e
	r.mu.Unlock()
}

func (r *reissueMap) get(secret []byte) ([]byte, bool) {
	if len(secret) != 48 {
		return nil, false
	}
	var k [48]byte
	copy(k[:], secret)
	r.mu.Lock()
	e, ok := r.m[k]
	r.mu.Unlock()
	if !ok {
		return nil, false
	}
	id := make([]byte, IDLen)
	copy(id, e.id[:])
	return id, true
}
