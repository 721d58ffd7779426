package luavm

import "time"

// The worker's cached clock, as nginx's ngx_cached_time: read once per
// event-loop turn (when the worker takes an item from its queue) and by
// UpdateTime, so ngx.now() and friends cost no clock read and stay
// constant while Lua code runs without yielding.

// tick refreshes the cached clock (worker goroutine).
func (w *Worker) tick() { w.now = time.Now() }

// Now returns the cached time, truncated to the millisecond as nginx
// keeps it (ngx.now(), ngx.time(), ngx.today(), ...). Worker goroutine
// only.
func (w *Worker) Now() time.Time { return w.now.Truncate(time.Millisecond) }

// UpdateTime refreshes the cached time now (ngx.update_time()). Worker
// goroutine only.
func (w *Worker) UpdateTime() { w.tick() }
