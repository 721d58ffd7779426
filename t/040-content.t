# vim:set ft= ts=4 sw=4 et fdm=marker:
# content_by_lua*: output (ngx.say/print/flush/eof/exit/status/redirect),
# ngx.header, ngx.var, ngx.req.*, errors and their HTTP answers.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ngx.say and ngx.print with scalars, nil, booleans, ngx.null and nested array tables
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a", 1, " ", 2.5, " ", nil, " ", true, " ", false, " ", ngx.null)
            ngx.print({"x", {"y", 3}, "\n"})
            local ok = ngx.say()
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
a1 2.5 nil true false null
xy3

1
--- no_error_log
[error]



=== TEST 2: a bad argument to ngx.say is a Lua error (500)
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(function() end)
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/bad argument #1 to 'say' \(string, number, boolean, nil, ngx.null, or array table expected, got function\)|content_by_lua\(nginx\.conf:41\):2: bad argument #1/



=== TEST 3: ngx.status, ngx.header (multi-value, Content-Type, removal) and default_type
--- config
    location = /t {
        default_type application/json;
        content_by_lua_block {
            ngx.status = 201
            ngx.header["X-Multi"] = {"1", "2"}
            ngx.header.x_under = "u"
            ngx.header["X-Gone"] = "g"
            ngx.header["X-Gone"] = nil
            ngx.say(ngx.status, " ", ngx.header["x-under"], " ", type(ngx.header["X-Multi"]))
        }
    }
--- request
GET /t
--- error_code: 201
--- response_headers
Content-Type: application/json
X-Multi: 1, 2
X-Under: u
!X-Gone
--- response_body
201 u table



=== TEST 4: headers and status cannot change once the response went out
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("first")
            ngx.flush(true)
            ngx.header["X-Late"] = "1"
            ngx.status = 500
            ngx.say("second")
        }
    }
--- request
GET /t
--- response_headers
!X-Late
--- response_body
first
second
--- error_log
attempt to set ngx.header.HEADER after sending out response headers
attempt to set ngx.status after sending out response headers



=== TEST 5: ngx.exit with an error status sends the standard error page; ngx.exit(ngx.OK) ends the handler
--- config
    location = /403 {
        content_by_lua_block {
            ngx.exit(ngx.HTTP_FORBIDDEN)
            ngx.say("not reached")
        }
    }
    location = /ok {
        content_by_lua_block {
            ngx.say("before")
            ngx.exit(ngx.OK)
            ngx.say("not reached")
        }
    }
--- request eval
["GET /403", "GET /ok"]
--- error_code eval
[403, 200]
--- response_body_like eval
[qr{<head><title>403 Forbidden</title></head>}, qr{^before\n$}]



=== TEST 6: ngx.redirect, default 302 and an explicit 301
--- config
    location = /r1 { content_by_lua_block { ngx.redirect("/foo?a=1") } }
    location = /r2 { content_by_lua_block { ngx.redirect("http://example.com/", ngx.HTTP_MOVED_PERMANENTLY) } }
--- request eval
["GET /r1", "GET /r2"]
--- error_code eval
[302, 301]
--- response_headers eval
["Location: /foo?a=1", "Location: http://example.com/"]



=== TEST 7: ngx.redirect refuses other statuses
--- config
    location = /t { content_by_lua_block { ngx.redirect("/x", 200) } }
--- request
GET /t
--- error_code: 500
--- error_log
only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed



=== TEST 8: ngx.var built-ins
--- config
    location = /t {
        content_by_lua_block {
            local v = ngx.var
            ngx.say(v.uri, "|", v.args, "|", v.arg_b, "|", v.arg_none, "|", v.request_uri, "|",
                    v.request_method, "|", v.host, "|", v.scheme, "|", v.server_name, "|",
                    v.remote_addr, "|", v.http_x_foo, "|", v.server_protocol, "|", v.https)
        }
    }
--- request
GET /t?a=1&b=two
--- more_headers
X-Foo: bar
--- response_body
/t|a=1&b=two|two|nil|/t?a=1&b=two|GET|localhost|http|localhost|127.0.0.1|bar|HTTP/1.1|
--- no_error_log
[error]



=== TEST 9: set $var is writable from Lua; built-ins and unknown variables are not
--- config
    location = /t {
        set $mine "init";
        content_by_lua_block {
            ngx.say(ngx.var.mine)
            ngx.var.mine = "changed"
            ngx.say(ngx.var.mine)
            local ok, err = pcall(function() ngx.var.nosuch = "x" end)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like chomp
^init
changed
false .*variable "nosuch" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set \$nosuch '';" in the config file to define it first
$
--- no_error_log
[error]



=== TEST 10: ngx.req.get_uri_args: repeated keys, valueless keys, escapes
--- config
    location = /t {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            ngx.say(type(args.a), " ", args.a[1], ",", args.a[2], " ", tostring(args.flag), " ", args["x y"])
        }
    }
--- request
GET /t?a=1&a=2&flag&x%20y=%41
--- response_body
table 1,2 true A
--- no_error_log
[error]



=== TEST 11: ngx.req.get_headers (lower-case keys, underscores, repeated headers) and get_method / http_version
--- config
    location = /t {
        content_by_lua_block {
            local h = ngx.req.get_headers()
            ngx.say(h["x-one"], " ", h.x_one, " ", h["X-One"], " ", type(h["x-two"]), " ", h.host)
            ngx.say(ngx.req.get_method(), " ", ngx.req.http_version())
        }
    }
--- request
GET /t
--- more_headers
X-One: 1
X-Two: a
X-Two: b
--- response_body
1 1 1 table localhost
GET 1.1
--- no_error_log
[error]



=== TEST 12: ngx.req.read_body, get_body_data, get_post_args
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local args = ngx.req.get_post_args()
            ngx.say(ngx.req.get_body_data(), " ", args.a, " ", args.b)
        }
    }
