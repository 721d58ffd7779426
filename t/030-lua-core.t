# vim:set ft= ts=4 sw=4 et fdm=marker:
# The Lua core: ngx.log / print and their error log lines, runtime errors,
# globals per request, require and lua_package_path, the sandbox, pcall and
# coroutines across yields, ngx.ctx, constants, time, worker and config.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ngx.log writes "[lua] chunk:line:" lines with the request's suffixes
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "hello ", 42, " ", nil, " ", true, " ", 1.5)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[error\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:41\):2: hello 42 nil true 1\.5, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost"/



=== TEST 2: print logs at notice; a named function shows in the prefix
--- config
    location = /t {
        content_by_lua_block {
            local function helper()
                ngx.log(ngx.WARN, "from helper")
            end
            helper()
            print("printed ", 7)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
[warn]
[lua] content_by_lua(nginx.conf:41):3: helper(): from helper
[notice]
[lua] content_by_lua(nginx.conf:41):6: printed 7



=== TEST 3: error_log level filtering
--- log_level: warn
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.INFO, "info line")
            ngx.log(ngx.WARN, "warn line")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
warn line
--- no_error_log
info line



=== TEST 4: ngx.null and tables with __tostring in ngx.log; a table without is an error
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "v: ", ngx.null, " ", setmetatable({}, {__tostring = function() return "T" end}))
            local ok, err = pcall(ngx.log, ngx.ERR, {})
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like
^false bad argument #\d to '\?' \(expected table to have __tostring metamethod\)
--- error_log
[lua] content_by_lua(nginx.conf:41):2: v: null T



=== TEST 5: a runtime error aborts the entry thread: 500 and OpenResty's log line, with its traceback
--- config
    location = /t {
        content_by_lua_block {
            local x = 1
            error("boom")
        }
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log
lua entry thread aborted: runtime error: content_by_lua(nginx.conf:41):3: boom
stack traceback:
coroutine 0:
[C]: in function 'error'
content_by_lua(nginx.conf:41):3: in main chunk, client: 127.0.0.1



=== TEST 6: globals written by a handler do not leak into the next request
goresty gives each run a fresh global table falling back to _G (issue 3).
OpenResty 0.10.23 writes them to _G instead, with a "writing a global Lua
variable" warning, so this block fails there.
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("before: ", tostring(leaky))
            leaky = (leaky or 0) + 1
            ngx.say("after: ", leaky)
        }
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["before: nil\nafter: 1\n", "before: nil\nafter: 1\n"]
--- no_error_log
[error]



=== TEST 7: modules are cached per worker and keep their state; lua_package_path with ;;
--- http_config
    lua_package_path "$TEST_NGINX_HTML_DIR/lib/?.lua;;";
--- user_files
>>> lib/counter.lua
local _M = {n = 0}
function _M.incr() _M.n = _M.n + 1 return _M.n end
return _M
--- config
    location = /t {
        content_by_lua_block {
            local c = require "counter"
            ngx.say("n = ", c.incr(), " ", package.loaded.counter == c)
        }
    }
--- request eval
["GET /t", "GET /t"]
--- response_body_like eval
[qr/^n = \d+ true\n$/, qr/^n = \d+ true\n$/]
--- no_error_log
[error]



=== TEST 8: a missing module lists where it was looked for
--- http_config
    lua_package_path "$TEST_NGINX_HTML_DIR/lib/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(require, "no.such.mod")
            ngx.say(ok)
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body_like
^false
module 'no.such.mod' not found:
\tno field package.preload\['no.such.mod'\]
\tno file '.*/html/lib/no/such/mod.lua'
--- no_error_log
[error]



=== TEST 9: native modules cannot be loaded
--- http_config
    lua_package_cpath "$TEST_NGINX_HTML_DIR/lib/?.so;";
--- user_files
>>> lib/native.so
not really a shared object
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(require, "native")
            ngx.say(ok)
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body_like
^false
error loading module 'native' from file '.*/html/lib/native.so':
--- no_error_log
[error]



=== TEST 10: ngx.sleep inside pcall, xpcall and a coroutine suspends only that request
--- config
    location = /t {
        content_by_lua_block {
            local ok, v = pcall(function() ngx.sleep(0.001) return "in pcall" end)
            ngx.say(ok, " ", v)
            ngx.say(xpcall(function() ngx.sleep(0.001) error("oops", 0) end, function(e) return "handled " .. e end))
            local co = coroutine.wrap(function(a)
                ngx.sleep(0.001)
                local b = coroutine.yield(a .. "!")
                ngx.sleep(0.001)
                return b .. "?"
            end)
            ngx.say(co("x"), " ", co("y"))
            ngx.say(pcall(ngx.sleep, 0))
        }
    }
--- request
GET /t
--- response_body
true in pcall
falsehandled oops
x! y?
true
--- no_error_log
[error]



