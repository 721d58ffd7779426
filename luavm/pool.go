// Package luavm runs Lua the way OpenResty does, inside one Go process:
// N workers, each one *lua.LState owned by one goroutine and fed through a
// queue; every handler, hook and timer callback is a light thread (a
// coroutine) that may suspend while Go does the blocking part elsewhere.
//
// How it works:
//
//   - Run queues a request; the worker starts the chunk on a pooled
//     coroutine with a global table of its own falling back to _G (init
//     phases use _G itself; a table no run can tell from a new one is
//     reused: env.go) and resumes it, as a recycled light thread when one
//     is free. The caller blocks on a pooled channel.
//   - A Go API function suspends its thread with Suspend (op runs on its own
//     goroutine), Sleep (a timer) or Exit: it yields a per-worker marker
//     value; the worker parks the thread until a queue item resumes it with
//     the results. Phases that cannot yield (Phase.Yieldable) get
//     "API disabled in the context of ..." instead.
//   - gopher-lua cannot yield across its Go-stack pcall, so a Lua prelude
//     (sandbox.go) redefines pcall/xpcall to run the callee on a pooled
//     coroutine and relay yields outwards; coroutine.resume/wrap relay the
//     marker only. Other gopher-lua pitfalls worked around: a yield from a
//     tail-called Go function corrupts the coroutine (chunks are compiled
//     without tail calls), missing resume values become Go nils (resume
//     values are fitted to the yielding call's expected count), "arg" tables
//     built for every chunk run (dropped).
//   - Every resume runs under the worker's reusable context (no allocation
//     per run): it fires at the run's limit (Options.Timeouts per phase, a
//     yieldable run's Request.Deadline), at the memory ceiling
//     (memory.go) and at Close, and gopher-lua then stops the code at its
//     next instruction; the long Go builtins (strlib.go, ngx.re, cjson)
//     ask Interrupted between their steps. Nesting is bounded
//     (nesting.go); stuck workers are skipped and replaced (watchdog.go).
//   - Content, fetch and timer threads start in a small entry function
//     that installs a Panic handler noting the stack of a failing thread:
//     "lua entry thread aborted" lines carry OpenResty's traceback
//     (traceback.go). Thread.OnExit hooks run when a thread ends, however
//     it ends (cosockets left open are closed that way).
//   - The limit of a yieldable run also ends it while parked: a timer kept
//     with the pooled job queues a cancel item; the worker ends the thread
//     if it is still parked (end hooks run, its coroutine is dropped, its pending op's
//     result finds it dead) and Run returns ErrDeadline.
//   - Each worker keeps nginx's cached clock (ngx.now and friends): read
//     by the first Now of each queue item's turn (lazily: a turn that never
//     asks for the time reads no clock) and by UpdateTime.
//   - require loads modules with _G as their environment, once per worker
//     (package.loaded), compiled once per process; native modules and
//     package.loadlib raise clear errors; os.exit raises.
//
// luavm knows nothing of nginx.conf: it must not import confparse (the
// server maps the configuration into Options) nor ngxapi (the ngx API is
// installed through Options.Install).
package luavm

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Options configure a Pool.
type Options struct {
	Workers                   int // <= 0: runtime.NumCPU()
	Prefix                    string
	PackagePath, PackageCPath string        // lua_package_path / lua_package_cpath, ";;" resolved
	MaxPendingTimers          int           // lua_max_pending_timers; default 1024
	MaxRunningTimers          int           // lua_max_running_timers; default 256
	HookTimeout               time.Duration // lua_hook_timeout: Timeouts' default for non-yielding phases; default 1s, < 0 none

	Log     *errlog.Logger
	Install func(w *Worker) // ngxapi.Installer(env); runs on the worker goroutine at start

	// Timeouts bound each phase's light threads: how long one may take
	// from its start, running or parked, before its running code is
	// interrupted with "<limit> exceeded" (phaseLimits names it; a parked
	// thread is ended as at Request.Deadline). 0: HookTimeout for phases
	// that cannot yield, DefaultContentTimeout for content, rewrite and
	// access, none for the
	// others (the fetch hook is bounded by its Request.Deadline); < 0 none.
	Timeouts [NumPhases]time.Duration
	// StuckAfter is how long a worker may run past its deadline before the
	// watchdog calls it stuck and replaces it (watchdog.go). 0: 1 s.
	StuckAfter time.Duration

	// Init and InitWorker (init_by_lua*, init_worker_by_lua*) run on every
	// worker after Install, with _G as their global environment. A failing
	// Init makes NewPool fail; a failing InitWorker is only logged.
	Init, InitWorker *Chunk
	// DeferInitWorker leaves InitWorker to RunInitWorker (the server drops
	// privileges between init_by_lua* and init_worker_by_lua*).
	DeferInitWorker bool

	// ConnID, when set, numbers the fake connections nginx gives timers and
	// init_worker_by_lua* (the "*N" of their log lines); it should share the
	// server's connection counter.
	ConnID func() uint64

	// MaxStringSize is lua_max_string_size: the longest string the
	// builders (string.rep, table.concat, gsub, ...) make; past it they
	// raise "resulting string too large". 0: DefaultMaxStringSize.
	MaxStringSize int64

	// MaxMemory is lua_max_memory: the Go heap size past which running Lua
	// code is interrupted with "not enough memory" (memory.go). 0:
	// DefaultMaxMemory(); < 0: none.
	MaxMemory int64

	// Per-coroutine limits (0 = default): call frames and value stack slots.
	CallStackSize   int // default 5000
	RegistryMaxSize int // default 1<<18 slots (4 MB; LuaJIT stops near 65500)
	QueueSize       int // default 4096
}

