# vim:set ft= ts=4 sw=4 et fdm=marker:
# tcpsock:connect's pool_size and backlog options: at most pool_size
# connections per pool, further connects wait in a backlog queue (or fail
# with "too many waiting connect operations"), a waiting connect times out
# after the connect timeout, and setkeepalive or close of a pooled
# connection lets the first waiter go on. Against a real redis-server.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a connect beyond pool_size waits in the backlog; setkeepalive hands it the connection
--- config
    location = /t {
        content_by_lua_block {
            local opts = {pool = "bl1", pool_size = 1, backlog = 2}
            local a = ngx.socket.tcp()
            ngx.say("a: ", a:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            local order = {}
            local function waiter(name)
                local s = ngx.socket.tcp()
                s:settimeout(2000)
                local ok, err = s:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)
                order[#order + 1] = name .. ": " .. tostring(ok) .. " " .. tostring(err)
                    .. " reused " .. tostring(s:getreusedtimes())
                s:send("PING\r\n")
                local line = s:receive()
                order[#order + 1] = name .. " got " .. tostring(line)
                s:setkeepalive()
            end
            local t1 = ngx.thread.spawn(waiter, "b")
            local t2 = ngx.thread.spawn(waiter, "c")
            ngx.say("waiting: ", #order)
            a:send("PING\r\n")
            ngx.say("a got ", a:receive())
            ngx.say("keepalive: ", a:setkeepalive())
            ngx.thread.wait(t1)
            ngx.thread.wait(t2)
            ngx.say(table.concat(order, "\n"))
        }
    }
--- request
GET /t
--- response_body_like
^a: 1
waiting: 0
a got \+PONG
keepalive: 1
b: 1 nil reused [1-9]\d*
b got \+PONG
c: 1 nil reused [1-9]\d*
c got \+PONG
--- no_error_log
[error]



=== TEST 2: a full backlog fails at once with "too many waiting connect operations"
--- config
    location = /t {
        content_by_lua_block {
            local opts = {pool = "bl2", pool_size = 1, backlog = 1}
            local a = ngx.socket.tcp()
            ngx.say("a: ", a:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            local t = ngx.thread.spawn(function()
                local b = ngx.socket.tcp()
                b:settimeout(2000)
                local ok, err = b:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)
                local reused = b:getreusedtimes()
                b:close()
                return ok, err, reused
            end)
            local c = ngx.socket.tcp()
            ngx.say("c: ", c:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            ngx.say("close a: ", a:close())
            ngx.say("b: ", select(2, ngx.thread.wait(t)))
            local d = ngx.socket.tcp()
            ngx.say("d: ", d:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            d:close()
        }
    }
--- request
GET /t
--- response_body
a: 1
c: niltoo many waiting connect operations
close a: 1
b: 1nil0
d: 1
--- no_error_log
[error]



=== TEST 3: backlog 0 queues nothing; a connect waiting longer than the connect timeout gets "timeout"
--- config
    location = /t {
        content_by_lua_block {
            local a = ngx.socket.tcp()
            ngx.say("a: ", a:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "bl3", pool_size = 1, backlog = 0}))
            local b = ngx.socket.tcp()
            ngx.say("b: ", b:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "bl3", pool_size = 1, backlog = 0}))
            local opts = {pool = "bl3b", pool_size = 1, backlog = 5}
            local c = ngx.socket.tcp()
            ngx.say("c: ", c:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            local d = ngx.socket.tcp()
            d:settimeouts(150, 1000, 1000)
            local t0 = ngx.now()
            ngx.update_time()
            t0 = ngx.now()
            ngx.say("d: ", d:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            ngx.update_time()
            local waited = ngx.now() - t0
            ngx.say("waited about the connect timeout: ", waited >= 0.1 and waited < 1.5)
            a:close()
            c:close()
        }
    }
--- request
GET /t
--- response_body
a: 1
b: niltoo many waiting connect operations
c: 1
d: niltimeout
waited about the connect timeout: true
--- error_log
lua tcp socket queued connect timed out



=== TEST 4: without backlog, pool_size only bounds the idle connections kept: connects never wait
--- config
    location = /t {
        content_by_lua_block {
            local opts = {pool = "bl4", pool_size = 1}
            local socks = {}
            for i = 1, 3 do
                socks[i] = ngx.socket.tcp()
                socks[i]:settimeout(500)
                local ok, err = socks[i]:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)
                ngx.say(i, ": ", ok, " ", err)
            end
            for i = 1, 3 do
                socks[i]:setkeepalive()
            end
            local n = 0
            for i = 1, 2 do
                local s = ngx.socket.tcp()
                s:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)
                if s:getreusedtimes() > 0 then n = n + 1 end
            end
            ngx.say("reused: ", n)
        }
    }
--- request
GET /t
--- response_body
1: 1 nil
2: 1 nil
3: 1 nil
reused: 1
--- no_error_log
[error]



=== TEST 5: a bad pool_size or a negative backlog is a Lua error; a backlog that is not a number is ignored
--- config
    location = /t {
        content_by_lua_block {
            for _, opts in ipairs{{pool_size = 0}, {pool_size = "x"}, {pool_size = true}, {backlog = -1}, {backlog = "x"}, {backlog = true}, {pool_size = "2", backlog = "1"}} do
                local s = ngx.socket.tcp()
                ngx.say(select(2, pcall(s.connect, s, "127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)))
                s:close()
            end
        }
    }
--- request
GET /t
--- response_body
bad argument #4 to '?' (bad "pool_size" option value: 0)
bad argument #4 to '?' (bad "pool_size" option type: string)
bad argument #4 to '?' (bad "pool_size" option type: boolean)
bad argument #4 to '?' (bad "backlog" option value: -1)
1
1
1
--- no_error_log
[error]



=== TEST 6: a connect killed while it waits leaves the backlog; the pool keeps its first backlog and size
--- config
    location = /t {
        content_by_lua_block {
            local opts = {pool = "bl6", pool_size = 1, backlog = 1}
            local a = ngx.socket.tcp()
            ngx.say("a: ", a:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts))
            local t = ngx.thread.spawn(function()
                local b = ngx.socket.tcp()
                return b:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, opts)
            end)
            ngx.say("kill: ", ngx.thread.kill(t))
            -- the pool was made with backlog 1: this connect (other options,
            -- none at all) still waits, and its wait times out
            local c = ngx.socket.tcp()
            c:settimeout(100)
            ngx.say("c: ", c:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "bl6"}))
            local d = ngx.socket.tcp()
            d:settimeout(100)
            ngx.say("d: ", d:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "bl6", pool_size = 5, backlog = 5}))
            a:close()
            ngx.say("e: ", d:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT, {pool = "bl6"}))
            d:close()
        }
    }
--- request
GET /t
--- response_body
a: 1
kill: 1
c: niltimeout
d: niltimeout
e: 1
--- error_log
lua tcp socket queued connect timed out, when trying to connect to 127.0.0.1:
