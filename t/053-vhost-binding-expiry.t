# vim:set ft= ts=4 sw=4 et fdm=marker:
# A session created under one server block is never resumed under another
# (full handshake instead), and ssl_session_timeout is enforced at fetch
# time whatever TTL the store keeps. TLS 1.2 and TLS 1.3.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a session of a.test.com offered to b.test.com gives a full handshake (TLS 1.2 and 1.3)
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 3600)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
    ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
    ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name a.test.com;
        location /t { return 200 "a\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name b.test.com;
        location /t { return 200 "b\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_out $TEST_NGINX_SERVER_ROOT/a12.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/a12.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/a12.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -sess_out $TEST_NGINX_SERVER_ROOT/a13.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/a13.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/a13.sess | cut -d, -f1
--- exec_out eval
["New\n", "Reused\n", "New\n", "New\n", "Reused\n", "New\n"]
--- error_log
was created under another server block, full handshake



=== TEST 2: ssl_session_timeout is enforced at fetch time although the store keeps the session longer
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 3600)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
        ngx.log(ngx.WARN, "fetch found: ", sess ~= nil)
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_session_timeout 1s;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_out $TEST_NGINX_SERVER_ROOT/t12.sess | cut -d, -f1
sleep 2.1; tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/t12.sess | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -sess_out $TEST_NGINX_SERVER_ROOT/t13.sess | cut -d, -f1
sleep 2.1; tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/t13.sess | cut -d, -f1
--- exec_out eval
["New\n", "New\n", "New\n", "New\n"]
--- error_log
fetch found: true
expired (ssl_session_timeout 1s), full handshake



=== TEST 3: a session within ssl_session_timeout resumes
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 3600)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_session_timeout 1h;
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
--- no_error_log
[error]
