# vim:set ft= ts=4 sw=4 et fdm=marker:
# Phases: what each may call (API x phase table), ngx.get_phase(), errors
# in init_by_lua* / init_worker_by_lua*, ngx.exit in hooks.

use Test::Nginx::Socket::Lua;

repeat_each(1); # init and init_worker run once per server start

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ngx.get_phase() in init, init_worker, content and timer
--- http_config
    init_by_lua_block {
        init_phase = ngx.get_phase()
    }
    init_worker_by_lua_block {
        init_worker_phase = ngx.get_phase()
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(init_phase, " ", init_worker_phase, " ", ngx.get_phase())
            ngx.timer.at(0, function() ngx.log(ngx.WARN, "phase in timer: ", ngx.get_phase()) end)
        }
    }
--- request
GET /t
--- response_body
init init_worker content
--- wait: 0.05
--- error_log
phase in timer: timer



=== TEST 2: ngx.sleep is disabled in init_worker_by_lua*; the worker still serves
--- http_config
    init_worker_by_lua_block {
        ngx.sleep(0.001)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("still serving")
        }
    }
--- request
GET /t
--- response_body
still serving
--- error_log
init_worker_by_lua error: init_worker_by_lua(nginx.conf:25):2: API disabled in the context of init_worker_by_lua*



=== TEST 3: cosockets are disabled in init_worker_by_lua*, timers are not
--- http_config
    init_worker_by_lua_block {
        local ok, err = pcall(ngx.socket.tcp)
        ngx.log(ngx.WARN, "tcp: ", ok, " ", err)
        ngx.timer.at(0, function()
            local sock = ngx.socket.tcp()
            ngx.log(ngx.WARN, "tcp in timer: ", sock ~= nil)
        end)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
tcp: false API disabled in the context of init_worker_by_lua*
tcp in timer: true



=== TEST 4: ngx.exit in init_worker_by_lua* is an error
--- http_config
    init_worker_by_lua_block {
        local ok, err = pcall(ngx.exit, 0)
        ngx.log(ngx.WARN, "exit: ", ok, " ", err)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
exit: false API disabled in the context of init_worker_by_lua*



=== TEST 5: a runtime error in init_by_lua* stops the start
--- http_config
    init_by_lua_block {
        error("init failed")
    }
--- config
--- must_die
--- error_log
init_by_lua error: init_by_lua(nginx.conf:25):2: init failed



=== TEST 6: a timer created in init_worker_by_lua* may sleep
--- http_config
    init_worker_by_lua_block {
        ngx.timer.at(0, function(premature)
            ngx.sleep(0.01)
            ngx.log(ngx.WARN, "init_worker timer slept, worker ", ngx.worker.id())
        end)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
init_worker timer slept, worker 0
--- no_error_log
[error]



=== TEST 7: the store hook cannot sleep or use cosockets; a timer it creates can; the handshake completes
--- http_config
    ssl_session_store_by_lua_block {
        local ok, err = pcall(ngx.sleep, 0.001)
        ngx.log(ngx.WARN, "sleep in store: ", err)
        ok, err = pcall(ngx.socket.tcp)
        ngx.log(ngx.WARN, "tcp in store: ", err)
        ngx.timer.at(0, function(premature)
            ngx.sleep(0.001)
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT)
            ngx.log(ngx.WARN, "timer from store hook: slept, connected ", ok)
            if ok then sock:close() end
        end)
        ngx.sleep(0.001)
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
sleep in store: API disabled in the context of ssl_session_store_by_lua*
tcp in store: API disabled in the context of ssl_session_store_by_lua*
failed to run session_store_by_lua*: ssl_session_store_by_lua(nginx.conf:25):13: API disabled in the context of ssl_session_store_by_lua*
timer from store hook: slept, connected 1



=== TEST 8: ngx.exit in the store hook records the code and returns (as OpenResty); the handshake completes
--- http_config
    ssl_session_store_by_lua_block {
        ngx.log(ngx.WARN, "store hook before exit")
        ngx.exit(ngx.ERROR)
        ngx.log(ngx.WARN, "after exit")
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
ok
--- error_log
store hook before exit
after exit
--- no_error_log
[error]



=== TEST 9: the store hook runs under lua_hook_timeout (goresty): an endless loop is aborted
--- http_config
    lua_hook_timeout 100ms;
    ssl_session_store_by_lua_block {
        while true do end
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
ok
--- error_log
failed to run session_store_by_lua*: ssl_session_store_by_lua(nginx.conf:26):2: lua_hook_timeout exceeded
