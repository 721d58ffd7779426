# vim:set ft= ts=4 sw=4 et fdm=marker:
# Client certificates: ssl_verify_client on | optional | optional_no_ca with
# ssl_client_certificate, ssl_crl and ssl_verify_depth; nginx's 400 pages
# (495/496) and [info] lines; $ssl_client_*; 421 when Host picks a server
# block whose verification differs from the SNI one; and sessions bound to
# the verification policy (a session made where client certificates are not
# checked is never resumed where they are).

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

our $MtlsServers = <<"_EOC_";
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name a.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;
        location / { return 200 "a \$ssl_client_verify\n"; }
    }
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name b.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;
        ssl_verify_client on;
        ssl_client_certificate $ENV{TEST_NGINX_CERT_DIR}/ca.crt;
        ssl_crl $ENV{TEST_NGINX_CERT_DIR}/ca.crl;
        location / { return 200 "b \$ssl_client_verify \$ssl_client_s_dn \$ssl_client_serial \$ssl_client_fingerprint\n"; }
    }
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name c.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;
        ssl_verify_client optional_no_ca;
        ssl_client_certificate $ENV{TEST_NGINX_CERT_DIR}/ca.crt;
        location / { return 200 "c \$ssl_client_verify\n"; }
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ssl_verify_client on: a certificate from the CA passes, its subject, serial and fingerprint in variables
--- http_config eval: $::MtlsServers
--- config
--- exec
curl -sk --resolve b.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 --cert $TEST_NGINX_CERT_DIR/client.crt --key $TEST_NGINX_CERT_DIR/client.key https://b.test:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out
b SUCCESS O=goresty,CN=client one 1001 e6a46d266117d4d15f411b0fd8b26614a6803ddd



=== TEST 2: ssl_verify_client on: no certificate is nginx's 400 "No required SSL certificate was sent"; a revoked one "The SSL certificate error"
--- http_config eval: $::MtlsServers
--- config
--- exec
curl -sk --resolve b.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 -w "%{http_code}\n" https://b.test:$TEST_NGINX_SERVER_SSL_PORT/ | grep -E '^(400|<center>)'
curl -sk --resolve b.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 -w "%{http_code}\n" --cert $TEST_NGINX_CERT_DIR/revoked.crt --key $TEST_NGINX_CERT_DIR/revoked.key https://b.test:$TEST_NGINX_SERVER_SSL_PORT/ | grep -E '^(400|<center>)'
--- exec_out eval
["<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n400\n",
"<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n400\n"]
--- error_log eval
[qr/\[info\] .*client sent no required SSL certificate/, qr/\[info\] .*client SSL certificate verify error: \(23:certificate revoked\)/]



=== TEST 3: optional_no_ca lets an untrusted certificate through with FAILED:reason; no certificate is NONE
--- http_config eval: $::MtlsServers
--- config
--- exec
curl -sk --resolve c.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 --cert $TEST_NGINX_CERT_DIR/self-signed.crt --key $TEST_NGINX_CERT_DIR/self-signed.key https://c.test:$TEST_NGINX_SERVER_SSL_PORT/
curl -sk --resolve c.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://c.test:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out eval
["c FAILED:self-signed certificate\n", "c NONE\n"]



=== TEST 4: a request whose Host picks a block with another verification policy than the SNI one is nginx's 421
--- http_config eval: $::MtlsServers
--- config
--- exec
curl -sk --resolve a.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 -H "Host: b.test" -o /dev/null -w "%{http_code}\n" https://a.test:$TEST_NGINX_SERVER_SSL_PORT/
curl -sk --resolve a.test:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://a.test:$TEST_NGINX_SERVER_SSL_PORT/
--- exec_out eval
["421\n", "a NONE\n"]
--- error_log
client attempted to request the server name different from the one that was negotiated



=== TEST 5: a session made on a block that does not check client certificates is not resumed on one that does (same names and certificate, other port)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name m.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_session_cache builtin;
        location / { return 200 "open\n"; }
    }
    server {
        listen $TEST_NGINX_RAND_PORT_1 ssl;
        server_name m.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_session_cache builtin;
        ssl_verify_client on;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        location / { return 200 "mtls\n"; }
    }
--- config
--- exec
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -tls1_2 -servername m.test -cert $TEST_NGINX_CERT_DIR/client.crt -key $TEST_NGINX_CERT_DIR/client.key -sess_out sess.pem </dev/null 2>&1 | grep -E '^(New|Reused),' | cut -d, -f1
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -tls1_2 -servername m.test -cert $TEST_NGINX_CERT_DIR/client.crt -key $TEST_NGINX_CERT_DIR/client.key -sess_in sess.pem </dev/null 2>&1 | grep -E '^(New|Reused),' | cut -d, -f1
openssl s_client -connect 127.0.0.1:$TEST_NGINX_RAND_PORT_1 -tls1_2 -servername m.test -cert $TEST_NGINX_CERT_DIR/client.crt -key $TEST_NGINX_CERT_DIR/client.key -sess_in sess.pem </dev/null 2>&1 | grep -E '^(New|Reused),' | cut -d, -f1
--- exec_out eval
["New\n", "Reused\n", "New\n"]



=== TEST 6: ssl_verify_client on needs ssl_client_certificate
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_verify_client on;
    }
--- config
--- must_die
--- error_log
no ssl_client_certificate for ssl_verify_client
