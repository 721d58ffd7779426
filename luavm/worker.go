package luavm

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Request asks a worker to run a chunk as a new light thread.
type Request struct {
	Phase Phase
	Chunk *Chunk
	Ctx   any          // phase data: *ngxapi.HTTPCtx, *ngxapi.SessionCtx, ...
	Conn  *errlog.Conn // suffixes for log lines made while it runs

	// Log, when set, is the error log of this run (the error_log of the
	// request's location): ngx.log/print, the thread's failure line and the
	// timers it creates write there. nil: the worker's log.
	Log *errlog.Logger

	// Deadline, when set, bounds a yieldable run (content, fetch hook): a
	// light thread still parked then (waiting in Suspend or Sleep) is ended
	// on the worker goroutine (its OnExit hooks run, closing its
	// cosockets; what its pending operation returns later is dropped) and
	// Run returns ErrDeadline, which luavm does not log: the caller knows
	// what the deadline was and says so in one line. A run whose deadline
	// has passed before it starts does not start. Non-yielding phases run
	// under Options.HookTimeout instead and ignore it. No allocation when
	// unset; when set, a timer kept with the pooled job.
	Deadline time.Time

	// Shared, when set, is what the light threads of one request share
	// across its phases (ngx.ctx). All of them must run on the same worker.
	Shared *Shared
}

// Shared is the per-request state the phases of one request share; the
// zero value is ready. Worker goroutine only.
type Shared struct {
	ngxCtx *lua.LTable
	entry  *Thread // the entry thread of the latest yieldable phase (Entry)
}

// Result is how a light thread started by Run ended.
type Result struct {
	Err    error // the Lua error (already logged), nil on success
	Exit   int   // code given to ngx.exit
	Exited bool  // ngx.exit was called
	// Value is what a set_by_lua* chunk returned, as a string (a number as
	// LuaJIT prints it; nil, a table, a boolean: "").
	Value string
	// Where is "chunk:line: " of the call a thread ended by its deadline
	// was waiting in (ErrDeadline), "" when unknown.
	Where string
}

// Thread is a light thread: one coroutine on a worker.
type Thread struct {
	Phase Phase
	// (small fields next to Phase: the struct stays within 128 bytes, one
	// allocation size class, on the hook hot path)
	exited bool
	parked bool
	dead   bool
	// pinned: something may still refer to the thread after its end (a
	// queue item, a timer, a user thread, Keep): it is not recycled
	pinned bool
	Ctx    any
	Conn   *errlog.Conn

	w      *Worker
	co     *lua.LState
	ngxCtx *lua.LTable
	job    *runJob
	timer  *timer
	exit   int
	onExit *exitHook // end hooks (OnExit), most recent first

	yielders []*lua.LState // coroutines with an entry in w.yieldNRet
	// fn is the function of the thread's chunk, made once and kept with
	// the recycled thread (its Proto and Env are set for each run); env is
	// the run's global table (nil: _G), kept too when nothing can tell it
	// from a fresh one (env.go)
	fn  *lua.LFunction
	env *lua.LTable
}

type exitHook struct {
	fn   func()
	next *exitHook
}

// Worker returns the worker the thread runs on.
func (t *Thread) Worker() *Worker { return t.w }

// NgxCtx returns the thread's ngx.ctx table, creating it on first use;
// the request's, shared by its phases, when the run has Request.Shared.
func (t *Thread) NgxCtx() *lua.LTable {
	p := t.ctxSlot()
	if *p == nil {
		*p = t.w.L.NewTable()
	}
	return *p
}

// SetNgxCtx replaces the thread's ngx.ctx table (ngx.ctx = t).
func (t *Thread) SetNgxCtx(tb *lua.LTable) { *t.ctxSlot() = tb }

func (t *Thread) ctxSlot() **lua.LTable {
	if j := t.job; j != nil && j.req != nil && j.req.Shared != nil {
		return &j.req.Shared.ngxCtx
	}
	return &t.ngxCtx
}

// OnExit registers fn to run when the light thread ends, however it ends
// (return, Lua error, hook deadline, ngx.exit). Hooks run on the worker
// goroutine, last registered first, before Run returns to its caller; it
// is how resources bound to a request (cosockets left open) are released
// at its end, as OpenResty's request cleanup handlers. Call it on the
// worker goroutine only (ngxapi code), on a thread that has not ended.
func (t *Thread) OnExit(fn func()) {
	if t.dead {
		return
	}
	t.onExit = &exitHook{fn: fn, next: t.onExit}
}

