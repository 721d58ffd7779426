# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.location.capture / capture_multi: subrequests to locations of the
# same server, answered in memory; allowed in rewrite, access and content;
# read_body/get_body_data in rewrite and access, get_body_data in log.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: capture: status, header and body of a Lua location, with args and a POST body
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.status = 201
            ngx.header["X-Sub"] = ngx.var.arg_a
            ngx.say(ngx.req.get_method(), " a=", ngx.var.arg_a, " body=", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/sub?a=1", { method = ngx.HTTP_POST, body = "hello" })
            ngx.print(res.status, " ", res.header["X-Sub"], " ", res.body)
        }
    }
--- request
GET /t
--- response_body
201 1 POST a=1 body=hello
--- no_error_log
[error]



=== TEST 2: capture_multi runs the subrequests together; a missing location is a 404; static files
--- user_files
>>> hello.txt
hello file
--- config
    location = /slow {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.print("slow")
        }
    }
    location = /hello.txt {
    }
    location = /t {
        rewrite_by_lua_block {
            local start = ngx.now()
            local a, b, c = ngx.location.capture_multi({ {"/slow"}, {"/slow"}, {"/hello.txt"} })
            ngx.update_time()
            ngx.say(a.status, " ", a.body, " ", b.body, " ", c.status, " ", c.body, "parallel: ", ngx.now() - start < 0.09)
            local d = ngx.location.capture("/nowhere")
            ngx.say(d.status)
        }
    }
--- request
GET /t
--- response_body
200 slow slow 200 hello file
parallel: true
404
--- error_log
request: "GET /t HTTP/1.1", subrequest: "/nowhere"



=== TEST 3: read_body in access_by_lua*, the body seen by content and by log_by_lua*
--- config
    location = /t {
        access_by_lua_block {
            ngx.req.read_body()
            ngx.ctx.len = #(ngx.req.get_body_data() or "")
        }
        content_by_lua_block {
            ngx.say("access read ", ngx.ctx.len, ", content sees ", ngx.req.get_body_data())
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "log sees ", ngx.req.get_body_data())
        }
    }
--- request
POST /t
hello body
--- response_body
access read 10, content sees hello body
--- error_log
log sees hello body



=== TEST 4: ngx.req.is_internal: false for the client's request, true in a subrequest and after ngx.exec
--- config
    location = /sub {
        content_by_lua_block {
            ngx.print("sub ", ngx.req.is_internal())
        }
    }
    location = /target {
        content_by_lua_block {
            ngx.say("exec'd ", ngx.req.is_internal())
        }
    }
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.main = ngx.req.is_internal()
        }
        content_by_lua_block {
            ngx.say("main ", ngx.ctx.main, ", ", ngx.location.capture("/sub").body)
            if ngx.var.arg_exec then
                return ngx.exec("/target")
            end
        }
    }
    location = /e {
        content_by_lua_block {
            ngx.exec("/target")
        }
    }
--- request eval
["GET /t", "GET /e"]
--- response_body eval
["main false, sub true\n", "exec'd true\n"]
--- no_error_log
[error]