=== TEST 11: ngx.ctx belongs to one request
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ctx.n: ", tostring(ngx.ctx.n))
            ngx.ctx.n = 1
            ngx.say("ctx.n: ", ngx.ctx.n)
            ngx.ctx = {m = 2}
            ngx.say("ctx.m: ", ngx.ctx.m, " ctx.n: ", tostring(ngx.ctx.n))
        }
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["ctx.n: nil\nctx.n: 1\nctx.m: 2 ctx.n: nil\n", "ctx.n: nil\nctx.n: 1\nctx.m: 2 ctx.n: nil\n"]
--- no_error_log
[error]



=== TEST 12: constants and ngx.null
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.OK, " ", ngx.ERROR, " ", ngx.AGAIN, " ", ngx.DONE, " ", ngx.DECLINED)
            ngx.say(ngx.STDERR, " ", ngx.EMERG, " ", ngx.ALERT, " ", ngx.CRIT, " ", ngx.ERR, " ",
                    ngx.WARN, " ", ngx.NOTICE, " ", ngx.INFO, " ", ngx.DEBUG)
            ngx.say(ngx.HTTP_OK, " ", ngx.HTTP_MOVED_TEMPORARILY, " ", ngx.HTTP_NOT_FOUND, " ",
                    ngx.HTTP_INTERNAL_SERVER_ERROR, " ", ngx.HTTP_SERVICE_UNAVAILABLE)
            ngx.say(ngx.HTTP_GET, " ", ngx.HTTP_HEAD, " ", ngx.HTTP_POST)
            ngx.say(type(ngx.null), " ", ngx.null == ngx.null, " ", require("ngx") == ngx)
        }
    }
--- request
GET /t
--- response_body
0 -1 -2 -4 -5
0 1 2 3 4 5 6 7 8
200 302 404 500 503
2 4 8
userdata true true
--- no_error_log
[error]



=== TEST 13: time functions
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.http_time(1290079655))
            ngx.say(ngx.cookie_time(1290079655))
            ngx.say(ngx.parse_http_time("Thu, 18 Nov 2010 11:27:35 GMT"))
            ngx.say(ngx.parse_http_time("bad"))
            ngx.update_time()
            local now, t = ngx.now(), ngx.time()
            ngx.say(math.abs(now - t) < 2, " ", type(now))
            ngx.say(ngx.today():match("^%d%d%d%d%-%d%d%-%d%d$") ~= nil)
            ngx.say(ngx.localtime():match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") ~= nil)
            ngx.say(ngx.utctime():match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") ~= nil)
        }
    }
--- request
GET /t
--- response_body
Thu, 18 Nov 2010 11:27:35 GMT
Thu, 18-Nov-10 11:27:35 GMT
1290079655
nil
true number
true
true
true
--- no_error_log
[error]



=== TEST 14: ngx.worker and ngx.config
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.worker.id(), " ", ngx.worker.count(), " ", ngx.worker.pid() > 0, " ", ngx.worker.exiting())
            ngx.say(ngx.config.subsystem, " ", type(ngx.config.debug), " ", type(ngx.config.nginx_version),
                    " ", type(ngx.config.ngx_lua_version))
            ngx.say(ngx.config.prefix() == "$TEST_NGINX_SERVER_ROOT/")
        }
    }
--- request
GET /t
--- response_body
0 1 true false
http boolean number number
true
--- no_error_log
[error]



=== TEST 15: require "resty.core", "table.new" and "table.clear"
--- config
    location = /t {
        content_by_lua_block {
            require "resty.core"
            local new_tab = require "table.new"
            local clear_tab = require "table.clear"
            local t = new_tab(4, 4)
            t[1], t.a = 1, 2
            clear_tab(t)
            ngx.say(type(new_tab), " ", next(t) == nil)
        }
    }
--- request
GET /t
--- response_body
function true
--- no_error_log
[error]



=== TEST 16: init_by_lua globals and modules are visible to handlers
--- http_config
    init_by_lua_block {
        from_init = "set in init"
        require "table.new"
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(from_init, " ", package.loaded["table.new"] ~= nil)
        }
    }
--- request
GET /t
--- response_body
set in init true
--- no_error_log
[error]



=== TEST 17: ngx.now() is nginx's cached time: constant while Lua runs without yielding, refreshed by ngx.update_time() and at the next event-loop turn, in milliseconds
--- config
    location = /t {
        content_by_lua_block {
            local a = ngx.now()
            local c0 = os.clock()
            while os.clock() - c0 < 0.02 do end -- 20 ms of CPU, no yield
            ngx.say(ngx.now() == a)
            ngx.update_time()
            local b = ngx.now()
            ngx.say(b - a >= 0.019)
            ngx.sleep(0.01)
            ngx.say(ngx.now() - b >= 0.009)
            local ms = ngx.now() * 1000
            ngx.say(math.abs(ms - math.floor(ms + 0.5)) < 1e-3)
            ngx.say(ngx.time() == math.floor(ngx.now()))
        }
    }
--- request
GET /t
--- response_body
true
true
true
true
true
--- no_error_log
[error]
