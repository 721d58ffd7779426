# vim:set ft= ts=4 sw=4 et fdm=marker:
# Virtual hosts chosen by SNI and Host, TLS settings (certificates,
# protocols, ciphers, curves), ALPN h2, TLS variables and $ssl_session_reused.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: SNI picks the server block: exact name, leading wildcard, regex, default_server
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "exact $ssl_server_name\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl default_server;
        server_name *.test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "wildcard $ssl_server_name\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name ~^api\d+\.example\.org$;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "regex $ssl_server_name\n"; }
    }
--- config
--- tls
sni: www.test.com
--- request
GET /
--- response_body
wildcard www.test.com
--- no_error_log
[error]



=== TEST 2: an exact name wins over the wildcard
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl default_server;
        server_name *.test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "wildcard\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name www.test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "exact $server_name\n"; }
    }
--- config
--- tls
sni: www.test.com
--- request
GET /
--- response_body
exact www.test.com
--- no_error_log
[error]



=== TEST 3: a regex name, and an unknown name falling back to the default server
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "first\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl default_server;
        server_name default.test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "default\n"; }
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name ~^api\d+\.test\.com$;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location / { return 200 "regex\n"; }
    }
--- config
--- exec
curl -sk --resolve api12.test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://api12.test.com:$TEST_NGINX_SERVER_SSL_PORT/
curl -sk --resolve other.example:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://other.example:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out
regex
default
--- request
GET /t
--- error_code: 404



=== TEST 4: TLS variables in Lua; ssl_session_reused with a client session cache
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location /t {
            content_by_lua_block {
                local v = ngx.var
                ngx.say(v.scheme, " ", v.https, " ", v.ssl_protocol, " ", v.ssl_server_name, " ",
                        v.ssl_session_reused, " ", v.ssl_cipher)
            }
        }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /t"]
--- tls_session
New
Reused
--- response_body eval
["https on TLSv1.2 test.com . ECDHE-ECDSA-AES128-GCM-SHA256\n", "https on TLSv1.2 test.com r ECDHE-ECDSA-AES128-GCM-SHA256\n"]



=== TEST 5: $ssl_session_reused and $ssl_protocol in log_format
--- http_config
    log_format tls '$ssl_protocol reused=$ssl_session_reused "$request" $status';
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        access_log logs/access.log tls;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.3
--- request
GET /t
--- response_body
ok
--- access_log
TLSv1.3 reused=. "GET /t HTTP/1.1" 200



=== TEST 6: ssl_protocols TLSv1.3 refuses a TLS 1.2 client
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.3;
        location /t { return 200 "ok\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
--- request
GET /t
--- tls_error_like: protocol version|handshake failure
--- ignore_response



=== TEST 7: ssl_ciphers picks the TLS 1.2 suite; ssl_ecdh_curve is accepted
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/rsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/rsa.key;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384;
        ssl_prefer_server_ciphers on;
        ssl_ecdh_curve X25519:prime256v1;
        location /t { return 200 "$ssl_cipher\n"; }
    }
--- config
--- tls
sni: test.com
version: 1.2
--- request
GET /t
--- tls_protocol
TLSv1.2
--- response_body
ECDHE-RSA-AES256-GCM-SHA384



=== TEST 8: ECDSA and RSA certificates side by side: each client gets one it supports
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_certificate $TEST_NGINX_CERT_DIR/rsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/rsa.key;
        ssl_protocols TLSv1.2;
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_2 -sigalgs RSA-PSS+SHA256:RSA+SHA256 </dev/null 2>/dev/null | grep -o 'Peer signature type: [A-Za-z_-]*'
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -tls1_2 -sigalgs ECDSA+SHA256 </dev/null 2>/dev/null | grep -o 'Peer signature type: [A-Za-z_-]*'
--- exec_out_like eval
[qr/RSA/, qr/ECDSA/]
--- request
GET /
--- error_code: 200



=== TEST 9: an unknown cipher name stops the start with [emerg]
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_ciphers NO-SUCH-CIPHER;
        location /t { return 200 "ok\n"; }
    }
--- config
--- must_die
--- error_log
SSL_CTX_set_cipher_list("NO-SUCH-CIPHER") failed



=== TEST 10: HTTP/2 over TLS with "listen ... ssl http2"; HTTP/1.1 still served
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { content_by_lua_block { ngx.say("proto ", ngx.var.server_protocol) } }
    }
--- config
--- exec
curl -sk --http2 --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/t
curl -sk --http1.1 --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/t
--- exec_out
proto HTTP/2.0
proto HTTP/1.1
--- request
GET /
--- error_code: 200



=== TEST 11: plain HTTP and HTTPS on the same server block; Host selects among plain servers
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        listen $TEST_NGINX_RAND_PORT_1;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "$scheme $server_name\n"; }
    }
    server {
        listen $TEST_NGINX_RAND_PORT_1;
        server_name other.test.com;
        location /t { return 200 "$scheme other\n"; }
    }
--- config
--- exec
curl -s -H 'Host: test.com' http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/t
curl -s -H 'Host: other.test.com' http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/t
curl -sk --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/t
--- exec_out
http test.com
http other
https test.com
--- request
GET /
--- error_code: 200
