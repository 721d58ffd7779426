# vim:set ft= ts=4 sw=4 et fdm=marker:
# Built-in replacements for FFI modules: resty.lock, ngx.semaphore,
# ngx.process, ngx.errlog, ngx.resp. They win over lua-resty-core's FFI
# copies on lua_package_path (TEST 6). TESTs 3-6 also pass on nginx + lua
# with lua-resty-core, except get_logs' error, whose text there is about
# the nginx patch Debian lacks; OpenResty's names the missing directive.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: resty.lock: lock, contention with timeout, unlock, expire
--- http_config
    lua_shared_dict locks 100k;
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            ngx.say(resty_lock:new("nosuchdict"))
            local a = assert(resty_lock:new("locks", {timeout = 0.05, step = 0.01}))
            local b = assert(resty_lock:new("locks", {timeout = 0.05, step = 0.01}))
            ngx.say("a lock: ", a:lock("k"))
            ngx.say("a again: ", a:lock("k"))
            local elapsed, err = b:lock("k")
            ngx.say("b lock: ", elapsed, " ", err)
            ngx.say("a expire: ", a:expire(10))
            ngx.say("a unlock: ", a:unlock())
            ngx.say("a unlock again: ", a:unlock())
            ngx.say("b lock: ", b:lock("k"))
            ngx.say("b unlock: ", b:unlock(), " ", a:expire())
            local ok, err = pcall(function() return resty_lock:new("locks", {timeout = "x"}) end)
            ngx.say(ok, " ", (err:gsub("^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
nildictionary not found
a lock: 0
a again: nillocked
b lock: nil timeout
a expire: true
a unlock: 1
a unlock again: nilunlocked
b lock: 0
b unlock: 1 nilunlocked
false bad "timeout" option value: number expected, got string
--- no_error_log
[error]



=== TEST 2: resty.lock: a waiter gets the lock when the holder unlocks
--- http_config
    lua_shared_dict locks 100k;
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local a = assert(resty_lock:new("locks"))
            assert(a:lock("k") == 0)
            ngx.timer.at(0.05, function() a:unlock() end)
            local b = assert(resty_lock:new("locks", {step = 0.01, max_step = 0.02}))
            local elapsed = assert(b:lock("k"))
            ngx.say(elapsed >= 0.04 and elapsed < 1)
            b:unlock()
        }
    }
--- request
GET /t
--- response_body
true
--- no_error_log
[error]



=== TEST 3: ngx.semaphore: wait, post in order, timeout, count
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new()
            ngx.say("count ", sema:count())
            ngx.say("wait 0: ", sema:wait(0))
            local order = {}
            local function waiter(name)
                return function()
                    local ok, err = sema:wait(1)
                    order[#order + 1] = name .. "=" .. tostring(ok)
                end
            end
            ngx.timer.at(0, waiter("t1"))
            ngx.timer.at(0.01, waiter("t2"))
            ngx.sleep(0.05)
            ngx.say("count ", sema:count())
            sema:post(2)
            ngx.sleep(0.05)
            ngx.say(table.concat(order, " "), " count ", sema:count())
            sema:post()
            ngx.say("wait: ", sema:wait(0.1), " count ", sema:count())
            ngx.say("wait: ", sema:wait(0.05))
            ngx.say(pcall(semaphore.new, -1))
            ngx.say(pcall(sema.post, sema, 0))
            ngx.say(pcall(sema.wait, {}, 1))
        }
    }
--- request
GET /t
--- response_body
count 0
wait 0: niltimeout
count -2
t1=true t2=true count 0
wait: true count 0
wait: falsetimeout
falseno negative number
falsepositive number required
falsenot a semaphore instance
--- no_error_log
[error]



=== TEST 4: ngx.process and ngx.errlog
--- config
    location = /t {
        content_by_lua_block {
            local process = require "ngx.process"
            local errlog = require "ngx.errlog"
            ngx.say(process.type(), " ", process.get_master_pid() > 0)
            ngx.say(process.enable_privileged_agent())
            ngx.say(errlog.get_sys_filter_level() == ngx.DEBUG)
            errlog.raw_log(ngx.WARN, "a raw line")
            ngx.say(pcall(errlog.raw_log, 100, "x"))
            ngx.say(pcall(errlog.raw_log, "1", "x"))
            ngx.say(errlog.get_logs(10))
        }
    }
--- request
GET /t
--- response_body
single true
nilAPI disabled in the current context
true
falsebad log level
falsebad argument #1 to 'raw_log' (must be a number)
nildirective "lua_capture_error_log" is not set
--- error_log eval
qr/\[warn\] \d+#\d+: \*\d+ a raw line, client: 127.0.0.1, server: localhost, request: "GET \/t HTTP\/1.1", host: "localhost"/



=== TEST 5: ngx.resp.add_header keeps the lines already set
--- config
    location = /t {
        content_by_lua_block {
            local resp = require "ngx.resp"
            ngx.header["X-Foo"] = "a"
            resp.add_header("X-Foo", "b")
            resp.add_header("X-Bar", {"1", 2})
            ngx.say(table.concat(ngx.header["X-Foo"], ","), " ", table.concat(ngx.header["X-Bar"], ","))
        }
    }
--- request
GET /t
--- response_body
a,b 1,2
--- no_error_log
[error]



=== TEST 6: the built-in modules win over lua-resty-core's FFI copies on lua_package_path
--- http_config
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            for _, m in ipairs({"ngx.semaphore", "ngx.process", "ngx.errlog", "ngx.resp", "ngx.base64", "ngx.re"}) do
                local mod = require(m)
                ngx.say(m, " ", type(mod))
            end
            ngx.say((require "ngx.semaphore").new(1):wait(0))
        }
    }
--- request
GET /t
--- response_body
ngx.semaphore table
ngx.process table
ngx.errlog table
ngx.resp table
ngx.base64 table
ngx.re table
true
--- no_error_log
[error]