// Log is the error log of the thread's lines: its Request.Log, for a timer
// the log of the thread that created it, else the worker's.
func (t *Thread) Log() *errlog.Logger {
	if l := t.reqLog(); l != nil {
		return l
	}
	return t.w.Log
}

// reqLog is the thread's own log, nil when it uses the worker's.
func (t *Thread) reqLog() *errlog.Logger {
	if u := t.w.uctxOf(t); u != nil && u.log != nil {
		return u.log
	}
	if j := t.job; j != nil && j.req != nil {
		return j.req.Log
	}
	if tm := t.timer; tm != nil {
		return tm.log
	}
	return nil
}

// Keep says that the caller keeps t past its end, to compare it with the
// threads that run later (a cosocket's owner): t is then not recycled for
// another run. Worker goroutine only.
func (t *Thread) Keep() { t.pinned = true }

// Exited reports whether ngx.exit was called, and with which code.
func (t *Thread) Exited() (int, bool) { return t.exit, t.exited }

// SetExit records an exit code without ending the thread (OpenResty's
// ngx.exit in ssl_session_store_by_lua*, which returns and lets the code
// go on); Run reports it in Result.
func (t *Thread) SetExit(code int) { t.exit, t.exited = code, true }

type qkind uint8

const (
	qRun qkind = iota + 1
	qResume
	qFunc
	qTimer
	qCancel
	qStop // the worker is closed (stopNow)
)

type qitem struct {
	kind qkind
	job  *runJob
	th   *Thread
	vals []lua.LValue
	fn   func()
	tm   *timer
}

type runJob struct {
	req  *Request
	done chan Result

	// Request.Deadline (worker goroutine, except dl's callback): th is the
	// job's running thread; dl the deadline timer, made on first use and
	// kept with the pooled job; late says dl fired while the job ran, so a
	// qCancel naming the job may still be queued: the job is not recycled.
	th    *Thread
	w     *Worker
	dl    *time.Timer
	armed bool
	late  bool
	value string // Result.Value
	where string // Result.Where of a thread ended parked
	// until is when a yieldable run's running code is interrupted: the
	// earlier of Request.Deadline and the phase's Timeouts from its start
	until time.Time

	// in the worker's jobList until answered (jobs.go, under its mu);
	// closed: answered by the worker's end, so kept out of the pool
	prev, next     *runJob
	listed, closed bool
}

// deadline is the timer callback of Request.Deadline: the worker ends the
// job's thread if it is still there (see cancel).
func (j *runJob) deadline() { j.w.send(qitem{kind: qCancel, job: j}) }

var jobPool = sync.Pool{New: func() any { return &runJob{done: make(chan Result, 1)} }}

// Worker is one Lua VM and the goroutine that owns it.
type Worker struct {
	ID  int
	L   *lua.LState // touched only on the worker goroutine
	Log *errlog.Logger

	pool    *Pool
	q       chan qitem
	cur     *Thread
	free    []*lua.LState // finished coroutines ready for reuse
	freeTh  []*Thread     // ended threads ready for reuse (newThread)
	envMeta *lua.LTable   // {__index = _G} for per-run function environments
	marker  *lua.LUserData

	// hook deadline (non-yielding phases)
	hmu     sync.Mutex
	hctx    *hookCtx
	hdl     time.Time
	harmed  bool
	htimer  *time.Timer
	hdue    time.Time     // when htimer is set to fire; zero: not set
	threads int           // live light threads (worker goroutine only)
	stop    chan struct{} // closed by Close
	stopped chan struct{} // closed when the goroutine has ended
	idle    chan struct{} // closed when exiting and nothing is left to run
	gone    chan struct{} // closed when Close gives up waiting for the goroutine
	// ended: closed after stopped or gone (Ended), when the jobs still
	// waiting are answered (jobs)
	ended     chan struct{}
	endedOnce sync.Once
	jobs      jobList
	// what runs now and until when (watchdog.go; busyUntil in monoNanos);
	// 0 / nil when idle or without a deadline
	busyUntil atomic.Int64
	busyName  atomic.Pointer[string]
	busyConn  atomic.Pointer[errlog.Conn]
	idleOnce  sync.Once
	quit      atomic.Bool
	exiting   atomic.Bool
	replaced  atomic.Bool // taken out by the watchdog (its timers are dropped)
	timers    timerState
	// values expected by the call that made each coroutine yield (see
	// noteYield); MultRet (-1) when any number will do
	yieldNRet map[*lua.LState]int
	// pcallCo holds the pooled coroutines running a pcall or xpcall body
	// (xresume), from its start to its end: coroutine.running looks
	// through them (coRunning)
	pcallCo map[*lua.LState]struct{}
	nest    nesting // coroutine levels now running (nesting.go)
	// the first error a coroutine ended with after the deadline context
	// fired: the innermost place the limit stopped, which later re-raises
	// (in the pcall wrappers, without a position) would hide
	limitMsg string

	// light threads start in entry(fn, args...), which installs panicFn
	// to note the traceback of a failing thread in lastTB (traceback.go)
	now      time.Time // cached clock (clock.go)
	nowOK    bool      // now was read in this event-loop turn
	entry    *lua.LFunction
	uentry   *lua.LFunction    // entry of user threads: returns the results
	uth      map[*Thread]*uctx // threads that spawned or are user threads (ngx.thread)
	entryArg [1]lua.LValue
	panicFn  func(*lua.LState)
	lastTB   struct {
		val  lua.LValue
		text string
	}
}

