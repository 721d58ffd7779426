package luavm

import "testing"

// coroutine.running answers as LuaJIT does inside pcall and xpcall (the
// caller's coroutine, also after the body yielded), and still names a
// user coroutine inside it, or around a pcall in it; no body stays noted
// once the runs have ended.
func TestCoroutineRunningInPcall(t *testing.T) {
	w, _ := recyclePool(t)
	for i, src := range []string{
		`local co = coroutine.running()
		 local _, same = pcall(function() return coroutine.running() == co end)
		 assert(same, "pcall")
		 local _, same = xpcall(function() return coroutine.running() == co end, debug.traceback)
		 assert(same, "xpcall")
		 local _, same = pcall(pcall, function() return coroutine.running() == co end)
		 local _, _, same = pcall(pcall, function() return coroutine.running() == co end)
		 assert(same, "nested pcall")
		 local _, same = pcall(function() sleep(0) return coroutine.running() == co end)
		 assert(same, "pcall after a yield")`,
		`local co = coroutine.running()
		 local inner
		 local uco = coroutine.create(function() inner = coroutine.running() end)
		 pcall(coroutine.resume, uco)
		 assert(inner == uco and inner ~= co, "a user coroutine inside pcall")
		 local uco2 = coroutine.create(function() local _, r = pcall(coroutine.running) inner = r end)
		 coroutine.resume(uco2)
		 assert(inner == uco2, "pcall inside a user coroutine")`,
	} {
		if r, _ := run(t, w, PhaseContent, "content_by_lua(nginx.conf:1)", src); r.Err != nil {
			t.Errorf("run %d: %v", i, r.Err)
		}
	}
	if n := len(w.pcallCo); n != 0 {
		t.Errorf("%d pcall bodies still noted after the runs", n)
	}
}
