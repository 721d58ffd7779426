# vim:set ft= ts=4 sw=4 et fdm=marker:
# What the session store holds can never break a handshake or extend a
# session: sessions are sealed by default (a random key per process when no
# ssl_session_seal_key is configured); with ssl_session_seal_key off they
# are raw but bound to their id; another host's sealed sessions are counted
# as unknown_key and logged at most once a minute.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 4);

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: without ssl_session_seal_key the store hook sees sealed sessions, which resume
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ssl_sess.get_serialized_session()
        ngx.log(ngx.WARN, "sealed: ", string.sub(sess, 1, 1) == "G")
        ngx.shared.sess:set(ssl_sess.get_session_id(), sess)
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
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n"]
--- tls_session
New
Reused
--- error_log
sealed: true
--- no_error_log
sealed: false



=== TEST 2: ssl_session_seal_key off: another session's bytes under an id give a full handshake, not a failed one
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_seal_key off;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ssl_sess.get_serialized_session()
        ngx.log(ngx.WARN, "raw: ", string.sub(sess, 1, 1) == "g")
        ngx.shared.sess:add("decoy", sess) -- the first session made
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local ok, err = ssl_sess.set_serialized_session(ngx.shared.sess:get("decoy"))
        ngx.log(ngx.WARN, "set: ", ok, " ", err)
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -request "GET /t" | grep -E '^(New|Reused)' | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -request "GET /t" -n 2 | grep -E '^(New|Reused)' | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -request "GET /t" -n 2 | grep -E '^(New|Reused)' | cut -d, -f1
--- exec_out
New
New
New
New
New
--- error_log eval
[qr/raw: true/, qr/set: nil failed to de-serialize session/]
--- no_error_log
[crit]



=== TEST 3: a session sealed with another host's key is refused and logged once a minute
--- user_files
>>> other.key
0123456789abcdef0123456789abcdef-other-host
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session())
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then
            -- what another host sealed under its key: header, key id, then bytes
            sess = "G\1" .. "zzzz" .. string.sub(sess, 7)
            local ok, err = ssl_sess.set_serialized_session(sess)
            ngx.log(ngx.WARN, "set: ", ok, " ", err)
        end
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
        location = /metrics { ssl_session_metrics; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -request "GET /t" -n 3 | grep -E '^(New|Reused)' | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -request "GET /metrics" | grep unknown_key
--- exec_out
New
New
New
goresty_ssl_sessions_rejected_total{reason="unknown_key"} 2
--- grep_error_log: hosts do not share a seal key
--- grep_error_log_out
hosts do not share a seal key



=== TEST 4: -t checks the size of a seal key file, with its place in the config
--- user_files
>>> short.key
12345
--- http_config
    ssl_session_seal_key $TEST_NGINX_HTML_DIR/short.key;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] "\S+short.key" must be at least 32 bytes in \S+nginx.conf:25/