// Current is the light thread being resumed now, nil when none (e.g. while
// a module is loaded at worker start). ngxapi code runs on the worker
// goroutine, so this is always the thread that called it.
func (w *Worker) Current() *Thread { return w.cur }

// CurrentLog is the error log for lines about the light thread being
// resumed now (Thread.Log), the worker's when there is none.
func (w *Worker) CurrentLog() *errlog.Logger {
	if t := w.cur; t != nil {
		if l := t.reqLog(); l != nil {
			return l
		}
	}
	return w.Log
}

// Pool returns the pool the worker belongs to.
func (w *Worker) Pool() *Pool { return w.pool }

// Threads is the number of live light threads on the worker (running,
// parked or queued). Worker goroutine only: from another goroutine, ask
// through Post.
func (w *Worker) Threads() int { return w.threads }

// Post runs fn on the worker goroutine via its queue (blocking while the
// queue is full: do not call it from the worker goroutine itself). After
// Close, fn is dropped.
func (w *Worker) Post(fn func()) { w.send(qitem{kind: qFunc, fn: fn}) }

// Run starts the chunk as a new light thread on w and blocks the calling
// goroutine (never the worker) until the thread ends. A Lua error is
// logged with OpenResty's wording and returned in Result.Err. Never call it
// on a worker goroutine (from Lua API code): it would wait for itself.
func (w *Worker) Run(req *Request) Result {
	if w.quit.Load() {
		return Result{Err: ErrClosed}
	}
	j := jobPool.Get().(*runJob)
	j.req = req
	if !w.jobs.add(j) {
		j.req = nil
		jobPool.Put(j)
		return Result{Err: ErrClosed}
	}
	if !w.send(qitem{kind: qRun, job: j}) && w.jobs.take(j) {
		j.req = nil
		jobPool.Put(j)
		return Result{Err: ErrClosed}
	}
	res := <-j.done // from the worker, or its end (jobs.go)
	if j.closed {
		return res // answered by the worker's end: a stuck worker may still hold j
	}
	j.req = nil
	if !j.late {
		jobPool.Put(j)
	}
	return res
}

// RunNested runs a chunk of a phase that cannot yield (header and body
// filters) to its end, at once, from Go code already running on w's
// goroutine inside a light thread (ngx.say sending headers through
// header_filter_by_lua*). The calling thread is left as it was.
func (w *Worker) RunNested(req *Request) Result {
	if req.Phase.Yieldable() {
		return Result{Err: errors.New("RunNested: phase " + req.Phase.String() + " may yield")}
	}
	j := jobPool.Get().(*runJob)
	j.req = req
	if !w.jobs.add(j) {
		j.req = nil
		jobPool.Put(j)
		return Result{Err: ErrClosed}
	}
	w.startRun(j)
	res := <-j.done // a thread that cannot yield has ended by now
	if j.closed {
		return res
	}
	j.req = nil
	jobPool.Put(j)
	return res
}

// ErrClosed is returned by Run on a closed pool.
var ErrClosed = errors.New("lua VM closed")

// ErrDeadline is returned by Run when Request.Deadline ended the light
// thread (or came before it started). It is not logged by luavm.
var ErrDeadline = errors.New("light thread aborted at its deadline")

