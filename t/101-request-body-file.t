# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.read_body keeps a body past client_body_buffer_size (default 16k)
# in a temporary file under client_body_temp_path, as nginx: get_body_data
# is nil then and get_body_file names the file (removed after the request);
# client_body_in_file_only on|clean always uses a file (and says nothing).
# As ngx_lua's read_body asks nginx for a clean file, the file is removed
# after the request in every case.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a body past the buffer goes to a file; get_body_data is nil; get_post_args refuses it
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local file = ngx.req.get_body_file()
            local f = assert(io.open(file))
            local data = f:read("*a")
            f:close()
            ngx.say("data: ", ngx.req.get_body_data())
            ngx.say("file: ", file:match("/%d%d%d%d%d%d%d%d%d%d$") ~= nil, " ", #data, " ", data:sub(1, 3))
            ngx.say(ngx.req.get_post_args())
        }
    }
--- request eval
"POST /t\n" . ("a=b&" x 5000)
--- response_body
data: nil
file: true 20000 a=b
nilrequest body in temp file not supported
--- error_log eval
qr/\[warn\] .*a client request body is buffered to a temporary file \S+\/\d{10},/



=== TEST 2: a body within client_body_buffer_size stays in memory
--- config
    client_body_buffer_size 1k;
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(#ngx.req.get_body_data(), " ", ngx.req.get_body_file())
        }
    }
--- request eval
"POST /t\n" . ("a" x 1024)
--- response_body
1024 nil
--- no_error_log
[warn]



=== TEST 3: client_body_in_file_only clean: always a file (no warning), removed after the request; client_body_temp_path with levels
--- config
    client_body_in_file_only clean;
    client_body_temp_path $TEST_NGINX_SERVER_ROOT/body 1 2;
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local file = ngx.req.get_body_file()
            ngx.say(ngx.req.get_body_data(), " ", file:match("/body/%d/%d%d/%d+$") ~= nil)
            local dir, last = file:match("(.*)/(%d+)$")
            ngx.say(last:sub(-1) == dir:match("/body/(%d)/"), " ", last:sub(-3, -2) == dir:match("/(%d%d)$"))
        }
    }
--- request
POST /t
hello
--- response_body
nil true
true true
--- no_error_log
[warn]



=== TEST 4: client_body_in_file_only on: a file, removed after the request all the same
--- config
    client_body_in_file_only on;
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.shared.files:set("last", ngx.req.get_body_file())
            ngx.say("ok")
        }
    }
    location = /check {
        content_by_lua_block {
            local f = io.open(ngx.shared.files:get("last"))
            ngx.say(f and f:read("*a") or "gone")
        }
    }
--- http_config
    lua_shared_dict files 1m;
--- request eval
["POST /t\nhello", "GET /check"]
--- response_body eval
["ok\n", "gone\n"]
--- no_error_log
[warn]



=== TEST 5: the file is removed after a request that went on through ngx.exec
--- config
    client_body_in_file_only clean;
    location = /t {
        rewrite_by_lua_block {
            ngx.req.read_body()
            ngx.shared.files:set("last", ngx.req.get_body_file())
            ngx.exec("/next")
        }
    }
    location = /next {
        content_by_lua_block {
            ngx.say("next")
        }
    }
    location = /check {
        content_by_lua_block {
            local f = io.open(ngx.shared.files:get("last"))
            ngx.say(f and f:read("*a") or "gone")
        }
    }
--- http_config
    lua_shared_dict files 1m;
--- request eval
["POST /t\nhello", "GET /check"]
--- response_body eval
["next\n", "gone\n"]
--- no_error_log
[error]
