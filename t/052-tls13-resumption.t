# vim:set ft= ts=4 sw=4 et fdm=marker:
# TLS 1.3 resumption through the same hooks (OpenResty skips the store hook
# for TLS 1.3, so its users get no resumption there). In TLS 1.3 every
# handshake, resumed ones included, issues a new ticket (a new PSK), so the
# store hook runs once per connection. The error log is checked after each
# request: the first portion has the store only, the others fetch + store.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 4);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: TLS 1.3 clients resume through store and fetch hooks
--- http_config
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local ssl = require "ngx.ssl"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 300)
        ngx.log(ngx.WARN, "stored ", ssl.get_tls1_version_str())
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local ssl = require "ngx.ssl"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
        ngx.log(ngx.WARN, "fetched ", ssl.get_tls1_version_str(), " ", sess ~= nil)
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.3
session_cache: on
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- tls_session
New
Reused
Reused
--- tls_protocol
TLSv1.3
--- grep_error_log eval: qr/(stored|fetched) TLSv1\.3( true)?/
--- grep_error_log_out eval
qr/\A(fetched TLSv1\.3 true\n)?stored TLSv1\.3\n\z/



=== TEST 2: ssl_session_cache shared (no Lua) resumes TLS 1.3 and TLS 1.2
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_session_cache shared:SSL:1m;
        ssl_session_tickets off;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.3
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



=== TEST 3: ssl_session_tickets off and no cache, no hooks: no resumption
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_session_tickets off;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.3
session_cache: on
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n"]
--- tls_session
New
New
--- no_error_log
[error]



=== TEST 4: openssl s_client -tls1_3 -sess_out / -sess_in prints Reused
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
    }
--- config
--- exec
printf 'GET /t HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n' | openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_3 -ign_eof -sess_out $TEST_NGINX_SERVER_ROOT/s13.pem 2>/dev/null | grep -E '^(New|Reused),' | head -1 | cut -d, -f1
printf 'GET /t HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n' | openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_3 -ign_eof -sess_in $TEST_NGINX_SERVER_ROOT/s13.pem 2>/dev/null | grep -E '^(New|Reused),' | head -1 | cut -d, -f1
--- exec_out eval
["New\n", "Reused\n"]
--- no_error_log
[error]
