# vim:set ft= ts=4 sw=4 et fdm=marker:
# The ngx.req functions that change the request for later phases and
# proxy_pass: set_method, set_uri (and its location jump), set_uri_args,
# set_body_data, set_body_file, init_body / append_body / finish_body.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: method, URI, arguments and body changed in rewrite_by_lua reach proxy_pass
--- config
    location /echo/ {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.var.uri, "?", ngx.var.args, " [", ngx.req.get_body_data(), "]")
        }
    }
    location = /t {
        rewrite_by_lua_block {
            ngx.req.read_body()
            ngx.req.set_method(ngx.HTTP_PUT)
            ngx.req.set_uri("/echo/x")
            ngx.req.set_uri_args({b = "x y"})
            ngx.req.set_body_data("new body")
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- request
POST /t?old=1
old body
--- response_body
PUT /echo/x?b=x%20y [new body]
--- no_error_log
[error]



=== TEST 2: set_uri with jump searches the locations again; the new location's content runs
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_uri("/other", true)
            ngx.log(ngx.ERR, "not reached")
        }
        content_by_lua_block { ngx.say("old location") }
    }
    location = /other {
        content_by_lua_block { ngx.say("other: ", ngx.var.uri, " ", ngx.var.args) }
    }
--- request
GET /t?a=b
--- response_body
other: /other a=b
--- no_error_log
[error]



=== TEST 3: init_body, append_body and finish_body build a new body; set_body_file reads a file
--- config
    location /echo/ {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
    location = /t {
        access_by_lua_block {
            ngx.req.read_body()
            ngx.req.init_body()
            ngx.req.append_body("one,")
            ngx.req.append_body("two")
            ngx.req.finish_body()
            ngx.req.set_uri("/echo/")
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
    location = /f {
        access_by_lua_block {
            ngx.req.read_body()
            ngx.req.set_body_file(ngx.config.prefix() .. "html/body.txt")
            ngx.req.set_uri("/echo/")
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- user_files
>>> body.txt
from the file
--- pipelined_requests eval
["POST /t\nclient body", "POST /f\nclient body"]
--- response_body eval
["one,two\n", "from the file\n\n"]
--- no_error_log
[error]



=== TEST 4: OpenResty's errors
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(select(2, pcall(ngx.req.set_method, 12345)))
            ngx.say(select(2, pcall(ngx.req.set_uri, "")))
            ngx.say(select(2, pcall(ngx.req.set_uri, "/x", true)))
            ngx.say(select(2, pcall(ngx.req.set_body_data, "x")))
            ngx.say(select(2, pcall(ngx.req.append_body, "x")))
        }
    }
--- request
GET /t
--- response_body
unsupported HTTP method: 12345
attempt to use zero-length uri
API disabled in the context of content_by_lua*
request body not read yet
request_body not initialized
--- no_error_log
[error]
