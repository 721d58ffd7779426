# vim:set ft= ts=4 sw=4 et fdm=marker:
# Encryption at rest (ssl_session_seal_key: the store hook sees a sealed
# string, set_serialized_session opens it; first key seals, all open) and
# the session counters served by ssl_session_metrics.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 4);

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: sessions handed to Lua are sealed and still resume
--- user_files
>>> seal1.key
0123456789abcdef0123456789abcdef-first-key
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_seal_key $TEST_NGINX_HTML_DIR/seal1.key;
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



=== TEST 2: a sealed session tampered with in the store gives a full handshake
--- user_files
>>> seal1.key
0123456789abcdef0123456789abcdef-first-key
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_seal_key $TEST_NGINX_HTML_DIR/seal1.key;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ssl_sess.get_serialized_session()
        -- flip the last byte (part of the AEAD tag)
        local last = string.byte(sess, #sess)
        sess = string.sub(sess, 1, #sess - 1) .. string.char((last + 1) % 256)
        ngx.shared.sess:set(ssl_sess.get_session_id(), sess)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        local ok, err = ssl_sess.set_serialized_session(sess)
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
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -n 2 | cut -d, -f1
--- exec_out
New
New
--- error_log
set: nil failed to de-serialize session
--- no_error_log
[crit]



=== TEST 3: ssl_session_metrics serves the counters in Prometheus text format
--- http_config
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
        location /t { return 200 "ok\n"; }
        location = /metrics { ssl_session_metrics; }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /metrics"]
--- response_body_like eval
[
qr/^ok$/,
qr/# TYPE goresty_ssl_sessions_stored_total counter\ngoresty_ssl_sessions_stored_total [1-9]\d*\n[\s\S]*goresty_ssl_session_fetches_total\{result="hit"\} [1-9]\d*\n[\s\S]*goresty_ssl_sessions_rejected_total\{reason="foreign"\} \d+\n[\s\S]*goresty_ssl_session_hook_errors_total\{hook="fetch"\} \d+\n/,
]
--- tls_session
New
Reused
--- no_error_log
[error]
