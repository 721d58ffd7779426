# vim:set ft= ts=4 sw=4 et fdm=marker:
# Containment with worker_processes auto: as many runaway handlers as there
# are workers do not take the server down; plain requests and TLS
# resumption still answer promptly while they run.

use Test::Nginx::Socket::Lua;

repeat_each(1);
workers('auto');

plan tests => repeat_each() * (blocks() * 3);

our $TestComServer = <<'_EOC_';
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_session_tickets off;
        location /t { return 200 "ok\n"; }
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: 8 endless loops at once (at least one per worker) each end at lua_content_timeout; then TLS resumption and plain requests answer at once
--- http_config eval
"    lua_content_timeout 1s;\n" . $::TestComServer
--- config
    location = /spin {
        content_by_lua_block {
            ngx.log(ngx.WARN, "spinning")
            while true do end
        }
    }
    location = /ok { return 200 "ok\n"; }
--- exec
for i in 1 2 3 4 5 6 7 8; do (curl -s -o /dev/null -w '%{http_code}\n' -m 25 http://127.0.0.1:$TEST_NGINX_SERVER_PORT/spin >> spin.out 2>&1 &) ; done; for i in $(seq 400); do test -f spin.out && test $(wc -l < spin.out) -ge 8 && break; sleep 0.05; done; sort spin.out | uniq -c | tr -s ' '
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1
curl -s -m 2 http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ok
--- exec_out
 8 500
New
Reused
ok
--- error_log eval
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: lua_content_timeout exceeded/
--- timeout: 30



=== TEST 2: while one handler loops, new handshakes and requests go to a free worker (with a single worker they wait for its lua_content_timeout)
--- http_config eval
"    lua_content_timeout 2s;\n" . $::TestComServer
--- config
    location = /spin {
        content_by_lua_block {
            ngx.log(ngx.WARN, "spinning")
            while true do end
        }
    }
    location = /ok { return 200 "ok\n"; }
--- exec
(curl -s -o /dev/null -w '%{http_code}\n' -m 20 http://127.0.0.1:$TEST_NGINX_SERVER_PORT/spin > spin.out 2>&1 &) ; for i in $(seq 100); do grep -q spinning logs/error.log && break; sleep 0.05; done
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1
curl -s -m 5 http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ok
for i in $(seq 200); do test -s spin.out && break; sleep 0.05; done; cat spin.out
--- exec_out
New
Reused
ok
500
--- no_error_log
[alert]
--- timeout: 30
