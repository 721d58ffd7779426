# Blocks run by TestMatchers against nginx; run_test.go lists, per block,
# the failures each must produce (none for the "passes" blocks).
use Test::Nginx::Socket;
repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: passes: body, code, headers, log
--- config
    location = /t {
        add_header X-Foo bar;
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- response_headers
X-Foo: bar
!X-Bar
--- response_headers_like
X-Foo: b.r
--- raw_response_headers_like: Content-Type: text/plain\r
--- error_log
http finalize request
--- no_error_log
[error]



=== TEST 2: fails: body, code, headers
--- config
    location = /t {
        add_header X-Foo bar;
        return 200 "hello\n";
    }
--- request
GET /t
--- error_code: 201
--- response_body
bye
--- response_headers
X-Foo: baz
!X-Foo



=== TEST 3: fails: body_like, headers_like, raw headers
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body_like: ^bye$
--- response_headers_like
Content-Type: image/.*
--- raw_response_headers_unlike: Content-Type



=== TEST 4: fails: error_log, no_error_log, grep_error_log
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- error_log
this is never logged
--- no_error_log
http finalize request
--- grep_error_log eval: qr/http finalize request: -?\d+/
--- grep_error_log_out
nope



=== TEST 5: passes: lists per request, pipelined, eval bodies
--- config
    location /t {
        return 200 "$uri\n";
    }
--- pipelined_requests eval
["GET /t/a", "GET /t/b"]
--- response_body eval
["/t/a\n", qr{^/t/b$}]
--- error_code eval
[200, 200]



=== TEST 6: fails: per-request lists
--- config
    location /t {
        return 200 "$uri\n";
    }
--- request eval
["GET /t/a", "GET /t/b"]
--- response_body eval
["/t/a\n", "/t/c\n"]



=== TEST 7: fails: an unsupported section
--- config
--- request
GET /
--- stap
F(ngx_http_handler) { println("hi") }



=== TEST 8: passes: must_die, error_log on stderr
--- config
    location = /t {
        no_such_directive;
    }
--- must_die
--- error_log
unknown directive "no_such_directive"



=== TEST 9: fails: must_die, but it starts
--- config
--- must_die



=== TEST 10: fails: timeout
--- config
    location = /t {
        limit_rate 1;
        return 200 "hello, world\n";
    }
--- request
GET /t
--- timeout: 0.3
--- response_body
hello, world



=== TEST 11: passes: exec with env and expansion
--- config
--- exec
echo "port $TEST_NGINX_SERVER_PORT"
printf 'b\n'; exit 3
--- exec_status eval
[0, 3]
--- exec_out eval
["port $ENV{TEST_NGINX_SERVER_PORT}\n", "b\n"]



=== TEST 12: fails: exec status and output
--- config
--- exec
echo out; exit 2
--- exec_out_like: ^nope



=== TEST 13: passes: user_files and static files
--- user_files
>>> sub/a.txt 201001021504.05
aaa
>>> b.txt
bbb
--- config
--- request
GET /sub/a.txt
--- response_body
aaa
--- response_headers
Last-Modified: Sat, 02 Jan 2010 15:04:05 GMT



=== TEST 14: fails: grep_error_log per repetition
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- grep_error_log: http finalize request
--- grep_error_log_out eval
["", "http finalize request\n"]



=== TEST 15: passes: server_exits after exec sends QUIT
--- config
--- exec
kill -QUIT $(cat logs/nginx.pid)
--- server_exits



=== TEST 16: fails: the server dies during the block
--- config
--- exec
kill -QUIT $(cat logs/nginx.pid); sleep 0.3



=== TEST 17: fails: server_exits but it keeps running
--- config
--- exec
true
--- server_exits
--- timeout: 0.2



=== TEST 18: passes: tcp_listen mock server with a lua cosocket
--- main_config
    load_module /usr/lib/nginx/modules/ndk_http_module.so;
    load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("ping\n"))
            local line, err = sock:receive()
            ngx.say("got: ", line, " ", err)
            local line, err = sock:receive()
            ngx.say("then: ", line, " ", err)
        }
    }
--- request
GET /t
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query_len: 5
--- tcp_query
ping
--- tcp_reply
pong
--- response_body
got: pong nil
then: nil closed



=== TEST 19: fails: tcp_query mismatch
--- main_config
    load_module /usr/lib/nginx/modules/ndk_http_module.so;
    load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("ping\n"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval: "pong\n"
--- tcp_reply eval: ["a", "b\n"]
--- response_body
ab



=== TEST 20: passes: udp_listen mock server
--- main_config
    load_module /usr/lib/nginx/modules/ndk_http_module.so;
    load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.udp()
            assert(sock:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_2))
            assert(sock:send("hi"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- udp_listen: $TEST_NGINX_RAND_PORT_2
--- udp_query: hi
--- udp_reply: there
--- response_body
there



=== TEST 21: passes: skipped by skip_nginx
--- config
--- request
GET /nope
--- skip_nginx: 3: >= 1.0.0



=== TEST 22: passes: response_body_filters
--- config
    location = /t {
        return 200 "hello";
    }
--- request
GET /t
--- response_body_filters
uc md5_hex
--- response_body eval
"eb61eead90e3b899c6bcbe27ac581660"



=== TEST 23: passes: http2 cleartext (prior knowledge)
--- config
    location = /t {
        add_header X-Proto $server_protocol;
        return 200 "hello\n";
    }
--- http2
--- request
GET /t
--- response_headers
X-Proto: HTTP/2.0
Content-Length: 6
--- response_body
hello



=== TEST 24: passes: http2 over TLS, with a request body and session resumption
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location = /t {
            add_header X-Proto $server_protocol;
            add_header X-Len $content_length;
            return 200 "$request_method\n";
        }
    }
--- config
--- http2
--- tls
version: 1.3
session_cache: on
--- request eval
["POST /t\nabc", "GET /t"]
--- tls_session
New
Reused
--- response_headers eval
["X-Proto: HTTP/2.0\nX-Len: 3", "X-Proto: HTTP/2.0"]
--- response_body eval
["POST\n", "GET\n"]
