# vim:set ft= ts=4 sw=4 et fdm=marker:
# Process lifecycle: pid file, HUP reload (new config, broken config,
# requests in flight, shared dicts), USR1 log reopening, QUIT.
# (nginx with "master_process off", as Test::Nginx runs it, reloads in
# place without finishing requests on the old configuration: blocks 2 and 4
# describe goresty, whose reload behaves like nginx's master/worker one.)

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the pid file names the running server
--- config
    location = /t { content_by_lua_block { ngx.say(ngx.worker.pid()) } }
--- exec
test "$(curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t)" = "$(cat logs/nginx.pid)" && echo same
--- exec_out
same
--- request
GET /t
--- response_body_like: ^\d+$



=== TEST 2: HUP loads the new configuration; shared dicts keep their data
--- http_config
    lua_shared_dict keep 1m;
--- config
    location = /t {
        content_by_lua_block {
            local n = ngx.shared.keep:incr("n", 1, 0)
            ngx.say("v1 ", n)
        }
    }
--- exec
curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t
sed -i 's/"v1 "/"v2 "/' conf/nginx.conf && kill -HUP $(cat logs/nginx.pid) && for i in $(seq 100); do out=$(curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t); case "$out" in v2*) echo "$out"; break;; esac; sleep 0.05; done
--- exec_out_like eval
[qr/^v1 1$/, qr/^v2 \d+$/]
--- request
GET /t
--- response_body_like: ^v2 \d+$
--- error_log
reconfiguring



=== TEST 3: a broken configuration on HUP is logged and the old one keeps serving
--- config
    location = /t { return 200 "old\n"; }
--- exec
echo 'bogus_directive;' >> conf/nginx.conf && kill -HUP $(cat logs/nginx.pid) && for i in $(seq 100); do grep -q 'unknown directive "bogus_directive"' logs/error.log && break; sleep 0.05; done; curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t
--- exec_out
old
--- request
GET /t
--- response_body
old
--- error_log eval
qr/\[emerg\] .*unknown directive "bogus_directive" in .*nginx\.conf:\d+/



=== TEST 4: a request in flight during a reload finishes on the old configuration
--- config
    location = /slow {
        content_by_lua_block {
            ngx.log(ngx.WARN, "slow request started")
            ngx.sleep(0.5)
            ngx.say("old slow")
        }
    }
--- exec
(curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/slow > slow.out 2>&1 &) ; for i in $(seq 100); do grep -q 'slow request started' logs/error.log && break; sleep 0.05; done; sed -i 's/old slow/new slow/' conf/nginx.conf; kill -HUP $(cat logs/nginx.pid); for i in $(seq 100); do test -s slow.out && break; sleep 0.05; done; cat slow.out
for i in $(seq 100); do grep -q 'start worker processes' logs/error.log && test "$(grep -c 'start worker processes' logs/error.log)" -ge 2 && break; sleep 0.05; done; echo reloaded
--- exec_out
old slow
reloaded
--- request
GET /slow
--- response_body
new slow



=== TEST 5: USR1 reopens the logs
--- config
    location = /t { return 200 "ok\n"; }
--- exec
curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t >/dev/null; mv logs/access.log logs/access.log.1; kill -USR1 $(cat logs/nginx.pid); for i in $(seq 100); do test -f logs/access.log && break; sleep 0.05; done; curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t?after >/dev/null; sleep 0.1; grep -c 'GET /t?after' logs/access.log
--- exec_out
1
--- request
GET /t
--- response_body
ok



=== TEST 6: QUIT lets a request in flight finish, then the server exits and removes its pid file
--- config
    location = /slow {
        content_by_lua_block {
            ngx.log(ngx.WARN, "slow request started")
            ngx.sleep(0.3)
            ngx.say("finished")
        }
    }
--- exec
(curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/slow > slow.out 2>&1 &) ; for i in $(seq 100); do grep -q 'slow request started' logs/error.log && break; sleep 0.05; done; kill -QUIT $(cat logs/nginx.pid); for i in $(seq 100); do test -s slow.out && break; sleep 0.05; done; cat slow.out
for i in $(seq 100); do test -f logs/nginx.pid || break; sleep 0.05; done; test -f logs/nginx.pid || echo removed
--- exec_out
finished
removed
--- server_exits
--- request
GET /slow
--- ignore_response
