package luavm

import (
	"fmt"
	"reflect"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Suspend parks the current light thread, runs op on another goroutine, and
// resumes the thread through the worker queue with op's results as the Lua
// call's return values. op must return only scalar LValues. Use as:
//
//	return w.Suspend(L, op)
func (w *Worker) Suspend(L *lua.LState, op func() []lua.LValue) int {
	t := w.prepareYield(L)
	go func() {
		vals := safeOp(op)
		w.send(qitem{kind: qResume, th: t, vals: vals})
	}()
	return L.Yield(w.marker)
}

// Park parks the current light thread and hands wake the function that
// resumes it, with the values the Lua call then returns (scalars only).
// Whoever holds resume calls it exactly once, from any goroutine; resumes
// made on the worker goroutine are queued in the order they are made.
// Use as: return w.Park(L, func(resume func(...lua.LValue)) { ... })
func (w *Worker) Park(L *lua.LState, wake func(resume func(vals ...lua.LValue))) int {
	t := w.prepareYield(L)
	wake(func(vals ...lua.LValue) { w.requeue(t, vals) })
	return L.Yield(w.marker)
}

// Sleep parks the current light thread for d without using a goroutine
// (ngx.sleep); a zero d just lets the other queued work run first.
func (w *Worker) Sleep(L *lua.LState, d time.Duration) int {
	t := w.prepareYield(L)
	if d <= 0 {
		w.requeue(t, nil)
	} else {
		time.AfterFunc(d, func() { w.send(qitem{kind: qResume, th: t}) })
	}
	return L.Yield(w.marker)
}

// Exit ends the current light thread at once (ngx.exit in hooks and
// timers); Run reports code in Result.Exit. Use as: return w.Exit(L, code)
func (w *Worker) Exit(L *lua.LState, code int) int {
	t := w.cur
	if t == nil {
		L.RaiseError("no request found")
	}
	t.exit, t.exited = code, true
	return L.Yield(w.marker)
}

func (w *Worker) prepareYield(L *lua.LState) *Thread {
	t := w.cur
	if t == nil {
		L.RaiseError("no request found")
	}
	if !t.Phase.Yieldable() {
		L.RaiseError("API disabled in the context of %s", t.Phase.Context())
	}
	// A Go function between us and the coroutine's base (table.sort's
	// comparator, a metamethod, a __gc, ...) cannot be crossed by a yield.
	if goFrameBetween(L) {
		L.RaiseError("attempt to yield across C-call boundary")
	}
	w.noteYield(L)
	t.parked, t.pinned = true, true
	return t
}

// noteYield records how many values the call into the yielding Go function
// L is running expects (its frame's NRet), so that resuming L pushes
// exactly that many: gopher-lua copies resume values straight into the
// caller's result registers and leaves missing ones as Go nils.
func (w *Worker) noteYield(L *lua.LState) {
	n := -1
	if dbg, ok := L.GetStack(0); ok {
		n = frameNRet(dbg)
	}
	if _, had := w.yieldNRet[L]; !had {
		if t := w.cur; t != nil {
			t.yielders = append(t.yielders, L)
		}
	}
	w.yieldNRet[L] = n
}

// fitResume truncates or nil-pads args to what co's pending call expects.
func (w *Worker) fitResume(co *lua.LState, args []lua.LValue) []lua.LValue {
	n, ok := w.yieldNRet[co]
	if !ok {
		return args
	}
	delete(w.yieldNRet, co)
	if n < 0 || len(args) == n {
		return args
	}
	if len(args) > n {
		return args[:n]
	}
	out := make([]lua.LValue, n)
	copy(out, args)
	for i := len(args); i < n; i++ {
		out[i] = lua.LNil
	}
	return out
}

// gopher-lua keeps call frames unexported; the yield checks read them
// through reflect (field indexes found once): lua.Debug.frame, and the
// callFrame fields Fn, Parent and NRet.
var frameFields = func() (ff struct {
	ok                           bool
	frame, fn, parent, nret, idx int
	isG                          int
}) {
	dt := reflect.TypeOf(lua.Debug{})
	f, ok := dt.FieldByName("frame")
	if !ok || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
		return
	}
	ct := f.Type.Elem()
	fn, ok1 := ct.FieldByName("Fn")
	parent, ok2 := ct.FieldByName("Parent")
	nret, ok3 := ct.FieldByName("NRet")
	idx, ok5 := ct.FieldByName("Idx")
	isG, ok4 := reflect.TypeOf(lua.LFunction{}).FieldByName("IsG")
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || idx.Type.Kind() != reflect.Int || parent.Type != f.Type || nret.Type.Kind() != reflect.Int ||
		fn.Type != reflect.TypeOf((*lua.LFunction)(nil)) || isG.Type.Kind() != reflect.Bool {
		return
	}
	ff.ok = true
	ff.frame, ff.fn, ff.parent, ff.nret, ff.isG = f.Index[0], fn.Index[0], parent.Index[0], nret.Index[0], isG.Index[0]
	ff.idx = idx.Index[0]
	return
}()

// frameOf returns the call frame of dbg (a *callFrame), or an invalid
// Value.
func frameOf(dbg *lua.Debug) reflect.Value {
	if !frameFields.ok || dbg == nil {
		return reflect.Value{}
	}
	v := reflect.ValueOf(dbg).Elem().Field(frameFields.frame)
	if v.IsNil() {
		return reflect.Value{}
	}
	return v
}

// frameNRet reads the expected result count of a Go function's call frame.
func frameNRet(dbg *lua.Debug) int {
	v := frameOf(dbg)
	if !v.IsValid() {
		return -1
	}
	return int(v.Elem().Field(frameFields.nret).Int())
}

// goFrameBetween reports whether a Go function's frame lies between the Go
// function L is running and the base of L's coroutine (the base frame does
// not count: a light thread's base is its entry function). Walking the
// frames directly costs no allocation (one lua.Debug for the running frame).
func goFrameBetween(L *lua.LState) bool {
	dbg, ok := L.GetStack(0)
	cur := frameOf(dbg)
	if !ok || !cur.IsValid() {
		return goFrameBetweenSlow(L)
	}
	ff := &frameFields
	for p := cur.Elem().Field(ff.parent); !p.IsNil(); p = p.Elem().Field(ff.parent) {
		if p.Elem().Field(ff.parent).IsNil() {
			break // the base
		}
		if fn := p.Elem().Field(ff.fn); !fn.IsNil() && fn.Elem().Field(ff.isG).Bool() {
			return true
		}
	}
	return false
}

// goFrameBetweenSlow is goFrameBetween through the debug API, should
// gopher-lua's frames ever change shape.
func goFrameBetweenSlow(L *lua.LState) bool {
	for lvl := 1; ; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			return false
		}
		L.GetInfo("S", dbg, lua.LNil)
		if dbg.What == "G" {
			return true
		}
	}
}

func safeOp(op func() []lua.LValue) (vals []lua.LValue) {
	defer func() {
		if r := recover(); r != nil {
			vals = []lua.LValue{lua.LNil, lua.LString(fmt.Sprintf("internal error: %v", r))}
		}
	}()
	return op()
}
