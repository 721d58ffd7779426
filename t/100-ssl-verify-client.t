# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.ssl.verify_client(ca_certs, depth) in ssl_certificate_by_lua*: the
# handshake asks for a client certificate; a bad or missing one does not end
# it; $ssl_client_verify says how it checked against the CAs given.
# Elsewhere (ssl_client_hello_by_lua* too, as lua-nginx-module 0.10.23):
# nil, "API disabled in the current context".

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

our $Servers = <<"_EOC_";
    lua_package_path "$ENV{TEST_NGINX_HTML_DIR}/?.lua;;";
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name a.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            local f = assert(io.open("$ENV{TEST_NGINX_CERT_DIR}/ca.crt"))
            local ca = assert(ssl.parse_pem_cert(f:read("*a")))
            f:close()
            local ok, err = ssl.verify_client(ca, 2)
            if not ok then
                ngx.log(ngx.ERR, "verify_client: ", err)
            end
        }
        location / { return 200 "a \$ssl_client_verify \$ssl_client_s_dn\n"; }
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: verify_client in ssl_certificate_by_lua*: a certificate from the CA is SUCCESS, none is NONE, an untrusted one FAILED:reason (the request is served all the same)
--- http_config eval: $::Servers
--- config
--- exec
curl -sk --resolve a.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 --cert $TEST_NGINX_CERT_DIR/client.crt --key $TEST_NGINX_CERT_DIR/client.key https://a.test:$TEST_NGINX_SERVER_SSL_PORT/
curl -sk --resolve a.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://a.test:$TEST_NGINX_SERVER_SSL_PORT/
curl -sk --resolve a.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 --cert $TEST_NGINX_CERT_DIR/self-signed.crt --key $TEST_NGINX_CERT_DIR/self-signed.key https://a.test:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out eval
["a SUCCESS O=goresty,CN=client one\n", "a NONE \n", "a FAILED:self-signed certificate CN=self-signed.test\n"]



=== TEST 2: outside the TLS phases: nil, "API disabled in the current context"
--- config
    location = /t {
        content_by_lua_block {
            local ssl = require "ngx.ssl"
            ngx.say(ssl.verify_client())
        }
    }
--- request
GET /t
--- response_body
nilAPI disabled in the current context



=== TEST 3: in ssl_client_hello_by_lua*: "API disabled in the current context", no certificate asked for
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name h.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_client_hello_by_lua_block {
            local ssl = require "ngx.ssl"
            local ok, err = ssl.verify_client()
            if not ok then
                ngx.log(ngx.WARN, "verify_client: ", err)
            end
        }
        location / { return 200 "h $ssl_client_verify\n"; }
    }
--- config
--- exec
curl -sk --resolve h.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 --cert $TEST_NGINX_CERT_DIR/client.crt --key $TEST_NGINX_CERT_DIR/client.key https://h.test:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out
h NONE
--- error_log
verify_client: API disabled in the current context
