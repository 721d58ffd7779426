package luavm

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Thousands of light threads sleeping, suspending and yielding at once on
// two workers; run with -race.
func TestManyLightThreads(t *testing.T) {
	p, tl := newTestPool(t, Options{Workers: 2})
	var ended atomic.Int64
	for _, w := range p.Workers() {
		w := w
		done := make(chan struct{})
		w.Post(func() {
			w.L.SetGlobal("count", w.L.NewFunction(func(L *lua.LState) int {
				ended.Add(1)
				return 0
			}))
			close(done)
		})
		<-done
	}
	chunk := mustChunk(t, "content_by_lua(nginx.conf:1)", `
		local n = 0
		for i = 1, 3 do
			sleep(0.001 * (i % 3))
			local a = suspend("v")
			if a ~= "got:v" then error("bad resume value " .. tostring(a)) end
			coroutine.yield()
			local ok, b = pcall(function() sleep(0) return suspend("p") end)
			if not ok or b ~= "got:p" then error("bad pcall resume " .. tostring(b)) end
			n = n + 1
		end
		count()
		return n`)
	const N = 3000
	var wg sync.WaitGroup
	errs := make(chan error, N)
	for i := 0; i < N; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := p.Next().Run(&Request{Phase: PhaseContent, Chunk: chunk}); r.Err != nil {
				errs <- r.Err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("thread failed: %v\n%s", err, tl.text())
	}
	if ended.Load() != N {
		t.Fatalf("%d threads ended, want %d", ended.Load(), N)
	}
	for _, w := range p.Workers() {
		done := make(chan int)
		w.Post(func() { done <- w.threads })
		if n := <-done; n != 0 {
			t.Fatalf("worker %d: %d threads left", w.ID, n)
		}
	}
}

// benchRun measures w.Run of one cached chunk on a one-worker pool; the
// Deadline, when non-zero, is armed and stopped on every run.
func benchRun(b *testing.B, phase Phase, name, src string, deadline time.Time) {
	p, _ := newTestPool(b, Options{Workers: 1})
	w := p.Workers()[0]
	req := &Request{Phase: phase, Chunk: mustChunk(b, name, src), Deadline: deadline}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := w.Run(req); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// Entering a hook: queue hop, a trivial cached chunk, return.
func BenchmarkRunHook(b *testing.B) {
	benchRun(b, PhaseSSLSessionStore, "ssl_session_store_by_lua(nginx.conf:25)", `local id = 1`, time.Time{})
}

// The same for a yieldable phase (no deadline armed).
func BenchmarkRunContent(b *testing.B) {
	benchRun(b, PhaseContent, "content_by_lua(nginx.conf:40)", `local id = 1`, time.Time{})
}

// The same with a Request.Deadline (a pooled timer armed and stopped).
func BenchmarkRunContentDeadline(b *testing.B) {
	benchRun(b, PhaseContent, "content_by_lua(nginx.conf:40)", `local id = 1`, time.Now().Add(time.Hour))
}

// A thread that suspends once (Go op on another goroutine) and resumes.
func BenchmarkSuspendResume(b *testing.B) {
	benchRun(b, PhaseContent, "content_by_lua(nginx.conf:40)", `local v = suspend("x")`, time.Time{})
}

// pcall runs its callee on a pooled coroutine.
func BenchmarkRunHookPcall(b *testing.B) {
	benchRun(b, PhaseSSLSessionStore, "ssl_session_store_by_lua(nginx.conf:25)", `local ok, v = pcall(function(a) return a + 1 end, 1)`, time.Time{})
}
