package luavm

import (
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Per-run global tables. Every run of a request phase gets a global table
// of its own that falls back to _G (globals a handler writes do not leak
// into other requests: README's differences). Most handlers write no
// global, and then the table is as new when the run ends: a recycled
// thread keeps it for its next run instead of allocating another, when
// nothing that outlives the run can hold it. Lua code reaches a function's
// environment only through the function (a closure made by the chunk gets
// it, so a chunk with nested functions never shares its table), through
// getfenv and debug.getfenv (which Keep the thread when they return it:
// loadstring, load, loadfile and dofile use getfenv too), and
// debug.getinfo's func (which Keeps the thread, whose table then goes
// with it).

// runEnv returns the global table of t's run: the one t kept from its
// last run, or a new one.
func (w *Worker) runEnv(t *Thread) *lua.LTable {
	env := t.env
	if env == nil {
		env = w.L.CreateTable(0, 0)
		env.Metatable = w.envMeta
		t.env = env
	}
	return env
}

// envReusable reports whether env, the global table of a run of proto
// that has ended, can serve another run: proto makes no closures, and
// nothing was ever stored in env nor its metatable changed.
func (w *Worker) envReusable(env *lua.LTable, proto *lua.FunctionProto) bool {
	return env != nil && proto != nil && len(proto.FunctionPrototypes) == 0 &&
		env.Metatable == w.envMeta && pristine(env)
}

// tableFields are the offsets of LTable's array and keys fields, both
// []LValue: a table never written to has both nil (every raw set makes one
// of them), whatever was stored and removed since. They are read through
// unsafe at those offsets (reflect's Field costs ~25 ns a run here), once
// reflect has checked their types.
var tableFields = func() (f struct {
	ok          bool
	array, keys uintptr
}) {
	tt := reflect.TypeOf(lua.LTable{})
	a, ok1 := tt.FieldByName("array")
	k, ok2 := tt.FieldByName("keys")
	vals := reflect.TypeOf([]lua.LValue(nil))
	if !ok1 || !ok2 || a.Type != vals || k.Type != vals {
		return
	}
	f.ok, f.array, f.keys = true, a.Offset, k.Offset
	return
}()

// pristine reports whether tb was never written to (false when LTable's
// fields are not as expected).
func pristine(tb *lua.LTable) bool {
	if !tableFields.ok {
		return false
	}
	p := unsafe.Pointer(tb)
	return *(*[]lua.LValue)(unsafe.Add(p, tableFields.array)) == nil &&
		*(*[]lua.LValue)(unsafe.Add(p, tableFields.keys)) == nil
}

// envGetter wraps getfenv or debug.getfenv (get): a thread whose own
// global table it returns is kept (Keep), so the table is not reused. get
// runs in this function's frame, so stack levels count the same.
func (w *Worker) envGetter(get lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		n := get(L)
		if cur := w.cur; cur != nil && cur.env != nil && n > 0 && L.Get(-1) == cur.env {
			cur.Keep()
		}
		return n
	}
}