// Pool is the set of workers.
type Pool struct {
	opts    Options
	list    atomic.Pointer[[]*Worker] // replaced whole when a worker is (watchdog.go)
	next    atomic.Uint32
	closeMu sync.Mutex
	closed  bool
	done    chan struct{} // closed by Close: ends the watchdog
}

// Default limits.
const (
	DefaultMaxPendingTimers = 1024
	DefaultMaxRunningTimers = 256
	DefaultHookTimeout      = time.Second
	DefaultContentTimeout   = 60 * time.Second
	DefaultMaxStringSize    = 256 << 20
)

// NoneIfZero maps a directive's "0 = none" to Options' "< 0 = none".
func NoneIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// NewPool starts the workers, installs the API and runs Init/InitWorker.
func NewPool(opts Options) (*Pool, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.MaxPendingTimers <= 0 {
		opts.MaxPendingTimers = DefaultMaxPendingTimers
	}
	if opts.MaxRunningTimers <= 0 {
		opts.MaxRunningTimers = DefaultMaxRunningTimers
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = defaultStuckAfter
	}
	if opts.HookTimeout == 0 {
		opts.HookTimeout = DefaultHookTimeout
	}
	for p := range opts.Timeouts {
		if opts.Timeouts[p] != 0 {
			continue
		}
		switch {
		case !Phase(p).Yieldable():
			opts.Timeouts[p] = opts.HookTimeout
		case Phase(p) == PhaseContent || Phase(p) == PhaseRewrite || Phase(p) == PhaseAccess:
			opts.Timeouts[p] = DefaultContentTimeout
		}
	}
	if opts.MaxMemory == 0 {
		opts.MaxMemory = DefaultMaxMemory()
	}
	if opts.MaxStringSize <= 0 {
		opts.MaxStringSize = DefaultMaxStringSize
	}
	if opts.CallStackSize <= 0 {
		opts.CallStackSize = 5000
	}
	if opts.RegistryMaxSize <= 0 {
		opts.RegistryMaxSize = 1 << 18
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.Log == nil {
		opts.Log = errlog.StderrLogger(errlog.Error)
	}
	p := &Pool{opts: opts, done: make(chan struct{})}
	ready := make(chan error, opts.Workers)
	ws := make([]*Worker, opts.Workers)
	for i := range ws {
		ws[i] = p.newWorker(i)
		go ws[i].main(ready)
	}
	p.list.Store(&ws)
	var first error
	for range ws {
		if err := <-ready; err != nil && first == nil {
			first = err
		}
	}
	go p.watchdog()
	if opts.MaxMemory > 0 {
		go p.memoryMonitor(opts.MaxMemory)
	}
	if first != nil {
		p.Close()
		return nil, first
	}
	if opts.Init != nil {
		for _, w := range p.Workers() {
			if r := w.Run(&Request{Phase: PhaseInit, Chunk: opts.Init}); r.Err != nil {
				p.Close()
				return nil, r.Err
			}
		}
	}
	if !opts.DeferInitWorker {
		p.RunInitWorker()
	}
	return p, nil
}

// RunInitWorker runs InitWorker on every worker (NewPool does unless
// DeferInitWorker); failures are only logged.
func (p *Pool) RunInitWorker() {
	if p.opts.InitWorker == nil {
		return
	}
	for _, w := range p.Workers() {
		w.Run(&Request{Phase: PhaseInitWorker, Chunk: p.opts.InitWorker,
			Conn: &errlog.Conn{ID: p.connID(), Context: PhaseInitWorker.Context()}})
	}
}

func (p *Pool) connID() uint64 {
	if p.opts.ConnID != nil {
		return p.opts.ConnID()
	}
	return 0
}

// Options returns the pool's resolved options.
func (p *Pool) Options() Options { return p.opts }

// Workers returns every worker (a snapshot: a stuck worker may be
// replaced later).
func (p *Pool) Workers() []*Worker { return *p.list.Load() }

// newWorker makes worker i; its goroutine is started with main.
func (p *Pool) newWorker(i int) *Worker {
	w := &Worker{
		ID:      i,
		Log:     p.opts.Log.ForWorker(i),
		pool:    p,
		q:       make(chan qitem, p.opts.QueueSize),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		idle:    make(chan struct{}),
		gone:    make(chan struct{}),
		ended:   make(chan struct{}),
	}
	w.hctx = newHookCtx(&w.hmu, p.opts.MaxStringSize)
	w.htimer = time.AfterFunc(time.Hour, w.hookTimer)
	w.htimer.Stop()
	return w
}

// Ended is closed when the worker's goroutine has stopped or the worker
// was left behind (Close gave up waiting for it, or the watchdog replaced
// it): what other packages keep for the worker can then be dropped.
func (w *Worker) Ended() <-chan struct{} { return w.ended }

// markEnded closes ended (after stopped or gone) and answers the jobs
// still waiting with ErrClosed.
func (w *Worker) markEnded() {
	w.endedOnce.Do(func() {
		close(w.ended)
		w.jobs.end()
	})
}

// stopNow tells the worker goroutine to return: stop is closed, and a
// qStop wakes the goroutine if it waits for its queue (when the queue is
// full it is not waiting, and sees stop before taking the next item).
func (w *Worker) stopNow() {
	close(w.stop)
	select {
	case w.q <- qitem{kind: qStop}:
	default:
	}
}

// Next picks a worker round-robin for a new connection or request; when
// that one is running Lua code now, a worker that is not (if any) is taken
// instead, and one running past its deadline (stuck: watchdog.go) only
// when all others are too.
func (p *Pool) Next() *Worker {
	ws := p.Workers()
	if len(ws) == 1 {
		return ws[0] // no choice (and no shared counter to bump)
	}
	n := int(p.next.Add(1))
	w := ws[n%len(ws)]
	if w.busyName.Load() == nil {
		return w
	}
	now := time.Now()
	var free, live *Worker
	for i := 1; i < len(ws) && free == nil; i++ {
		o := ws[(n+i)%len(ws)]
		switch {
		case o.busyName.Load() == nil:
			free = o
		case live == nil && !o.pastDeadline(now, 0):
			live = o
		}
	}
	switch {
	case free != nil:
		return free
	case !w.pastDeadline(now, 0) || live == nil:
		return w
	}
	return live
}

// Shutdown stops gracefully: every pending timer fires at once with
// premature = true, then it waits for running light threads (timers,
// handlers) to end, or for ctx, and closes the pool.
func (p *Pool) Shutdown(ctx context.Context) {
	for _, w := range p.Workers() {
		w := w
		w.exiting.Store(true)
		w.send(qitem{kind: qFunc, fn: w.expireTimers})
	}
	for _, w := range p.Workers() {
		select {
		case <-w.idle:
		case <-w.stopped:
		case <-ctx.Done():
		}
	}
	p.Close()
}

// Close stops every worker at once; light threads still parked are dropped
// and callers waiting in Run get ErrClosed.
func (p *Pool) Close() {
	p.closeMu.Lock()
	if p.closed {
		p.closeMu.Unlock()
		return
	}
	p.closed = true
	ws := p.Workers() // replacements check closed under closeMu
	p.closeMu.Unlock()
	close(p.done)
	for _, w := range ws {
		w.exiting.Store(true)
		w.quit.Store(true)
		w.stopNow()
		w.interruptNow(errExiting)
	}
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
	expired := false
	for _, w := range ws {
		if !expired {
			select {
			case <-w.stopped:
				continue
			case <-grace.C:
				expired = true // the others get no more time either
			}
		}
		select {
		case <-w.stopped:
		default:
			// its goroutine is left to end (or not) on its own; callers
			// waiting on it get ErrClosed
			w.alertBusy("lua worker did not stop: still running %s; left behind", w.busyWith())
			close(w.gone)
			w.markEnded()
		}
	}
}

func (w *Worker) main(ready chan<- error) {
	defer w.markEnded()
	defer close(w.stopped)
	if err := w.setup(); err != nil {
		ready <- err
		return
	}
	ready <- nil
	w.loop()
	w.htimer.Stop()
	w.stopTimers()
	w.L.Close()
}

func (w *Worker) setup() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("failed to initialize Lua VM: %v", r)
		}
	}()
	o := w.pool.opts
	w.L = lua.NewState(lua.Options{
		CallStackSize:       o.CallStackSize,
		RegistrySize:        256,
		RegistryGrowStep:    4096, // growth is additive: keep runaway growth linear enough
		RegistryMaxSize:     o.RegistryMaxSize,
		MinimizeStackMemory: true,
	})
	w.tick()
	w.timers.set = make(map[*timer]struct{})
	w.yieldNRet = make(map[*lua.LState]int)
	w.pcallCo = make(map[*lua.LState]struct{})
	if err := w.sandbox(); err != nil {
		return err
	}
	if err := w.setupEntry(); err != nil {
		return err
	}
	if o.Install != nil {
		o.Install(w)
	}
	return nil
}