// loop is the worker goroutine's dispatcher.
func (w *Worker) loop() {
	for {
		// one channel to wait on (stopNow sends qStop): a select over
		// the queue and stop costs more, and this wait is once per run
		select {
		case <-w.stop:
			return
		default:
		}
		it := <-w.q
		if it.kind == qStop {
			return
		}
		w.nowOK = false // a new turn: the cached clock is read on demand
		switch it.kind {
		case qRun:
			w.startRun(it.job)
		case qResume:
			if it.th.dead {
				continue
			}
			it.th.parked = false
			w.resume(it.th, nil, it.vals)
		case qFunc:
			w.safeCall(it.fn)
		case qTimer:
			w.fireTimer(it.tm)
		case qCancel:
			w.cancel(it.job)
		}
		if w.exiting.Load() && w.threads == 0 && w.timers.pending.Load() == 0 {
			w.idleOnce.Do(func() { close(w.idle) })
		}
	}
}

func (w *Worker) safeCall(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			w.Log.Logf(errlog.Alert, "lua worker: panic in posted function: %v", r)
		}
	}()
	fn()
}

func (w *Worker) runExitHook(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			w.Log.Logf(errlog.Alert, "lua worker: panic in light thread end hook: %v", r)
		}
	}()
	fn()
}

// newThread makes a light thread, on a recycled Thread when one is free.
func (w *Worker) newThread(ph Phase, ctx any, conn *errlog.Conn) *Thread {
	var t *Thread
	if n := len(w.freeTh); n > 0 {
		t = w.freeTh[n-1]
		w.freeTh = w.freeTh[:n-1]
		*t = Thread{w: w, Phase: ph, Ctx: ctx, Conn: conn, fn: t.fn, env: t.env}
	} else {
		t = &Thread{w: w, Phase: ph, Ctx: ctx, Conn: conn}
	}
	t.co = w.takeCo()
	w.threads++
	return t
}

// chunkFunc returns the function that runs chunk in env: the thread's own,
// made on its first run (a main chunk has no upvalues: Proto and Env are
// all there is to set).
func (w *Worker) chunkFunc(t *Thread, c *Chunk, env *lua.LTable) *lua.LFunction {
	fn := t.fn
	if fn == nil || c.Proto.NumUpvalues != 0 {
		fn = w.L.NewFunctionFromProto(c.Proto)
		t.fn = fn
	}
	fn.Proto, fn.Env = c.Proto, env
	return fn
}

func (w *Worker) startRun(j *runJob) {
	req := j.req
	if req.Chunk == nil || req.Chunk.Proto == nil {
		w.answer(j, Result{Err: errors.New("no Lua chunk")})
		return
	}
	j.until = time.Time{}
	if req.Phase.Yieldable() {
		until := req.Deadline
		var now time.Time // one clock read
		if lim := w.pool.opts.Timeouts[req.Phase]; lim > 0 || !until.IsZero() {
			now = monoNow()
			if u := now.Add(lim); lim > 0 && (until.IsZero() || u.Before(until)) {
				until = u
			}
		}
		if !until.IsZero() {
			if !until.After(now) {
				w.answer(j, Result{Err: ErrDeadline})
				return
			}
			j.until = until
		}
	}
	t := w.newThread(req.Phase, req.Ctx, req.Conn)
	t.job = j
	if req.Shared != nil && req.Phase.Yieldable() {
		req.Shared.entry = t
	}
	env := w.L.G.Global
	if req.Phase != PhaseInit && req.Phase != PhaseInitWorker {
		env = w.runEnv(t)
	} else {
		t.env = nil
	}
	fn := w.chunkFunc(t, req.Chunk, env)
	if !req.Phase.tracebacks() {
		// no traceback is logged for these phases: no entry function,
		// nothing added to the store hook's hot path
		w.resume(t, fn, nil)
		return
	}
	w.entryArg[0] = fn
	w.resume(t, w.entry, w.entryArg[:])
	w.entryArg[0] = nil
}

