# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua_shared_dict / ngx.shared.DICT: values, flags, add/replace, incr,
# lists, expiry, stale reads, flushing, keys, capacity, LRU eviction.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: set and get with flags, of every value type
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:flush_all()
            dogs:flush_expired()
            ngx.say(dogs:set("Jim", 8, 0, 3))
            ngx.say(dogs:set("name", "Tom"))
            ngx.say(dogs:set("bool", false))
            ngx.say(dogs:get("Jim"))
            ngx.say(dogs:get("name"))
            ngx.say(dogs:get("bool"))
            ngx.say(dogs:get("nothing"))
            ngx.say(type(dogs:get("Jim")))
            ngx.say(dogs:set("name", nil))
            ngx.say(dogs:get("name"))
            ngx.say(ngx.shared.cats)
        }
    }
--- request
GET /t
--- response_body
truenilfalse
truenilfalse
truenilfalse
83
Tom
false
nil
number
truenilfalse
nil
nil
--- no_error_log
[error]



=== TEST 2: add, safe_add, replace and their errors
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:delete("a")
            dogs:delete("b")
            ngx.say("replace: ", dogs:replace("a", 1))
            ngx.say("add: ", dogs:add("a", 1))
            ngx.say("add again: ", dogs:add("a", 2))
            ngx.say("safe_add: ", dogs:safe_add("a", 2))
            ngx.say("replace: ", dogs:replace("a", 3))
            ngx.say("get: ", dogs:get("a"))
            ngx.say("safe_set: ", dogs:safe_set("b", "x"))
            ngx.say("bad value: ", dogs:set("c", {}))
            ngx.say("nil key: ", dogs:get(nil))
            ngx.say("empty key: ", dogs:get(""))
        }
    }
--- request
GET /t
--- response_body
replace: falsenot foundfalse
add: truenilfalse
add again: falseexistsfalse
safe_add: falseexistsfalse
replace: truenilfalse
get: 3
safe_set: truenilfalse
bad value: nilbad value type
nil key: nilnil key
empty key: nilempty key
--- no_error_log
[error]



=== TEST 3: incr, with init and init_ttl
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:delete("n")
            dogs:delete("s")
            ngx.say(dogs:incr("n", 1))
            ngx.say(dogs:incr("n", 1, 10))
            ngx.say(dogs:incr("n", -0.5))
            dogs:delete("n")
            ngx.say(dogs:incr("n", 2, 0, 0.1))
            ngx.say("ttl > 0: ", dogs:ttl("n") > 0)
            dogs:set("s", "str")
            ngx.say(dogs:incr("s", 1))
            ngx.sleep(0.15)
            ngx.say(dogs:get("n"))
        }
    }
--- request
GET /t
--- response_body
nilnot found
11nilfalse
10.5
2nilfalse
ttl > 0: true
nilnot a number
nil
--- no_error_log
[error]



=== TEST 4: lists
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:delete("l")
            dogs:set("s", "x")
            ngx.say(dogs:rpush("l", "b"))
            ngx.say(dogs:lpush("l", "a"))
            ngx.say(dogs:rpush("l", 3))
            ngx.say(dogs:llen("l"))
            ngx.say(dogs:get("l"))
            ngx.say(dogs:lpush("s", "y"))
            ngx.say(dogs:llen("s"))
            ngx.say(dogs:lpop("l"), " ", dogs:rpop("l"), " ", dogs:lpop("l"), " ", dogs:lpop("l"))
            ngx.say(dogs:llen("l"))
        }
    }
--- request
GET /t
--- response_body
1
2
3
3
nilvalue is a list
nilvalue not a list
nilvalue not a list
a 3 b nil
0
--- no_error_log
[error]



=== TEST 5: expiry, ttl, expire and get_stale
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("k", "v", 0.1, 7)
            dogs:set("p", "forever")
            ngx.say("ttl p: ", dogs:ttl("p"))
            ngx.say("ttl k <= 0.1: ", dogs:ttl("k") <= 0.1)
            ngx.sleep(0.15)
            ngx.say(dogs:get_stale("k"))
            ngx.say(dogs:get("k"))
            ngx.say(dogs:get_stale("k"))
            ngx.say("expired ttl < 0: ", dogs:ttl("k") < 0)
            ngx.say(dogs:expire("k", 1))
            ngx.say(dogs:get("k"))
            ngx.say(dogs:ttl("nokey"))
            ngx.say(dogs:expire("nokey", 1))
            ngx.say(dogs:expire("p", 0.1))
            ngx.sleep(0.15)
            ngx.say(dogs:get("p"))
        }
    }
