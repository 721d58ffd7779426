package luavm

import "time"

// The worker's cached clock, as nginx's ngx_cached_time: ngx.now() and
// friends cost no clock read and stay constant while Lua code runs without
// yielding. The clock is read lazily: each event-loop turn (each item the
// worker takes from its queue) only marks the cached time stale, and the
// first Now() of the turn reads the clock; a turn that never asks for the
// time (most session hooks) pays nothing. UpdateTime reads it at once.

// tick refreshes the cached clock (worker goroutine).
func (w *Worker) tick() { w.now, w.nowOK = time.Now(), true }

// Now returns the cached time, truncated to the millisecond as nginx
// keeps it (ngx.now(), ngx.time(), ngx.today(), ...): the clock is read by
// the first call of an event-loop turn, later calls in the same turn get
// the same time. Worker goroutine only.
func (w *Worker) Now() time.Time {
	if !w.nowOK {
		w.tick()
	}
	return w.now.Truncate(time.Millisecond)
}

// UpdateTime refreshes the cached time now (ngx.update_time()). Worker
// goroutine only.
func (w *Worker) UpdateTime() { w.tick() }

// Deadlines are computed from the monotonic clock alone: time.Now reads
// the wall clock and the monotonic clock, monoNow one of them (about 55
// against 30 ns on a kvm-clock guest), and a run's start is read once per
// run. The Time it returns carries a monotonic reading, so comparing and
// subtracting it against time.Now's is exact; its wall part is clockBase's
// plus the monotonic time since, which drifts from the wall clock as NTP
// slews it: deadlines only, never shown or compared as wall times
// (busyUntil keeps monotonic nanoseconds since clockBase).
var clockBase = time.Now()

func monoNow() time.Time { return clockBase.Add(time.Since(clockBase)) }

// monoNanos is t as nanoseconds since clockBase, monotonic when t carries a
// monotonic reading (time.Now's, monoNow's, and times added to them).
func monoNanos(t time.Time) int64 { return int64(t.Sub(clockBase)) }
