# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.timer.at / every / running_count / pending_count, their limits,
# sleeping and cosockets in callbacks, premature expiry on shutdown.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ngx.timer.at runs the callback with (premature, args...) in the timer context
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.timer.at(0.01, function(premature, a, b)
                ngx.log(ngx.WARN, "timer fired: premature=", premature, " a=", a, " b=", b,
                        " phase=", ngx.get_phase())
            end, "x", 7)
            ngx.say("set: ", ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
set: 1 nil
--- wait: 0.1
--- error_log eval
qr/\[warn\] .*\[lua\] content_by_lua\(nginx\.conf:41\):3: timer fired: premature=false a=x b=7 phase=timer, context: ngx\.timer, client: 127\.0\.0\.1, server: /



=== TEST 2: pending and running counts
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("pending before: ", ngx.timer.pending_count())
            ngx.timer.at(0.05, function()
                ngx.log(ngx.WARN, "running: ", ngx.timer.running_count())
            end)
            ngx.timer.at(0.05, function() end)
            ngx.say("pending after: ", ngx.timer.pending_count(), " running: ", ngx.timer.running_count())
        }
    }
--- request
GET /t
--- response_body
pending before: 0
pending after: 2 running: 0
--- wait: 0.2
--- error_log
running: 1



=== TEST 3: lua_max_pending_timers
--- http_config
    lua_max_pending_timers 2;
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                local ok, err = ngx.timer.at(0.01, function() end)
                ngx.say(i, ": ", ok, " ", err)
            end
            ngx.sleep(0.05) -- let them expire before the next request
        }
    }
--- request
GET /t
--- response_body
1: 1 nil
2: 1 nil
3: nil too many pending timers
--- no_error_log
[error]



=== TEST 4: lua_max_running_timers
--- http_config
    lua_max_running_timers 1;
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function() ngx.sleep(1) end)
            ngx.timer.at(0.01, function() ngx.log(ngx.WARN, "second timer ran") end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
lua failed to run timer with function defined at =content_by_lua(nginx.conf:42):3: 1 lua_max_running_timers are not enough
--- no_error_log
second timer ran



=== TEST 5: ngx.timer.every repeats; a zero delay is refused
--- config
    location = /t {
        content_by_lua_block {
            local n = 0
            local ok, err = ngx.timer.every(0.01, function(premature)
                n = n + 1
                if n <= 3 then ngx.log(ngx.WARN, "tick ", n) end
            end)
            ngx.say(ok, " ", err)
            ngx.say(pcall(ngx.timer.every, 0, function() end))
        }
    }
--- request
GET /t
--- response_body
1 nil
falsedelay cannot be zero
--- wait: 0.15
--- error_log
tick 1
tick 2
tick 3



=== TEST 6: a callback may sleep and use a cosocket
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.sleep(0.01)
                local sock = ngx.socket.tcp()
                local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT)
                if not ok then
                    ngx.log(ngx.ERR, "connect: ", err)
                    return
                end
                sock:send("PING\r\n")
                local line = sock:receive()
                ngx.log(ngx.WARN, "redis said ", line)
                sock:close()
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.2
--- error_log
redis said +PONG
--- no_error_log
[error]



=== TEST 7: a runtime error in a callback is logged in the timer context, with its traceback
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                error("bad timer")
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
lua entry thread aborted: runtime error: content_by_lua(nginx.conf:41):3: bad timer
stack traceback:
[C]: in function 'error'
content_by_lua(nginx.conf:41):3: in function <content_by_lua(nginx.conf:41):2>, context: ngx.timer



=== TEST 8: on graceful shutdown, pending timers run at once with premature = true
(nginx does this in worker processes; with master_process off, as here, it
exits without running them, so this block fails there.)
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(100, function(premature)
                ngx.log(ngx.WARN, "expired: premature=", premature, " exiting=", ngx.worker.exiting())
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- shutdown_error_log
expired: premature=true exiting=true
--- no_error_log
[error]



=== TEST 9: timers due at the same time run in the order they were created
--- config
    location = /t {
        content_by_lua_block {
            local order = {}
            for i = 1, 20 do
                ngx.timer.at(i % 2 == 0 and 0 or 0.05, function() order[#order + 1] = i end)
            end
            ngx.sleep(0.3)
            ngx.say(table.concat(order, " "))
        }
    }
--- request
GET /t
--- response_body
2 4 6 8 10 12 14 16 18 20 1 3 5 7 9 11 13 15 17 19
--- no_error_log
[error]



=== TEST 10: a timer's log lines name the creating request's client and listening address
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function() ngx.log(ngx.WARN, "timer says hi") end)
            ngx.sleep(0.05)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[warn\] .*timer says hi, context: ngx\.timer, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+$/
