# vim:set ft= ts=4 sw=4 et fdm=marker:
# Directives in every context nginx allows them (resolver, resolver_timeout,
# lua_ssl_*, types in server and location) and keyword values matched as
# nginx matches them (ssl_protocols TLSV1.2, server_tokens ON, proxy_pass
# HTTP://). The table-driven check of every directive in every context, also
# run against Debian's nginx, is confparse/contexts_test.go.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: resolver, resolver_timeout and lua_ssl_* in server and location (OpenResty's documented examples)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        resolver 127.0.0.1 ipv6=off;
        resolver_timeout 5s;
        lua_ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            resolver 127.0.0.1:53 valid=30s;
            lua_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
            lua_ssl_verify_depth 2;
            content_by_lua 'ngx.say("ok")';
        }
    }
--- config
--- tls: on
--- request
GET /
--- response_body
ok



=== TEST 2: ssl_protocols matches its values case-insensitively, as nginx (TLSV1.2 is TLSv1.2)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSV1.2;
        location / { return 200 "$ssl_protocol\n"; }
    }
--- config
--- tls
version: 1.2-1.3
--- request
GET /
--- response_body
TLSv1.2



=== TEST 3: types in a location replaces http's list there; server_tokens ON
--- user_files
>>> a.gz
zz
--- config
    server_tokens ON;
    location = /a.gz {
        root html;
        types { application/x-test-gzip gz; }
    }
--- request
GET /a.gz
--- response_headers_like
Content-Type: application/x-test-gzip
Server: \w+/\d+\.\d+\.\d+



=== TEST 4: proxy_pass takes its scheme in any case, as nginx
--- config
    location = /up {
        return 200 "upstream\n";
    }
    location = /t {
        proxy_pass HTTP://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
--- request
GET /t
--- response_body
upstream



=== TEST 5: lua_ssl_trusted_certificate and lua_ssl_verify_depth of a location are what its cosockets verify with
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "ok\n"; }
    }
--- config
    location = /t {
        lua_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        lua_ssl_verify_depth 2;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_SSL_PORT))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("trusted: ", sess ~= nil, " ", err)
        }
    }
    location = /u {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_SSL_PORT))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("http level: ", sess ~= nil, " ", err)
        }
    }
--- request eval
["GET /t", "GET /u"]
--- response_body eval
["trusted: true nil\n", "http level: false 20: unable to get local issuer certificate\n"]



=== TEST 6: a location's resolver is the one its cosockets ask
--- config
    location = /t {
        resolver 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ipv6=off;
        resolver_timeout 200ms;
        lua_socket_connect_timeout 500ms;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("agentzh.invalid", 80)
            ngx.say(ok)
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_reply: x
--- udp_query eval
qr/\x07agentzh\x07invalid\x00/
--- request
GET /t
--- response_body
nil
