# HTTP/2 over TLS ("listen ... ssl http2"), served by goresty's own HTTP/2
# server: Lua content, request bodies beyond the stream window, responses
# beyond the client's window, streamed responses, HEAD, several requests
# on one connection, and what an h2 answer leaves out (TEST 6: goresty only,
# a difference from nginx listed in README).

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: content_by_lua over HTTP/2: the request as Lua sees it, headers and status set by Lua
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block {
                ngx.status = 201
                ngx.header["X-Version"] = ngx.req.http_version()
                ngx.header["X-Foo"] = ngx.req.get_headers()["x-foo"]
                ngx.say(ngx.var.server_protocol, " ", ngx.var.request_method, " ", ngx.var.request_uri, " ", ngx.var.host)
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request
GET /t?a=1
--- more_headers
X-Foo: bar
--- error_code: 201
--- response_headers
X-Version: 2
X-Foo: bar
--- response_body
HTTP/2.0 GET /t?a=1 test.com
--- no_error_log
[error]



=== TEST 2: a request body larger than the stream's window (256 KB), read whole
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        client_max_body_size 2m;
        client_body_buffer_size 2m;
        location = /t {
            content_by_lua_block {
                ngx.req.read_body()
                local b = ngx.req.get_body_data()
                ngx.say(#b, " ", b:sub(1, 10), " ", b:sub(-10))
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request eval
"POST /t\n" . ("0123456789" x 60000)
--- response_body
600000 0123456789 0123456789
--- no_error_log
[error]



=== TEST 3: a response larger than the client's window (64 KB) comes whole
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block {
                ngx.print(string.rep("abcdefghij", 30000))
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request
GET /t
--- response_body eval
"abcdefghij" x 30000
--- no_error_log
[error]



=== TEST 4: ngx.flush streams the response over HTTP/2; ngx.sleep in between
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block {
                ngx.say("first")
                ngx.flush(true)
                ngx.sleep(0.01)
                ngx.say("second")
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request
GET /t
--- response_body
first
second
--- no_error_log
[error]



=== TEST 5: several requests and a HEAD on one HTTP/2 connection (curl), a static file and Lua
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        root html;
        location = /lua { content_by_lua_block { ngx.say("lua ", ngx.var.connection_requests) } }
    }
--- config
--- user_files
>>> a.txt
static
--- exec
curl -sk --http2 --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/a.txt https://test.com:$TEST_NGINX_SERVER_SSL_PORT/lua https://test.com:$TEST_NGINX_SERVER_SSL_PORT/lua
curl -skI --http2 --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/a.txt -o /dev/null -w '%{http_version} %{http_code} %{size_download}\n'
--- exec_out
static
lua 2
lua 3
2 200 0
--- request
GET /
--- error_code: 200



=== TEST 6: hop-by-hop response headers set by Lua are not sent over HTTP/2 (RFC 9113 8.2.2)
goresty only: nginx sends them, and curl then refuses the whole answer (PROTOCOL_ERROR).
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block {
                ngx.header["Keep-Alive"] = "timeout=5"
                ngx.header["Upgrade"] = "foo"
                ngx.header["X-Kept"] = "yes"
                ngx.say("ok")
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request
GET /t
--- response_headers
X-Kept: yes
!Keep-Alive
!Upgrade
--- response_body
ok
--- no_error_log
[error]



=== TEST 7: HTTP/2 in cleartext with prior knowledge ("listen ... http2" without ssl), a request body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.var.server_protocol, " ", ngx.var.scheme, " ", ngx.req.get_body_data())
        }
    }
--- http2
--- request
POST /t
hello
--- response_body
HTTP/2.0 http hello
--- no_error_log
[error]



=== TEST 8: the response goes out before the log phase over HTTP/2 too (log_by_lua waits for the client's mark)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block { ngx.say("hi") }
            log_by_lua_block {
                -- waits (up to 3 s) for the client's mark that it got the response
                local mark = ngx.config.prefix() .. "logs/got-response"
                local deadline = os.time() + 3
                local f
                repeat
                    f = io.open(mark)
                until f or os.time() > deadline
                if f then f:close() os.remove(mark) end
                ngx.log(ngx.WARN, "client had the response: ", f ~= nil)
            }
        }
    }
--- config
--- exec
curl -sk --http2 --resolve test.com:$TEST_NGINX_SERVER_SSL_PORT:127.0.0.1 https://test.com:$TEST_NGINX_SERVER_SSL_PORT/t && touch logs/got-response && for i in $(seq 100); do grep -q 'client had the response' logs/error.log && break; sleep 0.05; done
--- exec_out
hi
--- request
GET /
--- error_code: 200
--- error_log
client had the response: true
