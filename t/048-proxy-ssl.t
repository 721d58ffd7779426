# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_pass https://... with proxy_ssl_*: verification against
# proxy_ssl_trusted_certificate (nginx's "upstream SSL certificate verify
# error: (N:text)" and "does not match" lines, 502), proxy_ssl_name,
# proxy_ssl_server_name (SNI), proxy_ssl_protocols, a client certificate,
# an upstream block, no verification by default.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2 + 4);

our $Backends = <<"_EOC_";
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name test.com;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/rsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/rsa.key;
        ssl_verify_client optional;
        ssl_client_certificate $ENV{TEST_NGINX_CERT_DIR}/ca.crt;
        location / { return 200 "backend sni=[\$ssl_server_name] proto=\$ssl_protocol client=[\$ssl_client_s_dn]\n"; }
    }
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name self-signed.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/self-signed.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/self-signed.key;
        location / { return 200 "self-signed\n"; }
    }
    upstream tlsback {
        server 127.0.0.1:$ENV{TEST_NGINX_SERVER_SSL_PORT};
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: verified against the CA under proxy_ssl_name, no SNI by default; through an upstream block too
--- http_config eval: $::Backends
--- config
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
    proxy_ssl_name test.com;
    location /direct {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT;
    }
    location /up {
        proxy_pass https://tlsback;
    }
--- request eval
["GET /direct", "GET /up"]
--- response_body_like eval
["^backend sni=\\[\\] proto=TLSv1\\.[23] client=\\[\\]\n\$", "^backend sni=\\[\\] proto=TLSv1\\.[23] client=\\[\\]\n\$"]



=== TEST 2: proxy_ssl_server_name, proxy_ssl_protocols and a client certificate
--- http_config eval: $::Backends
--- config
    location /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        proxy_ssl_name test.com;
        proxy_ssl_server_name on;
        proxy_set_header Host test.com;
        proxy_ssl_protocols TLSv1.2;
        proxy_ssl_certificate $TEST_NGINX_CERT_DIR/client.crt;
        proxy_ssl_certificate_key $TEST_NGINX_CERT_DIR/client.key;
    }
--- request
GET /t
--- response_body
backend sni=[test.com] proto=TLSv1.2 client=[O=goresty,CN=client one]



=== TEST 3: a certificate the trusted CAs do not vouch for: nginx's verify error line and 502
--- http_config eval: $::Backends
--- config
    location /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        proxy_ssl_server_name on;
        proxy_ssl_name self-signed.test;
        proxy_set_header Host self-signed.test;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*upstream SSL certificate verify error: \(18:self-signed certificate\) while SSL handshaking to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", upstream: "https:\/\/127\.0\.0\.1:\d+\/t"/



=== TEST 4: a certificate for another name: nginx's "does not match" line and 502
--- http_config eval: $::Backends
--- config
    location /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        proxy_ssl_name other.test;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*upstream SSL certificate does not match "other\.test" while SSL handshaking to upstream/



=== TEST 5: without proxy_ssl_verify nothing is checked (nginx's default)
--- http_config eval: $::Backends
--- config
    location /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT;
        proxy_ssl_server_name on;
        proxy_ssl_name self-signed.test;
        proxy_set_header Host self-signed.test;
    }
--- request
GET /t
--- response_body
self-signed



=== TEST 6: proxy_ssl_verify needs proxy_ssl_trusted_certificate
--- config
    location /t {
        proxy_pass https://127.0.0.1:1;
        proxy_ssl_verify on;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*no proxy_ssl_trusted_certificate for proxy_ssl_verify/
