# vim:set ft= ts=4 sw=4 et fdm=marker:
# ssl_session_fetch_by_lua*: runs when a client presents a session id, may
# yield (a redis lookup over a cosocket), and anything wrong gives a full
# handshake, never a failed connection.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;

# the test.com server of every block, after its hooks (http_config eval)
our $TestComServer = <<'_EOC_';
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the fetch hook gets the stored id and resumes the session
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local id = ssl_sess.get_session_id()
        ngx.shared.sess:set(id, ssl_sess.get_serialized_session())
        ngx.shared.sess:set("last", id)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local id = ssl_sess.get_session_id()
        ngx.log(ngx.WARN, "fetch phase: ", ngx.get_phase(), ", same id: ", id == ngx.shared.sess:get("last"))
        local sess = ngx.shared.sess:get(id)
        local ok, err = ssl_sess.set_serialized_session(sess)
        ngx.log(ngx.WARN, "set: ", ok, " ", err)
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1
--- exec_out
New
Reused
--- error_log eval
[
qr/\[warn\] .*fetch phase: ssl_session_fetch, same id: true, context: ssl_session_fetch_by_lua\*/,
qr/set: true nil/,
]



=== TEST 2: the fetch hook may yield: sessions kept in redis through raw cosockets
--- http_config eval
<<'_EOC_' . $::TestComServer
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local function save(premature, id, sess)
            local sock = ngx.socket.tcp()
            sock:settimeout(2000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT))
            local key = "goresty:t051:" .. id
            assert(sock:send("*5\r\n$3\r\nSET\r\n$" .. #key .. "\r\n" .. key .. "\r\n$" .. #sess .. "\r\n" .. sess
                             .. "\r\n$2\r\nEX\r\n$3\r\n300\r\n"))
            local line = assert(sock:receive())
            ngx.log(ngx.WARN, "redis SET: ", line)
            sock:close()
        end
        assert(ngx.timer.at(0, save, ssl_sess.get_session_id(), ssl_sess.get_serialized_session()))
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local key = "goresty:t051:" .. ssl_sess.get_session_id()
        local sock = ngx.socket.tcp()
        sock:settimeout(2000)
        assert(sock:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT))
        assert(sock:send("*2\r\n$3\r\nGET\r\n$" .. #key .. "\r\n" .. key .. "\r\n"))
        local line = assert(sock:receive())
        local n = tonumber(line:match("^%$(%-?%d+)$"))
        if not n or n < 0 then
            ngx.log(ngx.WARN, "redis miss")
            return
        end
        local sess = assert(sock:receive(n))
        sock:receive(2)
        sock:setkeepalive()
        assert(ssl_sess.set_serialized_session(sess))
        ngx.log(ngx.WARN, "redis hit")
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_out $TEST_NGINX_SERVER_ROOT/r.sess | cut -d, -f1
sleep 0.2; tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 -sess_in $TEST_NGINX_SERVER_ROOT/r.sess | cut -d, -f1
--- exec_out eval
["New\n", "Reused\nReused\n"]
--- error_log
redis SET: +OK
redis hit
--- no_error_log
[error]



=== TEST 3: failures in the fetch hook give full handshakes
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
        ngx.shared.sess:incr("n", 1, 0)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local n = (ngx.shared.sess:get("n") - 1) % 5 + 1  -- repetitions share the dict
        if n == 1 then
            error("fetch boom")
        elseif n == 2 then
            local ok, err = ssl_sess.set_serialized_session("garbage")
            ngx.log(ngx.WARN, "garbage: ", ok, " ", err)
        elseif n == 3 then
            assert(ssl_sess.set_serialized_session(ngx.shared.sess:get(ssl_sess.get_session_id())))
            ngx.exit(ngx.ERROR)
        end
        -- n == 4: a miss (nothing set)
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 5 | cut -d, -f1
--- exec_out
New
New
New
New
New
--- error_log eval
[
qr/lua entry thread aborted: runtime error: ssl_session_fetch_by_lua\(nginx\.conf:\d+\):5: fetch boom$/,
qr/ssl_session_fetch_by_lua\(nginx\.conf:\d+\):5: in main chunk, context: ssl_session_fetch_by_lua\*/,
qr/garbage: nil failed to de-serialize session/,
]



=== TEST 4: get_serialized_session has no session in the fetch hook: nil and OpenResty's error
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess, err = ssl_sess.get_serialized_session()
        ngx.log(ngx.WARN, "fetch get: ", sess, " ", err)
        assert(ssl_sess.set_serialized_session(ngx.shared.sess:get(ssl_sess.get_session_id())))
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1
--- exec_out
New
Reused
--- error_log
fetch get: nil bad session in lua context



=== TEST 5: openssl s_client -sess_out / -sess_in resumes through the hooks (TLS 1.2)
--- http_config eval
<<'_EOC_' . $::TestComServer
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
_EOC_
--- config
--- exec
printf 'GET /t HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n' | openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_2 -ign_eof -sess_out $TEST_NGINX_SERVER_ROOT/s.pem 2>/dev/null | grep -E '^(New|Reused),' | head -1 | cut -d, -f1
printf 'GET /t HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n' | openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_2 -ign_eof -sess_in $TEST_NGINX_SERVER_ROOT/s.pem 2>/dev/null | grep -E '^(New|Reused),' | head -1 | cut -d, -f1
--- exec_out eval
["New\n", "Reused\n"]
--- no_error_log
[error]



=== TEST 8: hook log lines carry the connection's suffixes (client, listening address), as nginx
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
        ngx.log(ngx.WARN, "stored")
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.log(ngx.WARN, "fetching")
        ssl_sess.set_serialized_session(ngx.shared.sess:get(ssl_sess.get_session_id()))
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 | cut -d, -f1
--- exec_out
New
Reused
--- error_log eval
[
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] .*stored, context: ssl_session_store_by_lua\*, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+$/m,
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] .*fetching, context: ssl_session_fetch_by_lua\*, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+$/m,
]



=== TEST 9: a fetch hook that never finishes does not hold the handshake past client_header_timeout
# goresty-only wording; nginx+lua also drops the handshake at the timeout
# (client timed out ... while SSL handshaking), with no line of its own.
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    client_header_timeout 500ms;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
    ssl_session_fetch_by_lua_block {
        ngx.sleep(3)  -- a lookup that does not answer in time
    }
_EOC_
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -n 2 -timeout 2s 2>&1 | sed -e 's/^tlsprobe: .*/failed/' | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -no_ticket | cut -d, -f1
--- exec_out eval
["New\nfailed\n", "New\n"]
--- error_log eval
qr/\[error\] .*ssl_session_fetch_by_lua\* did not finish before the handshake deadline \(client_header_timeout\), handshake given up, context: ssl_session_fetch_by_lua\*, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+/
