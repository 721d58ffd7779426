package luavm

import (
	"errors"
	"strings"

	"github.com/goresty/goresty/luavm/lpattern"
	lua "github.com/yuin/gopher-lua"
)

// The string and table builtins that can run long in Go, with no Lua
// instruction between their steps for the deadline to stop at: the
// pattern functions (string.find, match, gmatch, gsub: gopher-lua's
// matcher cannot be interrupted, so lpattern replaces it), string.rep
// (with LuaJIT's separator) and table.concat. They ask Interrupted every
// few thousand steps and refuse to build a string over
// Options.MaxStringSize.

// Interrupted reports why L's running code must stop now: its deadline
// context has fired ("<limit> exceeded"). Long Go builtins call it every
// few thousand steps and raise what it returns.
func Interrupted(L *lua.LState) error {
	if ctx := L.Context(); ctx != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
	}
	return nil
}

// CheckInterrupt raises Interrupted's error in L, if any, with the
// position of the Lua code that called the builtin.
func CheckInterrupt(L *lua.LState) {
	if err := Interrupted(L); err != nil {
		L.RaiseError("%s", err.Error())
	}
}

// ErrStringTooLarge is raised instead of building a string longer than
// Options.MaxStringSize (lua_max_string_size).
var ErrStringTooLarge = errors.New("resulting string too large")

// CheckStringSize raises ErrStringTooLarge when a string of n bytes would
// pass the worker's lua_max_string_size.
func (w *Worker) CheckStringSize(L *lua.LState, n int64) {
	if n > w.pool.opts.MaxStringSize || n < 0 {
		L.RaiseError("%s", ErrStringTooLarge.Error())
	}
}

// sizedBuilder is a strings.Builder that stops at MaxStringSize and checks
// the deadline as it grows.
type sizedBuilder struct {
	strings.Builder
	w    *Worker
	L    *lua.LState
	last int // length at the last deadline check
}

func (b *sizedBuilder) add(s string) {
	n := b.Len() + len(s)
	b.w.CheckStringSize(b.L, int64(n))
	if n-b.last >= 1<<16 {
		b.last = n
		b.checkInterrupt()
	}
	b.WriteString(s)
}

func (b *sizedBuilder) addByte(c byte) {
	b.w.CheckStringSize(b.L, int64(b.Len()+1))
	b.WriteByte(c)
}

func (b *sizedBuilder) checkInterrupt() { CheckInterrupt(b.L) }

func (w *Worker) installStringLib() {
	L := w.L
	str, _ := L.GetGlobal("string").(*lua.LTable)
	tab, _ := L.GetGlobal("table").(*lua.LTable)
	if str == nil || tab == nil {
		return
	}
	str.RawSetString("rep", L.NewFunction(w.strRep))
	str.RawSetString("format", L.NewFunction(w.strFormat))
	L.SetGlobal("error", L.NewFunction(baseError))
	str.RawSetString("find", L.NewFunction(func(L *lua.LState) int { return w.strFindAux(L, true) }))
	str.RawSetString("match", L.NewFunction(func(L *lua.LState) int { return w.strFindAux(L, false) }))
	str.RawSetString("gmatch", L.NewFunction(w.strGmatch))
	str.RawSetString("gsub", L.NewFunction(w.strGsub))
	tab.RawSetString("concat", L.NewFunction(w.tabConcat))
}

// string.rep(s, n [, sep]) as LuaJIT.
func (w *Worker) strRep(L *lua.LState) int {
	s := checkString(L, 1)
	n := L.CheckInt64(2)
	sep := optString(L, 3)
	if n <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	total := float64(len(s))*float64(n) + float64(len(sep))*float64(n-1)
	if total > float64(w.pool.opts.MaxStringSize) {
		L.RaiseError("%s", ErrStringTooLarge.Error())
	}
	var b strings.Builder
	b.Grow(int(total))
	for i := int64(0); i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
		if i&1023 == 1023 {
			CheckInterrupt(L)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// table.concat(t [, sep [, i [, j]]]) as Lua 5.1.
func (w *Worker) tabConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := optString(L, 2)
	i := L.OptInt(3, 1)
	var j int
	if L.Get(4) == lua.LNil {
		j = t.Len()
	} else {
		j = L.CheckInt(4)
	}
	b := sizedBuilder{w: w, L: L}
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			b.add(string(v))
		case lua.LNumber:
			b.add(FormatNumber(float64(v)))
		default:
			L.RaiseError("invalid value (%s) at index %d in table for 'concat'", typeName(v), k)
		}
		if k != j {
			b.add(sep)
		}
		if k == j { // k++ would overflow at the largest int
			break
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// newMatcher prepares a matcher whose budget checks L's deadline.
func newMatcher(L *lua.LState, src, pat string) *lpattern.Matcher {
	return &lpattern.Matcher{Src: src, Pat: pat, Check: func() error {
		if err := Interrupted(L); err != nil {
			return interruption{err}
		}
		return nil
	}}
}

// interruption is the deadline stopping a match (raised with the caller's
// position, as the VM's own deadline errors).
type interruption struct{ error }

// protect runs fn, turning the matcher's panics (pattern errors, the
// deadline) into Lua errors raised in L. The repanic of anything else
// keeps gopher-lua's own error handling for Lua errors of callbacks.
func protect(L *lua.LState, fn func() int) int {
	var perr any
	n := func() (n int) {
		defer func() {
			if r := recover(); r != nil {
				switch r.(type) {
				case lpattern.Error, interruption:
					perr = r
				default:
					panic(r) // a Lua error from a callback: let it through
				}
			}
		}()
		return fn()
	}()
	switch e := perr.(type) {
	case lpattern.Error: // LuaJIT gives these no position
		L.Error(lua.LString(e), 0)
	case interruption:
		L.RaiseError("%s", e.Error())
	}
	return n
}

// pushCaptures pushes the captures of a match from s to e (the whole match
// when there are none, and wholeIfNone is set) and returns their count.
func pushCaptures(L *lua.LState, m *lpattern.Matcher, s, e int, wholeIfNone bool) int {
	n := m.Level()
	if n == 0 && wholeIfNone {
		n = 1
	}
	for i := 0; i < n; i++ {
		L.Push(captureValue(m, i, s, e))
	}
	return n
}

func captureValue(m *lpattern.Matcher, i, s, e int) lua.LValue {
	kind, text, pos := m.Capture(i, s, e)
	if kind == lpattern.CapPosition {
		return lua.LNumber(pos)
	}
	return lua.LString(text)
}

// startIndex is LuaJIT's handling of the init argument: negative counts
// from the end, clamped to the subject.
func startIndex(L *lua.LState, n, slen int) int {
	st := L.OptInt(n, 1)
	switch {
	case st < 0:
		st += slen
		if st < 0 {
			st = 0
		}
	case st > 0:
		st--
	}
	if st > slen {
		st = slen
	}
	return st
}

// string.find / string.match.
func (w *Worker) strFindAux(L *lua.LState, find bool) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	init := startIndex(L, 3, len(src))
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, lpattern.Specials)) {
		if i := strings.Index(src[init:], pat); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	return protect(L, func() int {
		m := newMatcher(L, src, pat)
		p, anchor := 0, strings.HasPrefix(pat, "^")
		if anchor {
			p = 1
		}
		for s := init; s <= len(src); s++ {
			m.Reset()
			if e := m.Match(s, p); e != -1 {
				if find {
					L.Push(lua.LNumber(s + 1))
					L.Push(lua.LNumber(e))
					return pushCaptures(L, m, s, e, false) + 2
				}
				return pushCaptures(L, m, s, e, true)
			}
			if anchor {
				break
			}
		}
		L.Push(lua.LNil)
		return 1
	})
}

