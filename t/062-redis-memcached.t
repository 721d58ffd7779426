# vim:set ft= ts=4 sw=4 et fdm=marker:
# Debian's unmodified lua-nginx-redis and lua-nginx-memcached, loaded through
# lua_package_path, against the redis-server and memcached of the test run.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;
$ENV{TEST_NGINX_MEMCACHED_PORT} ||= 11211;

our $HttpConfig = qq{
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: redis set, get, expire, ttl, ngx.null
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local redis = require "nginx.redis"
            local red = redis:new()
            red:set_timeout(1000)
            local ok, err = red:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT)
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            ngx.say("set: ", red:set("goresty:dog", "an animal"))
            ngx.say("get: ", red:get("goresty:dog"))
            ngx.say("expire: ", red:expire("goresty:dog", 100))
            ngx.say("ttl: ", red:ttl("goresty:dog"))
            red:del("goresty:none")
            ngx.say("missing: ", red:get("goresty:none") == ngx.null)
            ngx.say("error reply: ", red:incr("goresty:dog"))
            red:close()
        }
    }
--- request
GET /t
--- response_body
set: OK
get: an animal
expire: 1
ttl: 100
missing: true
error reply: falseERR value is not an integer or out of range
--- no_error_log
[error]



=== TEST 2: redis pipeline
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local red = (require "nginx.redis"):new()
            red:set_timeout(1000)
            assert(red:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT))
            red:init_pipeline()
            red:set("goresty:cat", "Marry")
            red:set("goresty:horse", "Bob")
            red:get("goresty:cat")
            red:get("goresty:horse")
            local results, err = red:commit_pipeline()
            if not results then
                ngx.say("failed to commit: ", err)
                return
            end
            for i, res in ipairs(results) do
                ngx.say(i, ": ", res)
            end
            red:close()
        }
    }
--- request
GET /t
--- response_body
1: OK
2: OK
3: Marry
4: Bob
--- no_error_log
[error]



=== TEST 3: redis keepalive pool
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local redis = require "nginx.redis"
            for i = 1, 3 do
                local red = redis:new()
                red:set_timeout(1000)
                assert(red:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "goresty-test-" .. ngx.worker.pid()}))
                ngx.say("reused > ", i - 2, ": ", red:get_reused_times() > i - 2)
                red:get("goresty:dog")
                ngx.say(red:set_keepalive(10000, 10))
            end
        }
    }
--- request
GET /t
--- response_body
reused > -1: true
1
reused > 0: true
1
reused > 1: true
1
--- no_error_log
[error]



=== TEST 4: memcached set, get with flags, add, incr, delete
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local memcached = require "nginx.memcached"
            local memc = memcached:new()
            memc:set_timeout(1000)
            local ok, err = memc:connect("127.0.0.1", $TEST_NGINX_MEMCACHED_PORT)
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            memc:delete("goresty dog")
            ngx.say("set: ", memc:set("goresty dog", 32, 100, 7))
            ngx.say("get: ", memc:get("goresty dog"))
            ngx.say("add: ", memc:add("goresty dog", 1))
            memc:set("goresty n", 10)
            ngx.say("incr: ", memc:incr("goresty n", 5))
            ngx.say("delete: ", memc:delete("goresty dog"))
            ngx.say("get deleted: ", memc:get("goresty dog"))
            ngx.say("keepalive: ", memc:set_keepalive(10000, 10))
        }
    }
--- request
GET /t
--- response_body
set: 1
get: 327
add: nilNOT_STORED
incr: 15
delete: 1
get deleted: nilnilnil
keepalive: 1
--- no_error_log
[error]