--- request
POST /t
a=1&b=hello%20world
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_body
a=1&b=hello%20world 1 hello world
--- no_error_log
[error]



=== TEST 13: client_max_body_size: a larger body is refused with 413
--- config
    location = /t {
        client_max_body_size 4;
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("got ", ngx.req.get_body_data())
        }
    }
--- request
POST /t
0123456789
--- error_code: 413
--- error_log
client intended to send too large body: 10 bytes



=== TEST 14: content APIs are disabled in timers
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                local ok, err = pcall(ngx.say, "x")
                ngx.log(ngx.WARN, "timer say: ", err)
            end)
            ngx.sleep(0.05)
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- error_log
timer say: API disabled in the context of ngx.timer



=== TEST 15: no output gives an empty 200; ngx.eof ends the body
--- config
    location = /empty { content_by_lua_block { local x = 1 } }
    location = /eof {
        content_by_lua_block {
            ngx.say("a")
            ngx.eof()
            local ok, err = ngx.say("b")
            ngx.log(ngx.WARN, "after eof: ", err)
        }
    }
--- request eval
["GET /empty", "GET /eof"]
--- response_body eval
["", "a\n"]
--- no_error_log
[alert]



=== TEST 16: ngx.exec redirects internally to a location (with args) and to a named location
--- config
    location = /t {
        content_by_lua_block {
            if ngx.var.arg_named then
                return ngx.exec("@named")
            end
            ngx.exec("/target?a=1", {b = 2})
        }
    }
    location = /target {
        content_by_lua_block { ngx.say("target ", ngx.var.uri, " ", ngx.var.args) }
    }
    location @named {
        content_by_lua_block { ngx.say("named ", ngx.var.uri) }
    }
--- request eval
["GET /t", "GET /t?named=1"]
--- response_body eval
["target /target a=1&b=2\n", "named /t\n"]
--- no_error_log
[error]



=== TEST 17: a large body written in many pieces arrives whole
--- config
    location = /t {
        content_by_lua_block {
            local piece = string.rep("a", 99) .. "\n"
            for i = 1, 3000 do ngx.print(piece) end
            ngx.flush(true)
            ngx.say("end")
        }
    }
--- request
GET /t
--- response_body_filters
length
--- response_body chomp
300004



=== TEST 18: captures of a regex location: ngx.var[N], named captures, $N in return
--- config
    location ~ ^/cap/(\w+)/(?<rest>.*)$ {
        content_by_lua_block {
            ngx.say(ngx.var[1], " ", ngx.var[2], " ", ngx.var.rest, " ", tostring(ngx.var[3]))
        }
    }
    location ~ ^/ret/(\d+)$ { return 200 "num $1\n"; }
--- request eval
["GET /cap/abc/d/e", "GET /ret/42"]
--- response_body eval
["abc d/e d/e nil\n", "num 42\n"]
--- no_error_log
[error]



=== TEST 19: output and ngx.flush also work where the thread cannot yield (inside pcall)
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function()
                for i = 1, 1000 do ngx.print(string.rep("b", 99), "\n") end
                return ngx.flush(true)
            end)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_filters
length
--- response_body chomp
100007
--- no_error_log
[error]



=== TEST 20: error_log of a location: the handler's ngx.log/print lines, its failure and its timers' lines go to that log, with its level
--- config
    location = /own {
        error_log logs/loc.log info;
        content_by_lua_block {
            ngx.log(ngx.INFO, "own info line")
            ngx.log(ngx.DEBUG, "own debug line")
            print("own print line")
            ngx.timer.at(0, function() ngx.log(ngx.WARN, "own timer line") end)
            ngx.say("ok")
        }
    }
    location = /fail {
        error_log logs/loc.log info;
        content_by_lua_block {
            error("own failure")
        }
    }
--- exec
curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/own
curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fail
for i in $(seq 100); do grep -q 'own timer line' logs/loc.log && break; sleep 0.02; done
grep -q '\[info\] .*\[lua\] content_by_lua(nginx.conf:[0-9]*):2: own info line, client: 127.0.0.1, server: localhost, request: "GET /own HTTP/1.1", host: "127.0.0.1:' logs/loc.log && echo info
grep -q '\[notice\] .*\[lua\] content_by_lua(nginx.conf:[0-9]*):4: own print line' logs/loc.log && echo print
grep -q '\[warn\] .*own timer line, context: ngx.timer' logs/loc.log && echo timer
grep -q '\[error\] .*lua entry thread aborted: runtime error: content_by_lua(nginx.conf:[0-9]*):2: own failure' logs/loc.log && echo failure
grep -q 'own debug line' logs/loc.log || echo no debug
--- exec_out
ok
500
info
print
timer
failure
no debug
--- no_error_log
own info line
own debug line
own print line
own timer line
own failure



=== TEST 21: ngx.flush's argument: a boolean (wait) or none, as OpenResty checks it; more than one is refused
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(pcall(ngx.flush, "x"))
            ngx.say(pcall(ngx.flush, nil))
            ngx.say(pcall(ngx.flush, true, 2))
            ngx.say(pcall(function() ngx.flush({}) end))
            ngx.say(ngx.flush(false), " ", ngx.flush(true), " ", ngx.flush())
        }
    }
--- request
GET /t
--- response_body
falsebad argument #1 to '?' (boolean expected, got string)
falsebad argument #1 to '?' (boolean expected, got nil)
falseattempt to pass 2 arguments, but accepted 0 or 1
falsecontent_by_lua(nginx.conf:41):5: bad argument #1 to 'flush' (boolean expected, got table)
1 1 1
--- no_error_log
[error]
