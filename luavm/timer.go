package luavm

import (
	"errors"
	"sort"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// Timer errors, worded as OpenResty's ngx.timer.at returns them.
var (
	ErrTooManyTimers  = errors.New("too many pending timers")
	ErrProcessExiting = errors.New("process exiting")
)

type timerState struct {
	// armed, not yet fired; atomic only so that a stuck worker's count can
	// be read when it is replaced (watchdog.go): the worker goroutine is
	// the only writer
	pending atomic.Int32
	running int // callbacks running now
	set     map[*timer]struct{}
	seq     uint64 // arming order
}

type timer struct {
	fn    *lua.LFunction
	args  []lua.LValue
	delay time.Duration
	every bool
	t     *time.Timer
	due   time.Time
	seq   uint64
	conn  *errlog.Conn
	log   *errlog.Logger // the creator's Request.Log; nil: the worker's
}

// TimerAt arms a timer on the current worker (ngx.timer.at / every): after
// delay, fn runs as a new light thread with (premature, args...). It must be
// called on the worker goroutine.
func (w *Worker) TimerAt(delay time.Duration, fn *lua.LFunction, args []lua.LValue, every bool) error {
	if w.exiting.Load() && (delay > 0 || every) {
		return ErrProcessExiting
	}
	if int(w.timers.pending.Load()) >= w.pool.opts.MaxPendingTimers {
		return ErrTooManyTimers
	}
	tm := &timer{fn: fn, args: args, delay: delay, every: every}
	// nginx runs a timer on a fake connection of its own, keeping the
	// creator's client and server for log lines
	tm.conn = &errlog.Conn{Context: PhaseTimer.Context()}
	if t := w.cur; t != nil {
		if t.Conn != nil {
			tm.conn.Client, tm.conn.Server = t.Conn.Client, t.Conn.Server
			if t.Conn.Listen != "" {
				tm.conn.Server = t.Conn.Listen
			}
		}
		// as OpenResty's timers, which log to the creating location's
		// error_log
		tm.log = t.reqLog()
	}
	w.arm(tm)
	return nil
}

func (w *Worker) arm(tm *timer) {
	w.timers.pending.Add(1)
	w.timers.set[tm] = struct{}{}
	w.timers.seq++
	tm.seq, tm.due = w.timers.seq, time.Now().Add(tm.delay)
	tm.t = time.AfterFunc(tm.delay, func() {
		// (checked first: the queue of a replaced worker may have room)
		if w.replaced.Load() {
			w.dropped(tm)
			return
		}
		w.send(qitem{kind: qTimer, tm: tm})
	})
}

// PendingTimers is ngx.timer.pending_count().
func (w *Worker) PendingTimers() int { return int(w.timers.pending.Load()) }

// RunningTimers is ngx.timer.running_count().
func (w *Worker) RunningTimers() int { return w.timers.running }

// fireTimer runs tm, due now, and before it every timer due no later, in
// the order they are due and then armed: each timer's time.AfterFunc
// races the others to the queue, while nginx fires timers of equal expiry
// in the order they were added (lua-resty-lock's and many libraries'
// tests rely on ngx.timer.at(0, ...) callbacks running in order).
func (w *Worker) fireTimer(tm *timer) {
	if _, ok := w.timers.set[tm]; !ok {
		return // already fired (prematurely, or with an earlier one)
	}
	var due []*timer
	for t := range w.timers.set {
		if !t.due.After(tm.due) {
			due = append(due, t)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].due.Equal(due[j].due) {
			return due[i].due.Before(due[j].due)
		}
		return due[i].seq < due[j].seq
	})
	for _, t := range due {
		t.t.Stop() // when it has fired already, its queue item is ignored
		w.runTimer(t)
	}
}

func (w *Worker) runTimer(tm *timer) {
	if _, ok := w.timers.set[tm]; !ok {
		return
	}
	delete(w.timers.set, tm)
	w.timers.pending.Add(-1)
	premature := w.exiting.Load()
	if tm.every && !premature {
		next := *tm
		w.arm(&next)
	}
	if w.timers.running >= w.pool.opts.MaxRunningTimers {
		lg := tm.log
		if lg == nil {
			lg = w.Log
		}
		lg.Log(errlog.Alert, "lua failed to run timer with function defined at "+definedAt(tm.fn)+": "+
			itoa(w.pool.opts.MaxRunningTimers)+" lua_max_running_timers are not enough")
		return
	}
	w.timers.running++
	conn := tm.conn
	if w.pool.opts.ConnID != nil {
		c := *conn
		c.ID = w.pool.opts.ConnID()
		conn = &c
	}
	th := w.newThread(PhaseTimer, nil, conn)
	th.timer = tm
	// the entry function calls the callback (a Go function too: it is not
	// the coroutine's base, so it may yield)
	args := make([]lua.LValue, 0, 2+len(tm.args))
	args = append(args, tm.fn, lua.LBool(premature))
	args = append(args, tm.args...)
	w.resume(th, w.entry, args)
}

// expireTimers runs every pending timer now with premature = true
// (graceful shutdown).
func (w *Worker) expireTimers() {
	for tm := range w.timers.set {
		if tm.t.Stop() {
			w.runTimer(tm)
		}
	}
	if w.threads == 0 && w.timers.pending.Load() == 0 {
		w.idleOnce.Do(func() { close(w.idle) })
	}
}

// dropped says that tm, due now, does not run: its worker was replaced
// while stuck (watchdog.go). Its callback belongs to the old worker's Lua
// state, which only the old goroutine may touch: it cannot move to the
// fresh worker (whose init_worker_by_lua* has run again, re-creating the
// timers made there).
func (w *Worker) dropped(tm *timer) {
	lg := tm.log
	if lg == nil {
		lg = w.Log
	}
	lg.LogConn(errlog.Alert, tm.conn, "lua timer dropped: its worker was replaced while stuck; "+funcName(tm.fn)+" not run")
}

// funcName names a Lua function as LuaJIT's tracebacks do.
func funcName(fn *lua.LFunction) string {
	if fn.IsG || fn.Proto == nil {
		return "a builtin function"
	}
	return "function <" + fn.Proto.SourceName + ":" + itoa(fn.Proto.LineDefined) + ">"
}

// definedAt is where OpenResty's timer alerts say fn was defined: the
// chunk name as LuaJIT keeps it ("=content_by_lua(nginx.conf:42)" for
// inline code, "@/path/file.lua" for a file) and the line.
func definedAt(fn *lua.LFunction) string {
	if fn.IsG || fn.Proto == nil {
		return "[C]:-1"
	}
	return chunkSource(fn.Proto.SourceName) + ":" + itoa(fn.Proto.LineDefined)
}

func (w *Worker) stopTimers() {
	for tm := range w.timers.set {
		tm.t.Stop()
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
