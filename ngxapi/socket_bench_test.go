package ngxapi

import (
	"fmt"
	"sync"
	"testing"

	"github.com/goresty/goresty/luavm"
)

// BenchmarkRedisFetchHook is what a fleet fetch hook costs: a light thread
// in the ssl_session_fetch phase takes a pooled connection, GETs a 200-byte
// session from a real redis-server through Debian's nginx.redis and puts
// the connection back; 2 workers, 16 concurrent handshakes.
func BenchmarkRedisFetchHook(b *testing.B) {
	port := startRedis(b)
	vm := newH5VM(b, nil, 2)
	vm.run(luavm.PhaseTimer, fmt.Sprintf(`
local red = (require "nginx.redis"):new()
assert(red:connect("127.0.0.1", %d))
red:set("tls:bench", string.rep("s", 200))
red:set_keepalive(10000, 32)`, port))
	ch, err := luavm.CompileString(fmt.Sprintf(`
local red = (require "nginx.redis"):new()
red:set_timeout(1000)
local ok, err = red:connect("127.0.0.1", %d)
if not ok then error(err) end
local data, err = red:get("tls:bench")
if not data or #data ~= 200 then error(err or "short") end
red:set_keepalive(10000, 32)`, port), "fetch")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	work := make(chan struct{})
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			w := vm.pool.Workers()[g%2]
			for range work {
				if r := w.Run(&luavm.Request{Phase: luavm.PhaseSSLSessionFetch, Chunk: ch}); r.Err != nil {
					b.Error(r.Err)
				}
			}
		}(g)
	}
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
}
