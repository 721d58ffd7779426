package luavm

// User threads: ngx.thread.spawn, wait and kill, with OpenResty's rules.
//
// A spawned thread shares its creator's request (phase, context, ngx.ctx,
// log) and runs at once, inside spawn, until it yields or ends. The request
// (its Run) is over when the entry thread and every user thread have ended;
// ngx.exit in any of them, or a Lua error in the entry thread, ends all of
// them. A user thread that ends before its parent waits for it stays a
// zombie holding its results (true, values... or false, error) until wait
// or kill takes them.

import (
	"errors"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// errKilled ends a thread quietly (ngx.thread.kill, the request ending).
var errKilled = errors.New("light thread killed")

// uthreads is the user-thread state of one request (worker goroutine only).
type uthreads struct {
	entry *Thread
	live  int                   // user threads not ended
	byCo  map[*lua.LState]*uctx // every user thread, by its handle
	// the entry thread ended while user threads ran: its Run answers
	// when the last one ends
	entryDone bool
	job       *runJob
	res       Result
	// ngx.exit in a user thread: threads running now (inside spawn) end
	// when spawn returns to them
	exiting  bool
	exitCode int
}

// uctx is a thread's part in its request's user threads.
type uctx struct {
	grp    *uthreads
	th     *Thread        // nil once ended
	parent *Thread        // nil for the entry thread
	log    *errlog.Logger // a user thread's: its creator's
	zombie bool           // ended, results not yet taken
	dead   bool           // results taken (waited) or killed
	vals   []lua.LValue   // a zombie's results
	waitOn []*uctx        // parked in wait on these children
	resume func(...lua.LValue)
}

// uctxOf is t's user-thread state, nil when it neither spawned nor was
// spawned (the common case costs a length check; Thread stays small).
func (w *Worker) uctxOf(t *Thread) *uctx {
	if len(w.uth) == 0 {
		return nil
	}
	return w.uth[t]
}

func (w *Worker) uthreadsOf(t *Thread) *uctx {
	u := w.uctxOf(t)
	if u == nil {
		if w.uth == nil {
			w.uth = map[*Thread]*uctx{}
		}
		u = &uctx{grp: &uthreads{entry: t, byCo: map[*lua.LState]*uctx{}}, th: t}
		w.uth[t] = u
	}
	return u
}

// Spawn runs fn(args...) as a user thread of the current light thread and
// pushes its handle (the thread's coroutine) once it yields or ends. Use
// as: return w.Spawn(L, fn, args)
func (w *Worker) Spawn(L *lua.LState, fn *lua.LFunction, args []lua.LValue) int {
	p := w.cur
	if p == nil {
		L.RaiseError("no request found")
	}
	h, g, err := w.spawn(p, fn, args)
	if err != nil {
		L.RaiseError("%v", err)
	}
	if g.exiting {
		return w.Exit(L, g.exitCode)
	}
	L.Push(h)
	return 1
}

// spawn starts fn(args...) as a user thread of p and runs it until it
// yields or ends; it returns the thread's handle and p's group.
func (w *Worker) spawn(p *Thread, fn *lua.LFunction, args []lua.LValue) (*lua.LState, *uthreads, error) {
	if w.uentry == nil {
		entry, err := w.compileEntry(userEntrySource)
		if err != nil {
			return nil, nil, err
		}
		w.uentry = entry
	}
	pu := w.uthreadsOf(p)
	c := w.newThread(p.Phase, p.Ctx, p.Conn)
	c.ngxCtx = p.NgxCtx()
	cu := &uctx{grp: pu.grp, th: c, parent: p, log: p.Log()}
	w.uth[c] = cu
	h := c.co
	pu.grp.byCo[h] = cu
	pu.grp.live++
	w.resume(c, w.uentry, append([]lua.LValue{fn}, args...))
	return h, pu.grp, nil
}

const userEntrySource = `local mark = ...
return function(f, ...) mark() return f(...) end`

// child finds the user thread behind handle v for the current thread.
func (w *Worker) child(L *lua.LState, v lua.LValue, n int) (*uctx, *Thread) {
	co, ok := v.(*lua.LState)
	if !ok {
		L.ArgError(n, "lua thread expected")
	}
	cur := w.cur
	if cur == nil {
		L.RaiseError("no request found")
	}
	u := w.uctxOf(cur)
	if u == nil {
		return nil, cur
	}
	return u.grp.byCo[co], cur
}

// WaitThreads is ngx.thread.wait(t1, t2, ...): the results of the first of
// them to end.
func (w *Worker) WaitThreads(L *lua.LState) int {
	top := L.GetTop()
	var alive []*uctx
	var cur *Thread
	for i := 1; i <= top; i++ {
		u, c := w.child(L, L.Get(i), i)
		cur = c
		if u == nil {
			L.RaiseError("attempt to wait on a coroutine that is not a user thread")
		}
		if u.parent != cur {
			L.RaiseError("only the parent coroutine can wait on the thread")
		}
		switch {
		case u.zombie:
			u.zombie, u.dead = false, true
			for _, v := range u.vals {
				L.Push(v)
			}
			n := len(u.vals)
			u.vals = nil
			return n
		case u.dead:
			if i == top {
				L.Push(lua.LNil)
				L.Push(lua.LString("already waited or killed"))
				return 2
			}
		default:
			alive = append(alive, u)
		}
	}
	if len(alive) == 0 {
		L.RaiseError("no thread to wait for")
	}
	cu := w.uctxOf(cur)
	return w.Park(L, func(resume func(...lua.LValue)) {
		cu.waitOn, cu.resume = alive, resume
	})
}

// KillThread is ngx.thread.kill(t).
func (w *Worker) KillThread(L *lua.LState) int {
	u, cur := w.child(L, L.Get(1), 1)
	fail := func(msg string) int {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	switch {
	case u == nil:
		return fail("not user thread")
	case u.parent != cur:
		return fail("killer not parent")
	case u.zombie:
		u.zombie, u.dead, u.vals = false, true, nil
		return fail("already terminated")
	case u.dead:
		return fail("already waited or killed")
	}
	w.finish(u.th, errKilled, false)
	L.Push(lua.LNumber(1))
	return 1
}

// uthreadEnded does a user thread's part of finish, before t is cleared:
// its results go to its waiting parent or stay for wait; ngx.exit in it
// ends the whole request.
func (w *Worker) uthreadEnded(t *Thread, u *uctx, lerr *LuaError, err error) {
	g := u.grp
	g.live--
	u.th = nil
	switch {
	case err == errKilled:
		u.dead = true
	case lerr != nil:
		u.vals = []lua.LValue{lua.LFalse, lua.LString(lerr.Msg)}
	case u.vals == nil:
		u.vals = []lua.LValue{lua.LTrue}
	}
	if !u.dead {
		u.zombie = true
		if pu := w.uctxOf(u.parent); pu != nil {
			for _, x := range pu.waitOn {
				if x == u {
					pu.waitOn = nil
					u.zombie, u.dead = false, true
					vals := u.vals
					u.vals = nil
					pu.resume(vals...)
					break
				}
			}
		}
	}
	if !t.exited {
		return
	}
	g.exiting, g.exitCode = true, t.exit
	if g.entryDone { // the request only waited for its user threads
		g.res.Exit, g.res.Exited = t.exit, true
		w.killUserThreads(g)
	} else if e := g.entry; !e.dead {
		e.exit, e.exited = t.exit, true
		w.killUserThreads(g)
		if e.parked {
			w.finish(e, errKilled, false)
		}
	}
}

// killUserThreads ends every parked user thread of g (one running now is
// inside spawn, which ends it on return).
func (w *Worker) killUserThreads(g *uthreads) {
	var live []*Thread
	for _, u := range g.byCo {
		if u.th != nil && !u.th.dead && u.th.parked {
			live = append(live, u.th)
		}
	}
	for _, t := range live {
		if !t.dead {
			w.finish(t, errKilled, false)
		}
	}
}
