package ngxapi

import (
	"fmt"
	"os"
	"testing"

	"github.com/goresty/goresty/luavm"
)

func needLuaLib(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s missing (apt-get install -y %s)", path, pkg)
	}
}

// Debian's unmodified lua-nginx-redis against a real redis-server.
func TestDebianRedisClient(t *testing.T) {
	needLuaLib(t, "/usr/share/lua/5.1/nginx/redis.lua", "lua-nginx-redis")
	port := startRedis(t)
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local redis = require "nginx.redis"
local red = redis:new()
red:set_timeout(1000)
local ok, err = red:connect("127.0.0.1", %d)
out("connect: ", ok, " ", err)
out("set: ", red:set("dog", "an animal"))
out("get: ", red:get("dog"))
out("missing is ngx.null: ", red:get("nokey") == ngx.null)
out("expire: ", red:expire("dog", 100))
out("ttl: ", red:ttl("dog"))
out("setex: ", red:setex("sess", 300, "bytes\0with\r\nbinary"))
out("get binary: ", #red:get("sess"))
red:init_pipeline()
red:set("cat", "Marry")
red:set("horse", "Bob")
red:get("cat")
red:get("horse")
red:incr("cat")
local results, err = red:commit_pipeline()
out("pipeline: ", #results, " ", results[1], " ", results[3], " ", results[4], " ", type(results[5]), " ", results[5][2])
local res = red:mget("cat", "horse", "none")
out("mget: ", res[1], " ", res[2], " ", res[3] == ngx.null)
out("reused: ", red:get_reused_times())
out("keepalive: ", red:set_keepalive(10000, 10))
`, port),
		"connect: 1 nil", "set: OK", "get: an animal", "missing is ngx.null: true", "expire: 1", "ttl: 100",
		"setex: OK", "get binary: 18",
		"pipeline: 5 OK Marry Bob table ERR value is not an integer or out of range",
		"mget: Marry Bob true", "reused: 0", "keepalive: 1")
	// keepalive pooling: the next request reuses the connection
	for i := 1; i <= 3; i++ {
		vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local red = (require "nginx.redis"):new()
assert(red:connect("127.0.0.1", %d))
out(red:get_reused_times(), " ", red:get("dog"))
red:set_keepalive(10000, 10)
`, port), fmt.Sprintf("%d an animal", i))
	}
	// timeout: a blocking command longer than the timeout
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local red = (require "nginx.redis"):new()
red:set_timeout(100)
assert(red:connect("127.0.0.1", %d))
out(red:blpop("nolist", 1))
`, port), "niltimeout")
}

// Debian's unmodified lua-nginx-memcached against a real memcached.
func TestDebianMemcachedClient(t *testing.T) {
	needLuaLib(t, "/usr/share/lua/5.1/nginx/memcached.lua", "lua-nginx-memcached")
	port := startMemcached(t)
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local memcached = require "nginx.memcached"
local memc = memcached:new()
memc:set_timeout(1000)
out("connect: ", memc:connect("127.0.0.1", %d))
out("set: ", memc:set("dog k", 32, 100, 7))
local v, flags, err = memc:get("dog k")
out("get: ", v, " ", flags, " ", err)
out("add: ", memc:add("dog k", 1))
out("incr: ", memc:incr("n", 1))
memc:set("n", 10)
out("incr: ", memc:incr("n", 5))
local res = memc:get({"dog k", "n", "none"})
out("multi: ", res["dog k"][1], " ", res.n[1], " ", res.none)
out("delete: ", memc:delete("dog k"))
out("get deleted: ", memc:get("dog k"))
out("version: ", memc:version() ~= nil)
out("keepalive: ", memc:set_keepalive(10000, 5))
local m2 = memcached:new()
m2:connect("127.0.0.1", %d)
out("reused: ", m2:get_reused_times())
m2:close()
`, port, port),
		"connect: 1", "set: 1", "get: 32 7 nil", "add: nilNOT_STORED", "incr: nilNOT_FOUND", "incr: 15",
		"multi: 32 15 nil", "delete: 1", "get deleted: nilnilnil", "version: true", "keepalive: 1", "reused: 1")
}
