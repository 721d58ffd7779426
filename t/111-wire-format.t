# goresty only: where goresty's HTTP/1.1 responses are framed as Go's net/http
# frames them, not as nginx (a difference listed in README): a short Lua
# response gets a Content-Length (nginx: chunked), a keep-alive answer
# carries no "Connection: keep-alive" (HTTP/1.1's default), and the header
# fields are sorted by name. All three are valid HTTP/1.1; the lean loop
# reproduces net/http's bytes (httpserver/lean_test.go).

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: a short content_by_lua answer has a Content-Length, not chunked
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
Content-Length: 3
!Transfer-Encoding
--- response_body
ok
--- no_error_log
[error]



=== TEST 2: a keep-alive answer has no "Connection: keep-alive"; header fields come sorted by name
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-B"] = "2"
            ngx.header["X-A"] = "1"
            ngx.say("ok")
        }
    }
--- exec
curl -si http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t | tr -d '\r' | grep -i -e '^connection:' -e '^x-'
--- exec_out
X-A: 1
X-B: 2
--- request
GET /t
--- error_code: 200



=== TEST 3: a long one (over 2 KB, net/http's buffer) is chunked, as nginx's
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.rep("x", 5000))
        }
    }
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body eval
"x" x 5000
--- no_error_log
[error]
