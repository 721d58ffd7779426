# vim:set ft= ts=4 sw=4 et fdm=marker:
# Basic specs exercising the runner itself (sections, matchers, skeleton).

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: static index from the skeleton's "location /"
--- config
--- request
GET /
--- response_body chomp
<html><head><title>It works!</title></head><body>It works!</body></html>
--- response_headers
Content-Type: text/html
--- no_error_log
[error]



=== TEST 2: user_files, served from html/
--- user_files
>>> a/b.txt
hello, $TEST_NGINX_SERVER_PORT
--- config
--- request
GET /a/b.txt
--- response_body
hello, $ServerPort
--- no_error_log
[error]



=== TEST 3: content_by_lua_block with ngx.say
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello, world")
        }
    }
--- request
GET /t
--- response_body
hello, world
--- no_error_log
[error]



=== TEST 4: error_code, response_headers and a custom header
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 404
            ngx.header["X-Foo"] = "bar"
            ngx.say("not here")
        }
    }
--- request
GET /t
--- error_code: 404
--- response_headers
X-Foo: bar
!X-Bar
--- response_body
not here



=== TEST 5: ngx.log lands in error.log (error_log, grep_error_log)
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.WARN, "hello from lua: ", 42)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
hello from lua: 42
--- grep_error_log eval: qr/hello from lua: \d+/
--- grep_error_log_out
hello from lua: 42
--- no_error_log
[error]



=== TEST 6: more_headers and a request body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("foo: ", ngx.req.get_headers()["X-Foo"])
            ngx.say("body: ", ngx.req.get_body_data())
        }
    }
--- request
POST /t
hello body
--- more_headers
X-Foo: 123
--- response_body
foo: 123
body: hello body
--- no_error_log
[error]



=== TEST 7: several requests (eval list), one response each
--- config
    location /t {
        content_by_lua_block {
            ngx.say("uri: ", ngx.var.uri)
        }
    }
--- request eval
["GET /t/a", "GET /t/b"]
--- response_body eval
["uri: /t/a\n", "uri: /t/b\n"]
--- error_code eval
[200, 200]
--- no_error_log
[error]



=== TEST 8: pipelined requests on one connection
--- config
    location /t {
        content_by_lua_block {
            ngx.say(ngx.var.uri)
        }
    }
--- pipelined_requests eval
["GET /t/1", "GET /t/2", "GET /t/3"]
--- response_body eval
["/t/1\n", "/t/2\n", "/t/3\n"]
--- no_error_log
[error]



=== TEST 9: response_body_like and response_headers_like
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Time"] = ngx.time()
            ngx.say("now: ", ngx.time())
        }
    }
--- request
GET /t
--- response_body_like
^now: \d+$
--- response_headers_like
X-Time: \d+
--- no_error_log
[error]



=== TEST 10: main_config and http_config are placed where Test::Nginx puts them
--- main_config
    env GORESTY_RUNNER_TEST;
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("a", 32)
            ngx.say("a: ", dogs:get("a"))
        }
    }
--- request
GET /t
--- response_body
a: 32
--- no_error_log
[error]



=== TEST 11: chunk names carry Test::Nginx's line numbers
--- config
    location = /t {
        content_by_lua_block {
            error("boom")
        }
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log eval
qr/content_by_lua\(nginx\.conf:41\):2: boom/



=== TEST 12: a config error makes the server die at startup
--- config
    location = /t {
        no_such_directive on;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown directive "no_such_directive" in \S+nginx\.conf:41/



=== TEST 13: HTTPS (--- tls): a TLS 1.2 session is resumed; --- exec runs openssl
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { content_by_lua_block { ngx.say("ok") } }
    }
--- config
--- exec
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -tls1_2 -servername test.com -sess_out sess.pem </dev/null 2>&1 | grep -E '^(New|Reused),'
openssl s_client -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -tls1_2 -servername test.com -sess_in sess.pem </dev/null 2>&1 | grep -E '^(New|Reused),'
--- exec_out_like eval
[qr/^New, TLSv1.2/, qr/^Reused, TLSv1.2/]
--- request eval
["GET /", "GET /"]
--- tls
sni: test.com
version: 1.2
session_cache: on
verify: on
--- tls_session
New
Reused
--- tls_protocol: TLSv1.2
--- response_body eval
["ok\n", "ok\n"]
--- no_error_log
[error]



=== TEST 14: HTTPS (--- tls): TLS 1.3 resumption
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { content_by_lua_block { ngx.say("ok") } }
    }
--- config
--- request eval
["GET /", "GET /", "GET /"]
--- tls
sni: test.com
version: 1.3
session_cache: on
--- tls_session eval
["New", "Reused", "Reused"]
--- tls_protocol: TLSv1.3
--- response_body eval
["ok\n", "ok\n", "ok\n"]



=== TEST 15: HTTPS (--- tls): a handshake failure is matched by --- tls_error_like
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2;
        location / { content_by_lua_block { ngx.say("ok") } }
    }
--- config
--- request
GET /
--- tls
version: 1.3
--- tls_error_like: protocol version
--- ignore_response