--- request
GET /t
--- response_body
ttl p: 0
ttl k <= 0.1: true
v7true
nil
v7true
expired ttl < 0: true
true
v7
nilnot found
nilnot found
true
nil
--- no_error_log
[error]



=== TEST 6: flush_all, flush_expired, get_keys
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:flush_all()
            dogs:flush_expired()
            for i = 1, 2000 do dogs:set("k" .. i, i) end
            ngx.say("keys: ", #dogs:get_keys())
            ngx.say("keys(0): ", #dogs:get_keys(0))
            ngx.say("keys(5): ", #dogs:get_keys(5))
            dogs:flush_all()
            ngx.say("stale: ", dogs:get_stale("k2000"))
            ngx.say("after flush_all: ", #dogs:get_keys(0), " ", dogs:get("k2000"))
            ngx.say("flushed: ", dogs:flush_expired(10))
            ngx.say("flushed: ", dogs:flush_expired())
        }
    }
--- request
GET /t
--- response_body
keys: 1024
keys(0): 2000
keys(5): 5
stale: 2000niltrue
after flush_all: 0 nil
flushed: 10
flushed: 1985
--- no_error_log
[error]



=== TEST 7: capacity and free_space
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:flush_all()
            dogs:flush_expired()
            ngx.say("capacity: ", dogs:capacity())
            local free = dogs:free_space()
            ngx.say("free in pages: ", free % 4096 == 0, " ", free > 0, " ", free <= 1048576)
            for i = 1, 100 do dogs:set("big" .. i, string.rep("x", 4000)) end
            ngx.say("less free: ", dogs:free_space() < free)
        }
    }
--- request
GET /t
--- response_body
capacity: 1048576
free in pages: true true true
less free: true
--- no_error_log
[error]



=== TEST 8: LRU eviction is forcible; safe_set refuses instead
--- http_config
    lua_shared_dict tiny 64k;
--- config
    location = /t {
        content_by_lua_block {
            local tiny = ngx.shared.tiny
            tiny:flush_all()
            tiny:flush_expired()
            local first
            for i = 1, 200 do
                local ok, err, forcible = tiny:set("k" .. i, string.rep("x", 900))
                if not ok then ngx.say("set failed: ", err) end
                if forcible and not first then first = i end
            end
            ngx.say("evicted: ", first ~= nil)
            ngx.say("oldest gone: ", tiny:get("k1") == nil)
            ngx.say("newest kept: ", tiny:get("k200") ~= nil)
            ngx.say("safe_set: ", tiny:safe_set("new", string.rep("x", 900)))
            ngx.say("too big: ", tiny:set("huge", string.rep("x", 128 * 1024)))
        }
    }
--- request
GET /t
--- response_body
evicted: true
oldest gone: true
newest kept: true
safe_set: falseno memoryfalse
too big: falseno memorytrue
--- no_error_log
[error]



=== TEST 9: methods need the colon syntax
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs.get("foo")
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
bad "zone" argument



=== TEST 10: one dict for every phase, including the session store hook and timers
--- http_config
    lua_shared_dict dogs 1m;
    init_by_lua_block {
        ngx.shared.dogs:set("init", "from init")
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.shared.dogs:set("timer", "from timer")
            end)
            ngx.sleep(0.05)
            ngx.say(ngx.shared.dogs:get("init"))
            ngx.say(ngx.shared.dogs:get("timer"))
        }
    }
--- request
GET /t
--- response_body
from init
from timer
--- no_error_log
[error]



=== TEST 11: add, safe_add and replace refuse nil values (set deletes)
--- http_config
    lua_shared_dict d 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.d
            ngx.say(d:add("k", nil))
            ngx.say(d:safe_add("k", nil))
            ngx.say(d:replace("k", nil))
            d:set("k", 1)
            ngx.say(d:replace("k", nil))
            ngx.say(d:get("k"), " ", d:set("k", nil), " ", d:get("k"))
        }
    }
--- request
GET /t
--- response_body
falseattempt to add or replace nil valuesfalse
falseattempt to add or replace nil valuesfalse
falseattempt to add or replace nil valuesfalse
falseattempt to add or replace nil valuesfalse
1 true nil
--- no_error_log
[error]
