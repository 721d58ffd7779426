# vim:set ft= ts=4 sw=4 et fdm=marker:
# Lua that runs away cannot take the server down or hang it: deadlines
# interrupt running code (lua_content_timeout, lua_hook_timeout, the fetch
# hook's handshake deadline), nesting stops with "C stack overflow", a
# worker stuck in Go code is replaced; after each bomb the same server
# answers a plain request and resumes TLS sessions through the Lua hooks.
# Every block runs with worker_processes 1 and auto.

use Test::Nginx::Socket::Lua;

repeat_each(1);
workers_each(1, 'auto');

plan tests => repeat_each() * (blocks() * 3);

our $TestComServer = <<'_EOC_';
    lua_shared_dict sess 1m;
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_session_tickets off;
        location /t { return 200 "ok\n"; }
    }
_EOC_

our $FetchHook = <<'_EOC_';
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
_EOC_

# what each block checks after its bomb: a plain request and TLS
# resumption through the session hooks (Lua on the same workers)
our $StoreHook = <<'_EOC_';
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
_EOC_
our $Served = $StoreHook . $FetchHook . $TestComServer;

# a request looping in content_by_lua, started in the background
our $Spin = <<'_EOC_';
    location = /spin {
        content_by_lua_block {
            ngx.log(ngx.WARN, "spinning")
            while true do end
        }
    }
_EOC_
our $SpinThen = "(curl -s -m 20 http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/spin > /dev/null 2>&1 &) ; for i in \$(seq 100); do grep -q spinning logs/error.log && break; sleep 0.05; done;";
our $WaitExit = "for i in \$(seq 100); do test -f logs/nginx.pid || break; sleep 0.05; done; test -f logs/nginx.pid || echo exited";

our $Plain = "curl -s -m 5 http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/ok";
our $Resume = "tlsprobe -connect 127.0.0.1:\$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca \$TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1";

check_accum_error_log();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a content handler's endless loop ends at lua_content_timeout with 500 and chunk:line; the server goes on
--- http_config eval
"    lua_content_timeout 200ms;\n" . $::Served
--- config
    location = /loop {
        content_by_lua_block {
            local x = 0
            while true do x = x + 1 end
        }
    }
    location = /pcall-loop {
        content_by_lua_block {
            while true do
                pcall(function() while true do end end)
            end
        }
    }
    location = /ok { return 200 "ok\n"; }
--- request eval
["GET /loop", "GET /pcall-loop", "GET /ok"]
--- error_code eval
[500, 500, 200]
--- exec eval
$::Resume
--- exec_out
New
Reused
--- error_log eval
[
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: lua_content_timeout exceeded/,
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: lua_content_timeout exceeded/,
]
--- no_error_log
[alert]



=== TEST 2: lua_content_timeout 0 is no limit
--- http_config
    lua_content_timeout 0;
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.now()
            while ngx.now() - t < 0.3 do ngx.update_time() end
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- no_error_log
[error]



