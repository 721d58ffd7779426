package luavm

import lua "github.com/yuin/gopher-lua"

// A request whose client went away (lua_check_client_abort on) is told on
// the worker goroutine: its ngx.on_abort handler starts as a user thread of
// the phase running then (SpawnFor), or, without one, the phase ends as
// ngx.exit(499) from a user thread would end it (ExitRequest).

// Entry is the entry thread of the request's yieldable phase running now,
// nil when none runs (worker goroutine only).
func (s *Shared) Entry() *Thread {
	if t := s.entry; t != nil && !t.dead {
		return t
	}
	return nil
}

// SpawnFor starts fn(args...) as a user thread of p from outside Lua
// (worker goroutine, nothing running): it shares p's request as one made
// by ngx.thread.spawn in p would. False when p has ended.
func (w *Worker) SpawnFor(p *Thread, fn *lua.LFunction, args ...lua.LValue) bool {
	if p == nil || p.dead || p.w != w {
		return false
	}
	_, _, err := w.spawn(p, fn, args)
	return err == nil
}

// ExitRequest ends p and its user threads as ngx.exit(code) in one of them
// would (worker goroutine, nothing running): Run answers with Exit code.
func (w *Worker) ExitRequest(p *Thread, code int) {
	if p == nil || p.dead || p.w != w || !p.parked {
		return
	}
	p.exit, p.exited = code, true
	if u := w.uctxOf(p); u != nil {
		u.grp.exiting, u.grp.exitCode = true, code
		w.killUserThreads(u.grp)
	}
	w.finish(p, errKilled, false)
}
