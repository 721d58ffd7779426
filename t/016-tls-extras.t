# vim:set ft= ts=4 sw=4 et fdm=marker:
# ssl_stapling with ssl_stapling_file (the response is stapled as given),
# ssl_dhparam (checked, -t warns: Go offers no DHE suites) and
# ssl_early_data (on: a warning, as nginx's "not supported on this
# platform": Go's TLS server takes no 0-RTT data).

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ssl_stapling_file: the OCSP response is stapled to the handshake
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_stapling on;
        ssl_stapling_file $TEST_NGINX_CERT_DIR/ecdsa.ocsp.der;
        location / { return 200 "ok\n"; }
    }
--- config
--- exec
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -status -servername test.com </dev/null 2>&1 | grep -E 'OCSP Response Status|Cert Status'
--- exec_out_like eval
qr/\A\s*OCSP Response Status: successful \(0x0\)\n\s*Cert Status: good\n\z/



=== TEST 2: -t says what ssl_dhparam and ssl_early_data on do with Go's TLS stack (warnings), a bad dhparam file is [emerg]
--- user_files
>>> extras.conf
events {}
http {
    server {
        listen 127.0.0.1:1 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_dhparam $TEST_NGINX_CERT_DIR/dhparam.pem;
        ssl_early_data on;
    }
}
>>> baddh.conf
events {}
http {
    server {
        listen 127.0.0.1:1 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_dhparam $TEST_NGINX_CERT_DIR/ca.crt;
    }
}
--- config
--- exec
$TEST_NGINX_BINARY -tq -p $TEST_NGINX_SERVER_ROOT/ -c html/extras.conf -e stderr 2>&1
$TEST_NGINX_BINARY -tq -p $TEST_NGINX_SERVER_ROOT/ -c html/baddh.conf -e stderr 2>&1
--- exec_status eval
[0, 1]
--- exec_out_like eval
[qr/\A\S+ \S+ \[warn\] \d+#\d+: "ssl_dhparam" "\S+\/dhparam\.pem" is not used: Go's crypto\/tls offers no DHE cipher suites \(ECDHE and TLS 1\.3 only\)\n\S+ \S+ \[warn\] \d+#\d+: "ssl_early_data" is not supported on this platform, ignored \(Go's crypto\/tls server does not accept 0-RTT data; clients send it again after the handshake\)\n\z/,
qr/\[emerg\] \d+#\d+: PEM_read_bio_DHparams\("\S+\/ca\.crt"\) failed \(SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS\)/]