// Exiting reports whether the pool is shutting down (ngx.worker.exiting()).
func (w *Worker) Exiting() bool { return w.exiting.Load() }

// Count is the number of workers (ngx.worker.count()).
func (w *Worker) Count() int { return len(w.pool.Workers()) }

// Marker is the value a Go API function yields (through Suspend, Sleep or
// Exit); the pcall and coroutine wrappers pass it up to the worker.
func (w *Worker) Marker() lua.LValue { return w.marker }

func (w *Worker) send(it qitem) bool {
	select {
	case w.q <- it: // room in the queue, the usual case: one channel, no wait
		return true
	default:
	}
	select {
	case w.q <- it:
		return true
	case <-w.stop:
		return false
	}
}

// hookCtx is the deadline context of a non-yielding hook. One is reused
// for every run on a worker until it actually fires.
type hookCtx struct {
	// mu is the worker's hmu, which arming, disarming and firing hold
	// anyway: fired and fns need no lock of their own (one lock pair
	// fewer per run)
	mu    *sync.Mutex
	done  chan struct{}
	fired bool
	err   error // what Err says once fired: "<limit> exceeded"
	fns   []func()
	// maxStr is the worker's lua_max_string_size: the context every
	// running LState carries is how shared Go functions (concatOp) find it
	maxStr int64
}

