# vim:set ft= ts=4 sw=4 et fdm=marker:
# header_filter_by_lua* and body_filter_by_lua*: on Lua output, static
# files, error pages; ngx.arg[1] / ngx.arg[2]; ngx.exit in a header filter;
# errors.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a header filter changes the status and headers of Lua output; a body filter rewrites it and appends at eof
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
            ngx.flush(true)
            ngx.say("world")
        }
        header_filter_by_lua_block {
            ngx.status = 201
            ngx.header["X-Filtered"] = "yes"
            ngx.header.content_length = nil
        }
        body_filter_by_lua_block {
            ngx.arg[1] = string.upper(ngx.arg[1])
            if ngx.arg[2] then
                ngx.arg[1] = ngx.arg[1] .. "END\n"
            end
        }
    }
--- request
GET /t
--- error_code: 201
--- response_headers
X-Filtered: yes
--- response_body
HELLO
WORLD
END



=== TEST 2: filters see static files and nginx's error pages
--- user_files
>>> hello.txt
hello file
--- config
    header_filter_by_lua_block {
        ngx.header["X-Status"] = ngx.status
        ngx.header.content_length = nil
    }
    body_filter_by_lua_block {
        ngx.arg[1] = string.gsub(ngx.arg[1], "hello", "HELLO")
    }
    location = /hello.txt {
    }
    location = /missing {
    }
--- request eval
["GET /hello.txt", "GET /missing"]
--- error_code eval
[200, 404]
--- response_body_like eval
[qr/^HELLO file\n\z/, qr/404 Not Found/]



=== TEST 3: ngx.arg[2] = true ends the body: what follows is dropped
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("first")
            ngx.say("second")
        }
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block {
            if ngx.arg[1] ~= "" then
                ngx.arg[1] = string.match(ngx.arg[1], "^[^\n]*\n")
                ngx.arg[2] = true
            end
        }
    }
--- request
GET /t
--- response_body
first
--- no_error_log
[error]



=== TEST 4: ngx.exit(403) in a header filter answers with nginx's 403 page
--- config
    location = /t {
        header_filter_by_lua_block {
            ngx.exit(403)
        }
        return 200 "hidden\n";
    }
--- request
GET /t
--- error_code: 403
--- response_body_like: 403 Forbidden
--- no_error_log
[error]



=== TEST 5: a Lua error in a header filter closes the connection without a response; logged with its traceback (no coroutine line, as OpenResty)
--- config
    location = /t {
        header_filter_by_lua_block {
            error("header filter failed")
        }
        return 200 "ok\n";
    }
--- request
GET /t
--- ignore_response
--- error_log eval
[qr/failed to run header_filter_by_lua\*: header_filter_by_lua\(nginx.conf:\d+\):2: header filter failed/,
 qr/^stack traceback:$/, qr/^\theader_filter_by_lua\(nginx.conf:\d+\):2: in main chunk/]
--- no_error_log
coroutine 0:



=== TEST 6: a Lua error in a body filter cuts the response short
--- config
    location = /t {
        body_filter_by_lua_block {
            error("body filter failed")
        }
        return 200 "ok\n";
    }
--- request
GET /t
--- ignore_response
--- error_log eval
[qr/failed to run body_filter_by_lua\*: body_filter_by_lua\(nginx.conf:\d+\):2: body filter failed/,
 qr/^stack traceback:$/, qr/^\tbody_filter_by_lua\(nginx.conf:\d+\):2: in main chunk/]
--- no_error_log
coroutine 0:



=== TEST 7: ngx.arg[1] takes a table of strings; nil empties the piece
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a")
            ngx.flush(true)
            ngx.say("b")
        }
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block {
            if ngx.arg[1] == "a\n" then
                ngx.arg[1] = {"x", "y", "\n"}
            elseif ngx.arg[1] == "b\n" then
                ngx.arg[1] = nil
            end
        }
    }
--- request
GET /t
--- response_body
xy
--- no_error_log
[error]



=== TEST 8: the pieces a body filter sees on a static file (goresty; a documented difference): the data, then an empty last piece
--- user_files
>>> hello.txt
hello file
--- config
    body_filter_by_lua_block {
        ngx.log(ngx.WARN, "piece [", (ngx.arg[1]:gsub("\n", "|")), "] eof ", ngx.arg[2])
    }
    location = /hello.txt {
    }
--- request
GET /hello.txt
--- grep_error_log eval
qr/piece \[[^\]]*\] eof \w+/
--- grep_error_log_out
piece [hello file|] eof false
piece [] eof true



=== TEST 9: the pieces a body filter sees on Lua output (goresty; a documented difference): one piece per flush or end of the handler
--- config
    body_filter_by_lua_block {
        ngx.log(ngx.WARN, "piece [", (ngx.arg[1]:gsub("\n", "|")), "] eof ", ngx.arg[2])
    }
    location = /c {
        content_by_lua_block {
            ngx.say("a")
            ngx.say("b")
            ngx.flush()
            ngx.say("c")
        }
    }
--- request
GET /c
--- grep_error_log eval
qr/piece \[[^\]]*\] eof \w+/
--- grep_error_log_out
piece [a|b|] eof false
piece [c|] eof false
piece [] eof true
