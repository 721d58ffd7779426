package ngxapi

// ngx.semaphore (lua-resty-core's module, FFI there): semaphores between
// the light threads of one worker.
//
//	sema = semaphore.new(n)     n resources (default 0)
//	ok, err = sema:wait(secs)   take one, waiting up to secs; nil, "timeout"
//	sema:post(n)                give back n (default 1), waking waiters in order
//	sema:count()                free resources, or minus the number of waiters
//
// A waiter parks its light thread (Worker.Park): post hands the resource to
// the first waiters directly and resumes them in order, so a later wait
// cannot overtake them. A resource handed to a thread that is killed before
// it resumes is lost.

import (
	"sync"
	"time"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

type semaphore struct {
	mu      sync.Mutex // post and wait run on the worker; timeouts fire elsewhere
	count   int
	waiters []*semaWaiter // FIFO
}

// semaWaiter is a parked wait: resume is called once, by post (true) or
// by the timeout (nil, "timeout"), whichever takes it off the queue.
type semaWaiter struct {
	resume func(...lua.LValue)
	timer  *time.Timer
}

// remove takes wt out of the queue; false when post already took it.
func (s *semaphore) remove(wt *semaWaiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.waiters {
		if x == wt {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return true
		}
	}
	return false
}

func init() {
	register("ngx.semaphore", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		w.L.PreloadModule("ngx.semaphore", func(L *lua.LState) int {
			m := L.NewTable()
			m.RawSetString("version", lua.LString(restyCoreVersion))
			mt := L.NewTable()
			mt.RawSetString("__index", m)
			m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
				n := int(lua.LVAsNumber(L.Get(1)))
				if n < 0 {
					L.RaiseError("no negative number")
				}
				ud := L.NewUserData()
				ud.Value = &semaphore{count: n}
				obj := L.NewTable()
				obj.RawSetString("sem", ud)
				L.SetMetatable(obj, mt)
				L.Push(obj)
				return 1
			}))
			waits := semaWaits{}
			m.RawSetString("wait", L.NewFunction(func(L *lua.LState) int { return semaWait(w, waits, L) }))
			m.RawSetString("post", L.NewFunction(func(L *lua.LState) int {
				s := semaOf(L)
				n := 1
				if v := L.Get(2); v != lua.LNil {
					n = int(lua.LVAsNumber(v))
				}
				if n < 1 {
					L.RaiseError("positive number required")
				}
				s.mu.Lock()
				var woken []*semaWaiter
				for ; n > 0 && len(s.waiters) > 0; n-- {
					woken = append(woken, s.waiters[0])
					s.waiters = s.waiters[1:]
				}
				s.count += n
				s.mu.Unlock()
				for _, wt := range woken { // in the order they waited
					wt.timer.Stop()
					wt.resume(lua.LTrue)
				}
				L.Push(lua.LTrue)
				return 1
			}))
			m.RawSetString("count", L.NewFunction(func(L *lua.LState) int {
				s := semaOf(L)
				s.mu.Lock()
				n := s.count - len(s.waiters)
				s.mu.Unlock()
				L.Push(lua.LNumber(n))
				return 1
			}))
			L.Push(m)
			return 1
		})
	})
}

func semaOf(L *lua.LState) *semaphore {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetString("sem").(*lua.LUserData); ok {
			if s, ok := ud.Value.(*semaphore); ok {
				return s
			}
		}
	}
	L.RaiseError("not a semaphore instance")
	return nil
}

// semaWaits is one worker's waiting threads (worker goroutine only): each
// thread gets one end hook, whatever the number of its waits, that takes
// a thread killed while waiting out of its queue.
type semaWaits map[*luavm.Thread]*semaWaitOn

type semaWaitOn struct {
	s  *semaphore
	wt *semaWaiter
}

func semaWait(w *luavm.Worker, waits semaWaits, L *lua.LState) int {
	s := semaOf(L)
	t := w.Current()
	if t == nil {
		L.RaiseError("no request found")
	}
	secs := float64(lua.LVAsNumber(L.Get(2)))
	if secs < 0 {
		L.RaiseError("no negative number")
	}
	s.mu.Lock()
	if s.count > 0 {
		s.count--
		s.mu.Unlock()
		L.Push(lua.LTrue)
		return 1
	}
	s.mu.Unlock()
	if secs == 0 {
		return luaFail(L, "timeout")
	}
	if _, ok := waits[t]; !ok {
		t.OnExit(func() {
			if on := waits[t]; on != nil && on.s.remove(on.wt) {
				on.wt.timer.Stop()
			}
			delete(waits, t)
		})
	}
	d := time.Duration(secs * float64(time.Second))
	return w.Park(L, func(resume func(...lua.LValue)) {
		wt := &semaWaiter{resume: resume}
		waits[t] = &semaWaitOn{s, wt}
		s.mu.Lock()
		s.waiters = append(s.waiters, wt)
		wt.timer = time.AfterFunc(d, func() {
			if s.remove(wt) {
				resume(lua.LFalse, lua.LString("timeout")) // OpenResty: false after waiting, nil at once
			}
		})
		s.mu.Unlock()
	})
}