func newHookCtx(mu *sync.Mutex, maxStr int64) *hookCtx {
	return &hookCtx{mu: mu, done: make(chan struct{}), maxStr: maxStr}
}

func (h *hookCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (h *hookCtx) Done() <-chan struct{}       { return h.done }
func (h *hookCtx) Value(k any) any {
	if _, ok := k.(stringLimitKey); ok {
		return h.maxStr
	}
	return nil
}
func (h *hookCtx) Err() error {
	select {
	case <-h.done:
		return h.err
	default:
		return nil
	}
}

// AfterFunc lets context.WithCancel children (gopher-lua coroutines made
// inside the hook) follow this context without a goroutine each.
func (h *hookCtx) AfterFunc(f func()) func() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fired {
		go f()
		return func() bool { return false }
	}
	h.fns = append(h.fns, f)
	return func() bool { return true } // registrations are dropped at disarm
}

// armDeadline makes the worker's deadline context fire at dl with err.
// A zero dl arms no timer: the context then fires only through
// interruptNow (the memory ceiling, Close).
func (w *Worker) armDeadline(dl time.Time, err error) *hookCtx {
	w.hmu.Lock()
	hc := w.hctx
	w.harmed = true
	w.hdl = dl
	hc.err = err // read by Err only after done is closed, under hmu here
	if !dl.IsZero() {
		w.busyUntil.Store(max(monoNanos(dl), 1)) // 0: none
		// The timer stays set between runs (a Reset and a Stop per run
		// cost more than the run of a small handler): it is moved only
		// when this deadline comes first, and hookTimer sets it again
		// when it comes before the deadline of the run then.
		if w.hdue.IsZero() || dl.Before(w.hdue) {
			w.hdue = dl
			w.htimer.Reset(time.Until(dl))
		}
	}
	w.hmu.Unlock()
	return hc
}

// hookTimer is htimer's callback: it fires the deadline of the run now,
// or sets the timer again for it when that is later.
func (w *Worker) hookTimer() {
	w.hmu.Lock()
	w.hdue = time.Time{}
	if w.harmed && !w.hdl.IsZero() {
		if d := time.Until(w.hdl); d > 0 {
			w.hdue = w.hdl
			w.htimer.Reset(d)
			w.hmu.Unlock()
			return
		}
	}
	w.hmu.Unlock()
	w.fireDeadline()
}

func (w *Worker) disarmDeadline(hc *hookCtx) {
	w.busyUntil.Store(0)
	w.hmu.Lock()
	w.harmed = false
	hc.fns = hc.fns[:0]
	if hc.fired {
		w.hctx = newHookCtx(&w.hmu, w.pool.opts.MaxStringSize)
	}
	w.hmu.Unlock()
}

func (w *Worker) fireDeadline() {
	w.hmu.Lock()
	defer w.hmu.Unlock()
	if !w.harmed || w.hdl.IsZero() || time.Now().Before(w.hdl) {
		return
	}
	hc := w.hctx // hc.mu is hmu, held
	if hc.fired {
		return
	}
	hc.fired = true
	close(hc.done)
	fns := hc.fns
	hc.fns = nil
	for _, f := range fns {
		f()
	}
}
