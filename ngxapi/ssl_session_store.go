// ngx.ssl.session.store: a goresty built-in for fleets that share TLS
// sessions through redis or memcached (README: "A fleet sharing sessions").
//
//	store.configure(opts)       once per worker (init_by_lua*): backend, host, port, ...
//	ok, err = store.queue(id, sess)   store hook: never yields; stored in the background
//	sess, err = store.fetch(id)       fetch hook: nil, nil when there is none
//	store.log(level, ...)       ngx.log at most once a second per distinct message
//
// The store hook cannot yield, and a 0-delay timer per session runs out of
// lua_max_running_timers in a burst and opens a connection per session.
// Here sessions go into a bounded per-worker queue (full: the oldest is
// dropped and counted) drained by one timer per worker, which pipelines
// them (redis SETEX, memcached set) over one kept-alive connection and
// keeps them queued, backing off, while the store is unreachable. Fetches
// share a per-worker pool of pool_size connections; a burst waits for one
// in a backlog (connect's pool_size/backlog) for at most the timeout.
//
// The Lua half is ssl_session_store.lua; this file gives it what Lua
// cannot have: process-wide counters, a monotonic clock and the
// rate-limited log, and serves the counters with ssl_session_metrics.

package ngxapi

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

//go:embed ssl_session_store.lua
var sessionStoreLua string

// storeStats are process-wide, as the session counters are, so that they
// survive reloads.
var storeStats struct {
	used                             atomic.Bool // configure was called: the metrics are served
	queued, written, dropped, errors atomic.Uint64
	hits, misses, fetchErrors        atomic.Uint64
	skipped                          atomic.Uint64 // fetches not made: the store failed less than DOWN_SKIP ago
	fetch                            histogram
}

// storeLogLimiter limits store.log (and the module's own lines): one line
// a second per distinct message, process-wide.
var storeLogLimiter = errlog.NewLimiter(time.Second)

// histogram is a Prometheus histogram of seconds.
type histogram struct {
	counts [len(fetchBuckets) + 1]atomic.Uint64 // the last is +Inf
	sumNs  atomic.Uint64
}

var fetchBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

func (h *histogram) observe(sec float64) {
	i := 0
	for i < len(fetchBuckets) && sec > fetchBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(math.Max(sec, 0) * 1e9))
}

var storeClockBase = time.Now()

// storeWaiting holds, per Lua worker ("pool/id"), the sessions queued and
// not yet written or dropped: the queue_length gauge is their sum. A
// worker replaced by a fresh one (stuck past its deadline) loses its
// queue: the fresh one's module counts those as dropped.
var storeWaiting sync.Map // string -> *atomic.Int64

func waitingSlot(w *luavm.Worker) *atomic.Int64 {
	v, _ := storeWaiting.LoadOrStore(fmt.Sprintf("%p/%d", w.Pool(), w.ID), new(atomic.Int64))
	slot := v.(*atomic.Int64)
	if lost := slot.Swap(0); lost > 0 {
		storeStats.dropped.Add(uint64(lost))
	}
	return slot
}

// storeDown holds, per store address, until when (storeClockBase ns)
// fetches skip it after a failure: process-wide, so that one worker's
// failure spares the others the wait and any worker's success ends it.
var storeDown sync.Map // string -> *atomic.Int64

func init() {
	register("ngx.ssl.session.store", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		w.L.PreloadModule("ngx.ssl.session.store", func(L *lua.LState) int {
			fn, err := L.Load(strings.NewReader(sessionStoreLua), "ngx/ssl/session/store.lua")
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(fn)
			L.Push(storeNatives(w, L))
			L.Call(1, 1)
			return 1
		})
	})
}

