# vim:set ft= ts=4 sw=4 et fdm=marker:
# Request parsing as strict as nginx >= 1.21.1: requests smuggling or
# folding headers, oversized chunked bodies and NUL bytes in the path are
# answered by the server, before any handler.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Content-Length together with Transfer-Encoding: chunked is a 400
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("handler ran: ", ngx.req.get_body_data())
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Content-Length: 5\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
0\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- no_error_log
handler ran



=== TEST 2: an obs-fold header line (a continuation starting with a space) is a 400
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("handler ran: ", ngx.var.http_x_folded)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
X-Folded: first\r
 second\r
Connection: close\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- no_error_log
[crit]



=== TEST 3: a chunked body larger than client_max_body_size is a 413 before the handler runs
--- config
    location = /t {
        client_max_body_size 8;
        content_by_lua_block {
            ngx.req.read_body()
            ngx.log(ngx.WARN, "handler ran")
            ngx.say("got: ", ngx.req.get_body_data())
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
6\r
, world\r
0\r
\r
"
--- error_code: 413
--- error_log
client intended to send too large chunked body
--- no_error_log
handler ran



=== TEST 4: a chunked body within client_max_body_size reaches the handler whole
--- config
    location = /t {
        client_max_body_size 16;
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("got: ", ngx.req.get_body_data())
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
7\r
, world\r
0\r
\r
"
--- error_code: 200
--- response_body
got: hello, world
--- no_error_log
[error]



=== TEST 5: %00 in a static file's path is a 400, not a 500
--- config
--- request
GET /index%00.html
--- error_code: 400
--- response_body_like: 400 Bad Request
--- no_error_log
[crit]



=== TEST 6: %00 in a path handled by Lua
--- config
    location /t {
        content_by_lua_block {
            ngx.say("uri: ", #ngx.var.uri)
        }
    }
--- request
GET /t/a%00b
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
client sent invalid



=== TEST 7: a body that looks like folded headers is a body, not headers
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.print("got: ", ngx.req.get_body_data())
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Content-Length: 44\r
Connection: close\r
\r
X-Folded: x\r
 y\r
Transfer-Encoding: chunked\r
"
--- response_body eval
"got: X-Folded: x\r\n y\r\nTransfer-Encoding: chunked\r"
--- error_code: 200
--- no_error_log
client sent



=== TEST 8: over TLS, a chunked body larger than client_max_body_size is a 413 and %00 a 400
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        client_max_body_size 8;
        location /t {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say("got: ", ngx.req.get_body_data())
            }
        }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -request 'POST /t HTTP/1.1\r\nHost: test.com\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n, world\r\n0\r\n\r\n' | grep HTTP/
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -request 'GET /t/a%00b' | grep HTTP/
--- exec_out
HTTP/1.1 413 Request Entity Too Large
HTTP/1.1 400 Bad Request
--- error_log eval
[qr/client intended to send too large chunked body: \d+\+\d+ bytes/, qr/client sent invalid request while reading client request line/]
--- no_error_log
got:



=== TEST 9: over TLS, Content-Length together with Transfer-Encoding: chunked is a 400
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say("handler ran: ", ngx.req.get_body_data())
            }
        }
    }
--- config
--- tls
sni: test.com
--- raw_request eval
"POST /t HTTP/1.1\r
Host: test.com\r
Content-Length: 3\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
0\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers
--- no_error_log
handler ran



=== TEST 10: over TLS, an obs-fold header line is a 400
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            content_by_lua_block {
                ngx.log(ngx.WARN, "handler ran")
                ngx.say("folded: ", ngx.var.http_x_folded)
            }
        }
    }
--- config
--- tls
sni: test.com
--- raw_request eval
"GET /t HTTP/1.1\r
Host: test.com\r
X-Folded: first\r
 second\r
Connection: close\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
client sent invalid header line
--- no_error_log
handler ran



=== TEST 11: over TLS, Transfer-Encoding in an HTTP/1.0 request is a 400
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            content_by_lua_block {
                ngx.log(ngx.WARN, "handler ran")
                ngx.say("ok")
            }
        }
    }
--- config
--- tls
sni: test.com
--- raw_request eval
"POST /t HTTP/1.0\r
Host: test.com\r
Transfer-Encoding: chunked\r
\r
0\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
client sent HTTP/1.0 request with "Transfer-Encoding" header while reading client request headers
--- no_error_log
handler ran



=== TEST 12: over TLS, a request line net/http refuses gets nginx's 400 page, not Go's plain text
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            return 200 "ok\n";
        }
    }
--- config
--- tls
sni: test.com
--- raw_request eval
"GET /t HTTP/1.1\r
Connection: close\r
\r
"
--- error_code: 400
--- response_body_like: <center>(nginx|goresty)[^<]*</center>
--- response_headers
Content-Type: text/html
--- error_log
client sent HTTP/1.1 request without "Host" header



=== TEST 13: over TLS, keep-alive requests with bodies are served one by one (the scan follows their framing)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say(ngx.var.request_method, " [", ngx.req.get_body_data(), "]")
            }
        }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -request 'POST /t HTTP/1.1\r\nHost: test.com\r\nContent-Length: 29\r\n\r\nX-Folded: x\r\n y\r\nTransfer-EncPOST /t HTTP/1.1\r\nHost: test.com\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n a\r\n\r\n0\r\n\r\nGET /t HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n' | tr -d '\r' | grep -v '^New,'
--- exec_out
HTTP/1.1 200 OK
POST [X-Folded: x
 y
Transfer-Enc]
HTTP/1.1 200 OK
POST [ a
]
HTTP/1.1 200 OK
GET [nil]
--- no_error_log
client sent