=== TEST 3: runaway nesting (pcall, xpcall, coroutine.resume, coroutine.wrap) is a "C stack overflow" Lua error, not a crash
--- http_config eval
$::Served
--- config
    location = /t {
        content_by_lua_block {
            local function f() return pcall(f) end
            local r = {f()}
            ngx.say("pcall: ", r[#r])
            local function g() return xpcall(g, function(e) return e end) end
            r = {g()}
            ngx.say("xpcall: ", r[#r])
            local function h() return coroutine.resume(coroutine.create(h)) end
            r = {h()}
            ngx.say("resume: ", r[#r])
        }
    }
    location = /wrap {
        content_by_lua_block {
            local function w() return coroutine.wrap(w)() end
            w()
        }
    }
    location = /ok { return 200 "ok\n"; }
--- request eval
["GET /wrap", "GET /t", "GET /ok"]
--- error_code eval
[500, 200, 200]
--- response_body eval
[qr/500 Internal Server Error/, qr/\Apcall: content_by_lua\(nginx\.conf:\d+\):2: C stack overflow
xpcall: content_by_lua\(nginx\.conf:\d+\):5: C stack overflow
resume: content_by_lua\(nginx\.conf:\d+\):8: C stack overflow
\z/, "ok\n"]
--- exec eval
$::Resume
--- exec_out
New
Reused
--- error_log eval
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: C stack overflow/



=== TEST 4: an endless loop, then a backtracking pattern, in the store hook end at lua_hook_timeout; the handshakes complete and later sessions resume
--- http_config eval
<<'_EOC_' . $::FetchHook . $::TestComServer
    lua_hook_timeout 200ms;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local n = ngx.shared.sess:incr("bombs", 1, 0)
        if n == 1 then while true do end end
        if n == 2 then string.rep("a", 300):find(".-.-.-.-b") end
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
_EOC_
--- config
    location = /ok { return 200 "ok\n"; }
--- exec eval
"$::Resume\n$::Resume\n$::Plain"
--- exec_out
New
New
New
Reused
ok
--- error_log eval
[
qr/\[error\] .*failed to run session_store_by_lua\*: ssl_session_store_by_lua\(nginx\.conf:\d+\):4: lua_hook_timeout exceeded/,
qr/\[error\] .*failed to run session_store_by_lua\*: ssl_session_store_by_lua\(nginx\.conf:\d+\):5: lua_hook_timeout exceeded/,
]



=== TEST 5: an endless loop in the fetch hook ends at the handshake deadline (that handshake is given up); the next handshakes resume
--- http_config eval
<<'_EOC_' . $::TestComServer
    client_header_timeout 500ms;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        if not ngx.shared.sess:get("looped") then
            ngx.shared.sess:set("looped", true)
            while true do end
        end
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
_EOC_
--- config
    location = /ok { return 200 "ok\n"; }
--- exec eval
"$::Resume\n$::Resume\n$::Plain"
--- exec_out
New
New
Reused
ok
--- error_log eval
qr/\[error\] .*lua entry thread aborted: runtime error: ssl_session_fetch_by_lua\(nginx\.conf:\d+\):5: handshake deadline exceeded/



=== TEST 6: strings past lua_max_string_size are a Lua error (string.rep, table.concat, gsub, the .. operator), not an allocation
--- http_config eval
"    lua_max_string_size 1m;\n" . $::Served
--- config
    location = /t {
        content_by_lua_block {
            local s = string.rep("x", 2^40)
        }
    }
    location = /pcall {
        content_by_lua_block {
            ngx.say(pcall(string.rep, "x", 2^40))
            ngx.say(pcall(string.rep, "x", 2^19, "yy"))
            local t = {}
            for i = 1, 2^11 do t[i] = string.rep("x", 1024) end
            ngx.say(pcall(table.concat, t))
            ngx.say(pcall(string.gsub, string.rep("x", 2^19), "x", "yyy"))
            ngx.say(#string.rep("x", 2^20))
            local s = string.rep("x", 2^19)
            ngx.say(pcall(function() return s .. s .. "x" end))
            ngx.say(#(s .. s))
        }
    }
    location = /double {
        content_by_lua_block {
            local s = "x"
            while true do s = s .. s end
        }
    }
--- request eval
["GET /t", "GET /pcall", "GET /double"]
--- error_code eval
[500, 200, 500]
--- response_body eval
[qr/500 Internal Server Error/, qr/\Afalseresulting string too large
falseresulting string too large
falseresulting string too large
falseresulting string too large
1048576
falsecontent_by_lua\(nginx\.conf:\d+\):10: string length overflow
1048576
\z/, qr/500 Internal Server Error/]
--- exec eval
"$::Resume\ngrep -c 'lua entry thread aborted: runtime error: content_by_lua(nginx.conf:[0-9]*):3: string length overflow' logs/error.log"
--- exec_out
New
Reused
1
--- error_log eval
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: resulting string too large/



=== TEST 7: TERM ends the process at once even with a worker in an endless loop that has no deadline (lua_content_timeout 0): the loop is interrupted
--- http_config
    lua_content_timeout 0;
--- config eval
$::Spin
--- exec eval
"$::SpinThen kill -TERM \$(cat logs/nginx.pid)\n$::WaitExit; grep -c 'content_by_lua(nginx.conf:42):3: process exiting' logs/error.log"
--- exec_out
exited
1
--- server_exits
--- timeout: 10



=== TEST 8: QUIT waits for a wedged request only up to worker_shutdown_timeout
--- main_config
    worker_shutdown_timeout 500ms;
--- http_config
    lua_content_timeout 0;
--- config eval
$::Spin
--- exec eval
"$::SpinThen kill -QUIT \$(cat logs/nginx.pid)\n$::WaitExit"
--- exec_out
exited
--- server_exits
--- timeout: 10



=== TEST 9: a lua_shared_dict size the machine cannot back is refused at start, in nginx's words
--- http_config
    lua_shared_dict huge 1000000m;
--- config
--- must_die
--- error_log
[alert]
mmap(MAP_ANON|MAP_SHARED, 1048576000000) failed (12: Cannot allocate memory)



=== TEST 10: Lua that grows past lua_max_memory gets "not enough memory" instead of the process running out; the server goes on
--- http_config eval
"    lua_max_memory 100m;\n" . $::Served
--- config
    location = /grow {
        content_by_lua_block {
            local t = {}
            while true do t[#t + 1] = {} end
        }
    }
    location = /ok { return 200 "ok\n"; }
--- request eval
["GET /grow", "GET /ok"]
--- error_code eval
[500, 200]
--- exec eval
$::Resume
--- exec_out
New
Reused
--- error_log eval
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: not enough memory/
--- timeout: 20



=== TEST 11: a handler waiting (ngx.sleep) at lua_content_timeout is ended there: 500 and the line it waited on
--- http_config eval
"    lua_content_timeout 300ms;\n" . $::Served
--- config
    location = /t {
        content_by_lua_block {
            local x = 1
            ngx.sleep(10)
        }
    }
    location = /ok { return 200 "ok\n"; }
--- request
GET /t
--- error_code: 500
--- exec eval
"$::Resume\n$::Plain"
--- exec_out
New
Reused
ok
--- error_log eval
qr/\[error\] .*content_by_lua\(nginx\.conf:\d+\):3: lua_content_timeout exceeded while waiting, request aborted/



=== TEST 12: a worker stuck in Go code that cannot be interrupted (io.popen's read) is replaced a second past its deadline: the alerts name the chunk with the request's parts, its pending timer is dropped and named when due; then requests and resumption go on
--- http_config eval
"    lua_content_timeout 200ms;\n" . $::Served
--- config
    location = /stuck {
        content_by_lua_block {
            ngx.timer.at(2.5, function() end)
            io.popen("sleep 3"):read("*a")
        }
    }
    location = /ok { return 200 "ok\n"; }
--- request
GET /stuck
--- error_code: 500
--- exec eval
"$::Resume\n$::Plain\nfor i in \$(seq 200); do grep -q 'lua timer dropped' logs/error.log && break; sleep 0.05; done"
--- exec_out
New
Reused
ok
--- error_log eval
[
qr/\[alert\] .*: \*\d+ lua worker is stuck in content_by_lua\(nginx\.conf:\d+\) past its deadline \(in Go code that cannot be interrupted\); new work goes to the other workers, client: 127\.0\.0\.1, server: localhost, request: "GET \/stuck HTTP\/1\.1", host: "localhost"/,
qr/\[alert\] .*: \*\d+ lua worker stuck in content_by_lua\(nginx\.conf:\d+\) replaced by a fresh one; pending timers dropped: 1, client: 127\.0\.0\.1, server: localhost, request: "GET \/stuck HTTP\/1\.1"/,
qr/\[alert\] .*lua timer dropped: its worker was replaced while stuck; function <content_by_lua\(nginx\.conf:\d+\):2> not run, context: ngx\.timer, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+/,
]
--- timeout: 20