// resume runs t until it yields or ends. fn is set for the first resume.
func (w *Worker) resume(t *Thread, fn *lua.LFunction, args []lua.LValue) {
	prev, prevNest := w.cur, w.nest
	w.cur, w.nest, w.limitMsg = t, nesting{}, ""
	if fn == nil {
		args = w.fitResume(t.co, args)
	}
	var (
		st  lua.ResumeState
		err error
		ret []lua.LValue
	)
	w.markBusy(t)
	// every run gets the worker's context, deadline or not: the memory
	// ceiling (memory.go) and Close interrupt through it too
	hc := w.armDeadline(w.runDeadline(t), limitErrs[t.Phase])
	t.co.SetContext(hc)
	st, err, ret = w.L.Resume(t.co, fn, args...)
	w.disarmDeadline(hc)
	t.co.RemoveContext()
	w.busyName.Store(nil)
	w.busyConn.Store(nil)
	w.cur, w.nest = prev, prevNest
	switch {
	case st == lua.ResumeOK:
		if u := w.uctxOf(t); u != nil && u.parent != nil { // a user thread's results, for wait
			u.vals = append([]lua.LValue{lua.LTrue}, ret...)
		}
		if t.Phase == PhaseSet && len(ret) > 0 && t.job != nil {
			switch v := ret[0].(type) {
			case lua.LString:
				t.job.value = string(v)
			case lua.LNumber:
				t.job.value = FormatNumber(float64(v))
			}
		}
		w.finish(t, nil, true)
	case t.exited && st == lua.ResumeYield:
		w.finish(t, nil, false)
	case st == lua.ResumeError:
		w.finish(t, err, false)
	case len(ret) > 0 && ret[0] == w.marker:
		// parked by Suspend/Sleep: resumed through the queue.
		if !t.parked && !t.exited {
			w.finish(t, errors.New("light thread yielded without a pending operation"), false)
			return
		}
		w.armJob(t)
	default:
		// plain coroutine.yield() in the entry thread: give others a turn.
		if !t.Phase.Yieldable() {
			w.finish(t, errors.New("attempt to yield across C-call boundary"), false)
			return
		}
		t.parked, t.pinned = true, true
		w.armJob(t)
		w.requeue(t, nil)
	}
}

// armJob sets the Request.Deadline timer of t's run when t first parks:
// code running is interrupted by the worker's deadline context, so a run
// that never waits (most) needs no timer of its own.
func (w *Worker) armJob(t *Thread) {
	j := t.job
	if j == nil || j.armed || j.until.IsZero() {
		return
	}
	dl := time.Until(j.until)
	j.th, j.w, j.armed = t, w, true
	if j.dl == nil {
		j.dl = time.AfterFunc(dl, j.deadline)
	} else {
		j.dl.Reset(dl)
	}
}

// runDeadline is when t's code, about to run, is interrupted: a
// non-yielding phase's Timeouts from now, a run's until; zero for none.
func (w *Worker) runDeadline(t *Thread) time.Time {
	if !t.Phase.Yieldable() {
		if lim := w.pool.opts.Timeouts[t.Phase]; lim > 0 {
			return monoNow().Add(lim)
		}
		return time.Time{}
	}
	if j := t.job; j != nil {
		return j.until
	}
	return time.Time{}
}

func (w *Worker) requeue(t *Thread, vals []lua.LValue) {
	it := qitem{kind: qResume, th: t, vals: vals}
	select {
	case w.q <- it:
	default:
		go w.send(it)
	}
}

// takeCo returns a coroutine from the worker's pool or a new one.
func (w *Worker) takeCo() *lua.LState {
	if n := len(w.free); n > 0 {
		co := w.free[n-1]
		w.free = w.free[:n-1]
		return co
	}
	co, _ := w.L.NewThread()
	return co
}

// putCo keeps a coroutine that finished normally for reuse (ResumeOK means
// its call stack is empty; only stale registers remain).
func (w *Worker) putCo(co *lua.LState) {
	if len(w.free) < 256 {
		co.SetTop(0)
		co.Dead = false
		w.free = append(w.free, co)
	}
}

// LuaError is a Lua runtime error of a light thread.
type LuaError struct {
	Msg       string // the error value as a string
	Traceback string // "stack traceback:\n..." when available
}

func (e *LuaError) Error() string { return e.Msg }

