package luavm

import (
	"errors"
	"fmt"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// Stuck workers. The deadline interrupts Lua code between instructions and
// inside the long builtins; a worker still running past its deadline is
// stuck in something that does not look (a Go function of a module). It
// is taken out of rotation (Next skips it); a second past its deadline the
// watchdog names the chunk in the error log and replaces the worker with a
// fresh one. Close does not wait for any worker longer than closeGrace.

const (
	defaultStuckAfter = time.Second // past its deadline by this: logged as stuck
	watchdogEvery     = 500 * time.Millisecond
	closeGrace        = time.Second
)

// timerName names a timer callback in the stuck-worker lines.
var timerName = "ngx.timer callback"

var errExiting = errors.New("process exiting")

// markBusy notes what the worker is running and for which connection
// (read by the watchdog, the memory monitor and Close on other goroutines;
// a thread's Conn is not changed once made).
func (w *Worker) markBusy(t *Thread) {
	if j := t.job; j != nil && j.req != nil && j.req.Chunk != nil {
		w.busyName.Store(&j.req.Chunk.Name)
	} else {
		w.busyName.Store(&timerName)
	}
	w.busyConn.Store(t.Conn)
}

// alertBusy logs an alert about what w is running, with the connection's
// "*N" and "client: ..., server: ..." parts as nginx's lines about a
// request or handshake carry them.
func (w *Worker) alertBusy(format string, args ...any) {
	w.Log.LogConn(errlog.Alert, w.busyConn.Load(), fmt.Sprintf(format, args...))
}

// pastDeadline reports whether w is running code whose deadline has
// passed by more than grace.
func (w *Worker) pastDeadline(now time.Time, grace time.Duration) bool {
	u := w.busyUntil.Load()
	return u != 0 && monoNanos(now) > u+int64(grace)
}

func (w *Worker) busyWith() string {
	if n := w.busyName.Load(); n != nil {
		return *n
	}
	return "Lua code"
}

// watchdog logs each worker that stays running past its deadline, once
// per stuck run.
func (p *Pool) watchdog() {
	tk := time.NewTicker(watchdogEvery)
	defer tk.Stop()
	stuck := make([]bool, len(p.Workers()))
	for {
		select {
		case <-p.done:
			return
		case now := <-tk.C:
			for i, w := range p.Workers() {
				switch {
				case !w.pastDeadline(now, p.opts.StuckAfter):
					stuck[i] = w.busyUntil.Load() != 0 && stuck[i]
				case !stuck[i]:
					stuck[i] = true
					w.alertBusy("lua worker is stuck in %s past its deadline (in Go code that cannot be interrupted); new work goes to the other workers", w.busyWith())
					go p.replace(w)
				}
			}
		}
	}
}

// interruptNow fires the worker's run context at once with err (Close,
// the memory ceiling): code running now stops at its next instruction or
// builtin step with that error.
func (w *Worker) interruptNow(err error) {
	w.hmu.Lock()
	if w.harmed {
		w.hdl = time.Unix(0, 1) // in the past: fireDeadline goes ahead
		// Err reads err once done is closed; fired is under hmu (hc.mu)
		if hc := w.hctx; !hc.fired {
			hc.err = err
		}
	}
	w.hmu.Unlock()
	w.fireDeadline()
}

// replace puts a fresh worker (new LState, the same Install, init_by_lua*
// and init_worker_by_lua* as at start) in old's place and abandons old:
// its goroutine is left to come back (or not) and then end; its queued and
// parked work gets ErrClosed, its pending timers are dropped (logged).
func (p *Pool) replace(old *Worker) {
	nw := p.newWorker(old.ID)
	ready := make(chan error, 1)
	go nw.main(ready)
	err := <-ready
	if err == nil && p.opts.Init != nil {
		err = nw.Run(&Request{Phase: PhaseInit, Chunk: p.opts.Init}).Err
	}
	p.closeMu.Lock()
	if err != nil || p.closed {
		p.closeMu.Unlock()
		nw.stopNow()
		if err != nil {
			old.alertBusy("lua worker stuck in %s could not be replaced: %v", old.busyWith(), err)
		}
		return
	}
	ws := append([]*Worker(nil), p.Workers()...)
	for i := range ws {
		if ws[i] == old {
			ws[i] = nw
		}
	}
	p.list.Store(&ws)
	p.closeMu.Unlock()
	old.replaced.Store(true)
	old.exiting.Store(true)
	old.quit.Store(true)
	close(old.gone)
	old.markEnded()
	old.stopNow()
	// its pending timers cannot move (timer.go: dropped names each one
	// when it comes due); nginx's own timers die with a worker process too
	if n := old.timers.pending.Load(); n > 0 {
		old.alertBusy("lua worker stuck in %s replaced by a fresh one; pending timers dropped: %d", old.busyWith(), n)
	} else {
		old.alertBusy("lua worker stuck in %s replaced by a fresh one", old.busyWith())
	}
	if p.opts.InitWorker != nil {
		nw.Run(&Request{Phase: PhaseInitWorker, Chunk: p.opts.InitWorker,
			Conn: &errlog.Conn{ID: p.connID(), Context: PhaseInitWorker.Context()}})
	}
}