func storeNatives(w *luavm.Worker, L *lua.LState) *lua.LTable {
	t := L.NewTable()
	set := func(name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }
	waiting := waitingSlot(w)
	set("configured", func(L *lua.LState) int {
		storeStats.used.Store(true)
		return 0
	})
	// count(what, n): queued, written, dropped, errors; queued and the
	// ends of a session's stay (written, dropped) move the waiting gauge.
	set("count", func(L *lua.LState) int {
		what, n := L.CheckString(1), L.CheckInt(2)
		switch what {
		case "queued":
			storeStats.queued.Add(uint64(n))
			waiting.Add(int64(n))
		case "written":
			storeStats.written.Add(uint64(n))
			waiting.Add(-int64(n))
		case "dropped":
			storeStats.dropped.Add(uint64(n))
			waiting.Add(-int64(n))
		case "errors":
			storeStats.errors.Add(uint64(n))
		default:
			L.ArgError(1, "unknown counter "+what)
		}
		return 0
	})
	// down(peer, seconds): fetches skip peer for seconds (0: no longer);
	// isdown(peer): whether they do now.
	downOf := func(peer string) *atomic.Int64 {
		v, _ := storeDown.LoadOrStore(peer, new(atomic.Int64))
		return v.(*atomic.Int64)
	}
	set("down", func(L *lua.LState) int {
		peer, sec := L.CheckString(1), float64(L.CheckNumber(2))
		until := int64(0)
		if sec > 0 {
			until = int64(time.Since(storeClockBase)) + int64(sec*1e9)
		}
		downOf(peer).Store(until)
		return 0
	})
	set("isdown", func(L *lua.LState) int {
		L.Push(lua.LBool(int64(time.Since(storeClockBase)) < downOf(L.CheckString(1)).Load()))
		return 1
	})
	set("clock", func(L *lua.LState) int {
		L.Push(lua.LNumber(time.Since(storeClockBase).Seconds()))
		return 1
	})
	// fetched(seconds, result): result "hit", "miss", "error" or
	// "skipped" (not timed).
	set("fetched", func(L *lua.LState) int {
		sec, res := float64(L.CheckNumber(1)), L.CheckString(2)
		if res == "skipped" {
			storeStats.skipped.Add(1)
			return 0
		}
		storeStats.fetch.observe(sec)
		switch res {
		case "hit":
			storeStats.hits.Add(1)
		case "miss":
			storeStats.misses.Add(1)
		default:
			storeStats.fetchErrors.Add(1)
		}
		return 0
	})
	// quiet(on): the sockets made while on (by nginx.redis's new, ...)
	// log their failures once a second per message, with the http level's
	// lua_socket_* settings.
	set("quiet", func(L *lua.LState) int {
		if v, ok := sockEnvs.Load(w); ok {
			v.(*sockEnv).quiet = L.ToBool(1)
		}
		return 0
	})
	set("log", func(L *lua.LState) int {
		lv := L.CheckInt(1)
		if lv < int(errlog.Stderr) || lv > int(errlog.Debug) {
			L.ArgError(1, "bad log level")
		}
		luaLogLimited(w, L, errlog.Level(lv), 2, storeLogLimiter)
		return 0
	})
	return t
}

// WriteSessionStoreMetrics writes ngx.ssl.session.store's counters in
// Prometheus text format (ssl_session_metrics), once a worker of this
// process has configured the module.
func WriteSessionStoreMetrics(w io.Writer) {
	s := &storeStats
	if !s.used.Load() {
		return
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %[1]s %[2]s\n# TYPE %[1]s counter\n%[1]s %[3]d\n", name, help, v)
	}
	counter("goresty_ssl_session_store_queued_total", "Sessions queued by ngx.ssl.session.store to be stored in the background.", s.queued.Load())
	counter("goresty_ssl_session_store_written_total", "Queued sessions the store accepted.", s.written.Load())
	counter("goresty_ssl_session_store_dropped_total", "Queued sessions never stored: the queue was full (the oldest goes) or the worker stopped.", s.dropped.Load())
	counter("goresty_ssl_session_store_errors_total", "Store writes that failed (a batch that could not be sent, or a session the store refused).", s.errors.Load())
	var waiting int64
	storeWaiting.Range(func(_, v any) bool {
		waiting += v.(*atomic.Int64).Load()
		return true
	})
	fmt.Fprintf(w, "# HELP goresty_ssl_session_store_queue_length Sessions waiting to be stored.\n"+
		"# TYPE goresty_ssl_session_store_queue_length gauge\n"+
		"goresty_ssl_session_store_queue_length %d\n", waiting)
	fmt.Fprintf(w, "# HELP goresty_ssl_session_store_fetches_total Session fetches by result (error: the store could not be asked; skipped: not asked, it failed just before).\n"+
		"# TYPE goresty_ssl_session_store_fetches_total counter\n"+
		"goresty_ssl_session_store_fetches_total{result=\"hit\"} %d\n"+
		"goresty_ssl_session_store_fetches_total{result=\"miss\"} %d\n"+
		"goresty_ssl_session_store_fetches_total{result=\"error\"} %d\n"+
		"goresty_ssl_session_store_fetches_total{result=\"skipped\"} %d\n", s.hits.Load(), s.misses.Load(), s.fetchErrors.Load(), s.skipped.Load())
	const h = "goresty_ssl_session_store_fetch_duration_seconds"
	fmt.Fprintf(w, "# HELP %s Time a session fetch took (queue wait, connect and lookup).\n# TYPE %s histogram\n", h, h)
	var cum uint64
	for i, le := range fetchBuckets {
		cum += s.fetch.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", h, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += s.fetch.counts[len(fetchBuckets)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", h, cum, h,
		strconv.FormatFloat(float64(s.fetch.sumNs.Load())/1e9, 'g', -1, 64), h, cum)
}
