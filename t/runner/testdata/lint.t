use Test::Nginx::Socket;
run_tests();
__DATA__

=== TEST 1: no config, unknown section, unknown variable
--- request
GET /
--- stap
F(x) {}
--- more_headers
X-Port: $TEST_NGINX_NOPE

=== TEST 2: pairs
--- config
--- grep_error_log: x
--- tls_session: New
--- exec_out: x
--- ONLY

=== TEST 3: bad tls
--- config
--- request
GET /
--- tls
version: 1.4
