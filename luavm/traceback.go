package luavm

import (
	"reflect"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Tracebacks of light threads that die from a Lua error, worded as
// OpenResty logs them after "lua entry thread aborted: runtime error: ...":
//
//	stack traceback:
//	coroutine 0:
//		[C]: in function 'error'
//		content_by_lua(nginx.conf:41):9: in function 'f'
//		content_by_lua(nginx.conf:41):13: in main chunk
//
// gopher-lua's Resume drops the stack of a coroutine that fails, and the
// only place that still sees it is the coroutine's Panic handler, which
// Resume resets on a coroutine's first resume. So a light thread starts in
// a small Lua entry function that first installs the worker's handler,
// then calls the thread's function; the handler records the traceback
// next to the error value, and finish picks it up. The phases whose
// failures OpenResty logs with a traceback (Phase.tracebacks) start that
// way; the others (init, init_worker, the store hook, the balancer) run
// their chunk directly. The entry keeps the chunk's first result (what
// set_by_lua* returns) without a tail call, which would drop its frame.

const entrySource = `local mark = ...
return function(f, ...) mark() local r = f(...) return r end`

const entryName = "goresty.entry"

// Traceback levels shown: the first levels1 and the last levels2 of a
// deeper stack, with "..." between (as Lua's traceback).
const (
	levels1 = 12
	levels2 = 10
)

// setupEntry compiles the entry function (worker goroutine, at start).
func (w *Worker) setupEntry() error {
	w.panicFn = w.tracebackPanic
	fn, err := w.compileEntry(entrySource)
	w.entry = fn
	return err
}

// compileEntry compiles an entry function: src returns a function given
// the function that installs the traceback handler.
func (w *Worker) compileEntry(src string) (*lua.LFunction, error) {
	proto, err := compileProto(src, entryName)
	if err != nil {
		return nil, err
	}
	L := w.L
	mk := L.NewFunctionFromProto(proto)
	mk.Env = L.G.Global
	L.Push(mk)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.Panic = w.panicFn
		return 0
	}))
	if err := L.PCall(1, 1, nil); err != nil {
		return nil, err
	}
	fn := L.CheckFunction(-1)
	L.Pop(1)
	return fn, nil
}

// tracebackPanic is the Panic handler of light threads: as gopher-lua's
// own (an ApiError with the error value), after noting the traceback.
func (w *Worker) tracebackPanic(L *lua.LState) {
	v := L.Get(-1)
	w.lastTB.val, w.lastTB.text = v, w.traceback(L)
	panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: v})
}

// takeTraceback returns the traceback noted for the error value v, if the
// last one noted is for it.
func (w *Worker) takeTraceback(v lua.LValue) string {
	tb := ""
	if w.lastTB.text != "" && w.lastTB.val == v {
		tb = w.lastTB.text
	}
	w.lastTB.val, w.lastTB.text = nil, ""
	return tb
}

type tbFrame struct {
	goFn        bool
	src         string
	line        int
	name        string // "" when unknown
	lineDefined int
}

// traceback renders the stack of coroutine L, innermost call first.
func (w *Worker) traceback(L *lua.LState) string {
	var frames []tbFrame
	for lvl := 0; ; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			break
		}
		fv, err := L.GetInfo("Slnf", dbg, lua.LNil)
		if err != nil {
			break
		}
		f, _ := fv.(*lua.LFunction)
		if f == nil {
			break
		}
		if !f.IsG && f.Proto.SourceName == entryName {
			// the frame before the entry function runs the thread's own
			// function: a main chunk or a timer callback, no name of its own
			if n := len(frames); n > 0 {
				frames[n-1].name = ""
			}
			break
		}
		fr := tbFrame{goFn: f.IsG, src: dbg.Source, line: dbg.CurrentLine, lineDefined: dbg.LineDefined}
		if n := dbg.Name; n != "" && n != "?" && n != "(anonymous)" && !strings.HasPrefix(n, "<") {
			fr.name = n
		}
		frames = append(frames, fr)
	}
	var b strings.Builder
	b.WriteString("stack traceback:")
	if t := w.cur; t == nil || t.Phase.Yieldable() {
		// OpenResty runs these as coroutines; set, filters and log not
		b.WriteString("\ncoroutine 0:")
	}
	deep := len(frames) > levels1+levels2
	for i, fr := range frames {
		if deep && i >= levels1 && i < len(frames)-levels2 {
			if i == levels1 {
				b.WriteString("\n\t...")
			}
			continue
		}
		b.WriteString("\n\t")
		fr.write(&b)
	}
	return b.String()
}

func (fr *tbFrame) write(b *strings.Builder) {
	if fr.goFn {
		b.WriteString("[C]:")
		if fr.name == "" {
			b.WriteString(" ?")
			return
		}
		b.WriteString(" in function '" + fr.name + "'")
		return
	}
	b.WriteString(fr.src)
	b.WriteByte(':')
	if fr.line > 0 {
		b.WriteString(strconv.Itoa(fr.line))
		b.WriteByte(':')
	}
	switch {
	case fr.lineDefined == 0:
		b.WriteString(" in main chunk")
	case fr.name != "":
		b.WriteString(" in function '" + fr.name + "'")
	default:
		b.WriteString(" in function <" + fr.src + ":" + strconv.Itoa(fr.lineDefined) + ">")
	}
}

// FuncName is the name OpenResty shows for the function running at dbg
// (after L.GetInfo with "Sn"), as in ngx.log's "<name>(): " prefix: ""
// for a main chunk, for a light thread's own function (a hook's chunk, a
// timer callback: called by the entry function, as nginx calls them from
// C), for a function called from Go, and when the name is unknown.
func FuncName(L *lua.LState, dbg *lua.Debug) string {
	n := dbg.Name
	if dbg.What == "main" || dbg.What == "G" || n == "" || n == "?" || n[0] == '<' || n[0] == '(' {
		return ""
	}
	if fr := frameOf(dbg); fr.IsValid() {
		ff := &frameFields
		p := fr.Elem().Field(ff.parent)
		if !p.IsNil() {
			if isEntry(p.Elem().Field(ff.fn)) {
				return ""
			}
		}
	}
	return n
}

var (
	protoField = mustField(reflect.TypeOf(lua.LFunction{}), "Proto")
	srcField   = mustField(reflect.TypeOf(lua.FunctionProto{}), "SourceName")
)

func mustField(t reflect.Type, name string) int {
	f, ok := t.FieldByName(name)
	if !ok {
		panic("luavm: gopher-lua lacks " + t.String() + "." + name)
	}
	return f.Index[0]
}

// isEntry reports whether fn (a *lua.LFunction read from a frame) is the
// light threads' entry function.
func isEntry(fn reflect.Value) bool {
	if fn.IsNil() {
		return false
	}
	p := fn.Elem().Field(protoField)
	return !p.IsNil() && p.Elem().Field(srcField).String() == entryName
}
