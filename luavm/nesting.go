package luavm

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Nesting bound. Every coroutine gopher-lua resumes (our pcall/xpcall run
// their callee as one, coroutine.resume/wrap) runs on the Go stack of the
// worker goroutine, ~15 KB a level, and Lua frames entered through Go
// (metamethods, comparators) cost ~1 KB more each. Nothing bounded that
// depth: `local function f() pcall(f) end f()` ended the process with Go's
// fatal "stack overflow". The worker counts nesting levels and the Lua
// frames below each, and refuses a level past the bounds with LuaJIT's
// "C stack overflow" (LuaJIT stops C recursion at 200 levels; its pcall
// nests deeper, until the Lua stack overflows: a difference kept).
const (
	maxNestLevels = 200
	// frames of all the coroutines below the newest level: with the
	// newest one's own CallStackSize, tens of MB of Go stack at most
	maxNestFrames = 40000
)

type nesting struct {
	levels, frames int
}

// enterNest accounts for one more coroutine level started from L, raising
// "C stack overflow" past the bounds. The caller restores w.nest after.
func (w *Worker) enterNest(L *lua.LState) {
	cost := frameDepth(L) + 1
	if w.nest.levels >= maxNestLevels || w.nest.frames+cost > maxNestFrames {
		L.RaiseError("%sC stack overflow", userWhere(L))
	}
	w.nest.levels++
	w.nest.frames += cost
}

// frameDepth is the number of call frames of L's coroutine.
func frameDepth(L *lua.LState) int {
	dbg, ok := L.GetStack(0)
	fr := frameOf(dbg)
	if !ok || !fr.IsValid() || !frameFields.ok {
		return maxNestFrames / maxNestLevels
	}
	return int(fr.Elem().Field(frameFields.idx).Int()) + 1
}

// userWhere is "chunk:line: " of the innermost Lua function outside the
// prelude, the place LuaJIT would name (L running a Go function, or
// suspended in one).
func userWhere(L *lua.LState) string {
	for lvl := 0; lvl < 64; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.Source == preludeName || dbg.Source == entryName {
			continue
		}
		if dbg.CurrentLine > 0 {
			return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
		}
	}
	return ""
}

// coResume wraps gopher-lua's coroutine.resume (the prelude's co_resume):
// it counts the level and hands the resumer's deadline context to the
// coroutine, which may have been created before that context existed
// (in init_by_lua, or in an earlier run) and would not see it otherwise.
func (w *Worker) coResume(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		co := L.CheckThread(1)
		saved := w.nest
		defer func() { w.nest = saved }()
		w.enterNest(L)
		if ctx := L.Context(); ctx != nil {
			if co.Context() != ctx {
				co.SetContext(ctx)
			}
		} else if co.Context() != nil {
			co.RemoveContext()
		}
		n := orig(L)
		if n >= 2 && L.Get(-n) == lua.LFalse {
			w.noteLimit(L, L.Get(-n+1))
		}
		return n
	}
}

// noteLimit keeps the error a coroutine resumed from L ended with when it
// is the first interruption by L's deadline context (see Worker.limitMsg).
func (w *Worker) noteLimit(L *lua.LState, errv lua.LValue) {
	ctx := L.Context()
	if ctx == nil || w.limitMsg != "" {
		return
	}
	if e := ctx.Err(); e != nil {
		if m := errValueString(errv); strings.HasSuffix(m, e.Error()) {
			w.limitMsg = m
		}
	}
}