// string.gmatch: the iterator keeps the subject, the pattern and the next
// start in its upvalues' Go closure.
func (w *Worker) strGmatch(L *lua.LState) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		return protect(L, func() int {
			m := newMatcher(L, src, pat)
			for s := pos; s <= len(src); s++ {
				m.Reset()
				if e := m.Match(s, 0); e != -1 {
					pos = e
					if e == s {
						pos++ // empty match: go on one position
					}
					return pushCaptures(L, m, s, e, true)
				}
			}
			pos = len(src) + 1
			return 0
		})
	}))
	return 1
}

// string.gsub(s, pattern, repl [, n]).
func (w *Worker) strGsub(L *lua.LState) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	return protect(L, func() int {
		m := newMatcher(L, src, pat)
		p, anchor := 0, strings.HasPrefix(pat, "^")
		if anchor {
			p = 1
		}
		b := sizedBuilder{w: w, L: L}
		s, n := 0, 0
		for n < maxN {
			m.Reset()
			e := m.Match(s, p)
			if e != -1 {
				n++
				w.gsubValue(L, m, &b, repl, s, e)
			}
			switch {
			case e != -1 && e > s:
				s = e
			case s < len(src):
				b.addByte(src[s])
				s++
			default:
				s = len(src) + 1
			}
			if s > len(src) || anchor {
				break
			}
		}
		if s < len(src) {
			b.add(src[s:])
		}
		L.Push(lua.LString(b.String()))
		L.Push(lua.LNumber(n))
		return 2
	})
}

func (w *Worker) gsubValue(L *lua.LState, m *lpattern.Matcher, b *sizedBuilder, repl lua.LValue, s, e int) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		rs := lua.LVAsString(r)
		if n, ok := r.(lua.LNumber); ok {
			rs = FormatNumber(float64(n))
		}
		for i := 0; i < len(rs); i++ {
			c := rs[i]
			if c != '%' {
				b.addByte(c)
				continue
			}
			i++
			if i >= len(rs) {
				b.addByte(0) // LuaJIT copies the terminating NUL
				break
			}
			switch c = rs[i]; {
			case c < '0' || c > '9':
				b.addByte(c)
			case c == '0':
				b.add(m.Src[s:e])
			default:
				b.add(lua.LVAsString(captureValue(m, int(c-'1'), s, e)))
			}
		}
		return
	case *lua.LTable:
		v = L.GetTable(r, captureValue(m, 0, s, e))
	case *lua.LFunction:
		top := L.GetTop()
		L.Push(r)
		n := pushCaptures(L, m, s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.SetTop(top)
	}
	switch x := v.(type) {
	case lua.LString:
		b.add(string(x))
	case lua.LNumber:
		b.add(FormatNumber(float64(x)))
	default:
		if !lua.LVAsBool(v) {
			b.add(m.Src[s:e]) // nil or false: keep the original text
			return
		}
		L.RaiseError("invalid replacement value (a %s)", typeName(v))
	}
}

func typeName(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	return v.Type().String()
}

// checkString is luaL_checkstring: a number argument becomes its LuaJIT
// string ("%.14g"), not gopher-lua's.
func checkString(L *lua.LState, n int) string {
	if v, ok := L.Get(n).(lua.LNumber); ok {
		return FormatNumber(float64(v))
	}
	return L.CheckString(n)
}

// optString is luaL_optstring with "" as the default.
func optString(L *lua.LState, n int) string {
	if L.Get(n) == lua.LNil {
		return ""
	}
	return checkString(L, n)
}