func (w *Worker) finish(t *Thread, err error, clean bool) {
	var lerr *LuaError
	if err != nil && err != ErrDeadline && err != errKilled {
		msg := err.Error()
		tb := ""
		if ae, ok := err.(*lua.ApiError); ok {
			msg = errValueString(ae.Object)
			tb = w.takeTraceback(ae.Object)
		}
		if w.limitMsg != "" && msg == limitErrs[t.Phase].Error() {
			msg = w.limitMsg
		}
		w.limitMsg = ""
		lerr = &LuaError{Msg: msg, Traceback: tb}
		w.logFailure(t, lerr)
	}
	if t.timer != nil {
		w.timers.running--
	}
	res := Result{Exit: t.exit, Exited: t.exited}
	if j := t.job; j != nil {
		res.Value, j.value = j.value, ""
	}
	if lerr != nil {
		res.Err = lerr
	} else if err == ErrDeadline {
		res.Err = err
		if j := t.job; j != nil {
			res.Where, j.where = j.where, ""
		}
	}
	j := t.job
	if j != nil && j.armed {
		j.th, j.armed = nil, false
		if !j.dl.Stop() {
			j.late = true // a qCancel may be on its way: keep j out of the pool
		}
	}
	u := w.uctxOf(t)
	if u != nil {
		delete(w.uth, t)
		if u.parent != nil {
			w.uthreadEnded(t, u, lerr, err)
		} else if err != nil || t.exited {
			w.killUserThreads(u.grp)
		}
	}
	co := t.co
	for _, c := range t.yielders {
		delete(w.yieldNRet, c)
		delete(w.pcallCo, c) // a pcall body parked when its thread ended
	}
	for h := t.onExit; h != nil; h = t.onExit {
		t.onExit = h.next
		w.runExitHook(h.fn)
	}
	// Reuse the coroutine only when it finished normally.
	if clean && (u == nil || u.parent == nil) { // a user thread's coroutine is its handle
		w.putCo(co)
	}
	if j != nil && j.req != nil && j.req.Shared != nil && j.req.Shared.entry == t {
		j.req.Shared.entry = nil
	}
	fn, env, pinned := t.fn, t.env, t.pinned
	*t = Thread{w: w, dead: true}
	// Recycled unless something may still refer to it: a thread that never
	// waited has no queue item, timer or goroutine aiming at it, and the end
	// hooks have dropped what ngxapi held (Keep marks the rest).
	if !pinned && u == nil && len(w.freeTh) < 64 {
		if fn != nil {
			if !w.envReusable(env, fn.Proto) {
				env = nil
			}
			fn.Env = nil // a free thread does not keep the run's globals alive
		}
		t.fn, t.env = fn, env
		w.freeTh = append(w.freeTh, t)
	}
	w.threads--
	switch {
	case u != nil && u.parent == nil && u.grp.live > 0 && j != nil:
		// the entry thread: the request waits for its user threads
		u.grp.entryDone, u.grp.job, u.grp.res = true, j, res
	case j != nil:
		w.answer(j, res)
	case u != nil && u.grp.entryDone && u.grp.live == 0 && u.grp.job != nil:
		w.answer(u.grp.job, u.grp.res)
		u.grp.job = nil
	}
	// A thread not recycled stays dead: a late queue item may still hold
	// it (dead=true makes that a no-op).
}

// cancel ends j's light thread at its Request.Deadline. The thread is
// parked (the worker runs one thing at a time: a thread that is not
// running now waits for a queue item); its coroutine, suspended
// mid-call, is dropped rather than reused, and the queue items still
// aimed at it (its operation's result, a sleep's end) find it dead.
func (w *Worker) cancel(j *runJob) {
	t := j.th
	if t == nil || t.dead || t.job != j || t.w != w {
		return // ended before the timer fired
	}
	for _, co := range t.yielders { // the first still waiting is the innermost
		if _, waiting := w.yieldNRet[co]; waiting && j.where == "" {
			j.where = userWhere(co)
		}
	}
	w.finish(t, ErrDeadline, false)
}

// errValueString renders an error value as lua_tostring would: strings
// and numbers; anything else is "unknown reason", as OpenResty logs it.
func errValueString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return FixErrorText(string(x))
	case lua.LNumber:
		return FormatNumber(float64(x))
	}
	return "unknown reason"
}

func (w *Worker) logFailure(t *Thread, e *LuaError) {
	prefix := t.Phase.failurePrefix()
	if u := w.uctxOf(t); u != nil && u.parent != nil {
		prefix = "lua user thread aborted: runtime error: "
	}
	msg := prefix + e.Msg
	if t.Phase.tracebacks() && e.Traceback != "" {
		// OpenResty: "lua entry thread aborted: runtime error: <msg>\n<traceback>"
		msg += "\n" + e.Traceback
	}
	t.Log().LogConn(errlog.Error, t.Conn, msg)
}
