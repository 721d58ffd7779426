package ngxapi

import (
	"testing"

	"github.com/goresty/goresty/luavm"

	lua "github.com/yuin/gopher-lua"
)

func TestLRUCache(t *testing.T) {
	now := 1000.0
	old := lruNow
	lruNow = func() float64 { return now }
	t.Cleanup(func() { lruNow = old })
	L := newH8State(t)
	L.SetGlobal("advance", L.NewFunction(func(L *lua.LState) int { now += float64(L.CheckNumber(1)); return 0 }))
	if err := L.DoString(`
		local lrucache = require "resty.lrucache"
		assert(require("resty.lrucache.pureffi").new, "pureffi")
		local c, err = lrucache.new(0)
		assert(c == nil and err == "size too small", err)
		c = assert(lrucache.new(2))
		assert(c:capacity() == 2 and c:count() == 0)
		c:set("a", 1)
		c:set("b", {x = 1}, nil, 7)
		local v, stale, flags = c:get("b")
		assert(v.x == 1 and stale == nil and flags == 7)
		assert(c:get("a") == 1)            -- a is now most recently used
		c:set("c", 3)                       -- evicts b
		assert(c:get("b") == nil and c:count() == 2)
		local keys = c:get_keys()
		assert(#keys == 2 and keys[1] == "c" and keys[2] == "a", table.concat(keys, ","))
		local res = {"x", "y", "z"}
		keys = c:get_keys(1, res)
		assert(keys == res and res[1] == "c" and res[2] == nil)
		-- expiry returns the stale value
		c:set("t", "v", 10, 3)
		advance(11)
		local v, stale, flags = c:get("t")
		assert(v == nil and stale == "v" and flags == 3)
		-- delete, tables as keys, flush
		assert(c:delete("t") == true and c:delete("t") == false)
		local k = {}
		c:set(k, "tab")
		assert(c:get(k) == "tab" and c:get({}) == nil)
		c:flush_all()
		assert(c:count() == 0 and c:get(k) == nil and #c:get_keys() == 0)
		local ok, err = pcall(c.get, c, nil)
		assert(not ok and err:find("table index is nil"), err)
		-- set(key, nil) keeps the slot
		c:set("n", 1)
		c:set("n", nil)
		assert(c:get("n") == nil and c:count() == 1)
		-- separate caches are independent
		local c2 = lrucache.new(5)
		c2:set("a", 1)
		assert(c:get("a") == nil)
	`); err != nil {
		t.Fatal(err)
	}
}

// In a worker, expiry reads the worker's cached clock (ngx.now()), as
// lua-resty-lrucache does: a ttl does not run out while Lua runs without
// yielding, and does once ngx.update_time() or a new turn moves the clock.
func TestLRUCacheWorkerClock(t *testing.T) {
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseContent, `
local c = require("resty.lrucache").new(4)
c:set("k", "v", 0.001)
local c0 = os.clock()
while os.clock() - c0 < 0.005 do end -- 5 ms of CPU, no yield
out((c:get("k")))                     -- the cached clock has not moved
ngx.update_time()
local v, stale = c:get("k")
out(tostring(v), " ", stale)
c:set("s", "w", 0.001)
out((c:get("s")))
ngx.sleep(0.005)                      -- a new turn reads the clock again
local v, stale = c:get("s")
out(tostring(v), " ", stale)
`, "v", "nil v", "w", "nil w")
}
