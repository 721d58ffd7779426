# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.thread.spawn, wait and kill with OpenResty's semantics for parents,
# children and ngx.exit (these blocks also pass on nginx + lua).

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: spawn runs the thread at once; wait returns its results, without and with I/O
--- config
    location = /t {
        content_by_lua_block {
            local function f(a, b)
                ngx.say("in f ", a, " ", b)
                return a + b, "done"
            end
            local function g()
                ngx.sleep(0.01)
                ngx.say("in g")
                return "slept"
            end
            local t1 = ngx.thread.spawn(f, 1, 2)
            local t2 = ngx.thread.spawn(g)
            ngx.say("spawned ", type(t1), " ", type(t2))
            ngx.say(ngx.thread.wait(t1))
            ngx.say(ngx.thread.wait(t2))
            ngx.say(ngx.thread.wait(t1))
        }
    }
--- request
GET /t
--- response_body
in f 1 2
spawned thread thread
true3done
in g
trueslept
nilalready waited or killed
--- no_error_log
[error]



=== TEST 2: wait for the first of several; kill the other; kill's errors
--- config
    location = /t {
        content_by_lua_block {
            local function sleeper(d, name)
                return function()
                    ngx.sleep(d)
                    ngx.say(name, " woke")
                    return name
                end
            end
            local slow = ngx.thread.spawn(sleeper(1, "slow"))
            local fast = ngx.thread.spawn(sleeper(0.01, "fast"))
            ngx.say(ngx.thread.wait(slow, fast))
            ngx.say(ngx.thread.kill(slow))
            ngx.say(ngx.thread.kill(slow))
            local quick = ngx.thread.spawn(function() return 1 end)
            ngx.say(ngx.thread.kill(quick))
            ngx.say(ngx.thread.kill(coroutine.create(function() end)))
        }
    }
--- request
GET /t
--- response_body
fast woke
truefast
1
nilalready waited or killed
nilalready terminated
nilnot user thread
--- no_error_log
[error]



=== TEST 3: a failing user thread is logged; wait returns false and the error; the request goes on
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() error("oops") end)
            -- (OpenResty returns stray values before the message: the last one is the message)
            local r = {ngx.thread.wait(t)}
            ngx.say(r[1], " ", r[#r])
        }
    }
--- request
GET /t
--- response_body_like chop
^false content_by_lua\(nginx\.conf:\d+\):2: oops$
--- error_log
lua user thread aborted: runtime error: content_by_lua(nginx.conf:41):2: oops



=== TEST 4: the request waits for user threads left running by the entry thread
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.05)
                ngx.say("thread done")
            end)
            ngx.say("entry done")
        }
    }
--- request
GET /t
--- response_body
entry done
thread done
--- no_error_log
[error]



=== TEST 5: ngx.exit in a user thread ends the request and the other threads
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.5)
                ngx.say("never")
            end)
            ngx.thread.spawn(function()
                ngx.sleep(0.01)
                ngx.say("exiting")
                ngx.exit(200)
            end)
            ngx.sleep(0.5)
            ngx.say("never either")
        }
    }
--- request
GET /t
--- response_body
exiting
--- no_error_log
[error]



=== TEST 6: only the parent may wait
--- config
    location = /t {
        content_by_lua_block {
            local t1 = ngx.thread.spawn(function() ngx.sleep(0.01) end)
            local t2 = ngx.thread.spawn(function()
                local ok, err = pcall(ngx.thread.wait, t1)
                ngx.say(ok, " ", err)
                ngx.say(ngx.thread.kill(t1))
            end)
            ngx.thread.wait(t1)
            ngx.thread.wait(t2)
        }
    }
--- request
GET /t
--- response_body
false only the parent coroutine can wait on the thread
nilkiller not parent
--- no_error_log
[error]
