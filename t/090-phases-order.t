# vim:set ft= ts=4 sw=4 et fdm=marker:
# The request phases around content: set_by_lua*, rewrite_by_lua*,
# access_by_lua*, header_filter_by_lua*, body_filter_by_lua*, log_by_lua*:
# their order in one request, ngx.ctx shared by all of them, values
# returned into variables, *_no_postpone, what ngx.exit / ngx.redirect /
# ngx.exec do in each, errors.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: every phase of one request runs once, in nginx's order, sharing ngx.ctx
--- config
    location = /t {
        set_by_lua_block $v {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase())
            return "from set"
        }
        rewrite_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase())
            ngx.ctx.seen = "rewrite"
        }
        access_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase())
            ngx.ctx.seen = ngx.ctx.seen .. ",access"
        }
        content_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase())
            ngx.ctx.seen = ngx.ctx.seen .. ",content"
            ngx.say(ngx.var.v, " ", ngx.ctx.seen)
        }
        header_filter_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase())
            ngx.header["X-Seen"] = ngx.ctx.seen
        }
        body_filter_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase(), " eof=", ngx.arg[2])
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "ran phase: ", ngx.get_phase(), " ctx=", ngx.ctx.seen, " status=", ngx.status)
        }
    }
--- request
GET /t
--- response_body
from set rewrite,access,content
--- grep_error_log eval: qr/ran phase: \w+( eof=\w+| ctx=[\w,]+ status=\d+)?/
--- grep_error_log_out
ran phase: set
ran phase: rewrite
ran phase: access
ran phase: content
ran phase: header_filter
ran phase: body_filter eof=false
ran phase: body_filter eof=true
ran phase: log ctx=rewrite,access,content status=200



=== TEST 2: set_by_lua_block returns into a variable in order with set; numbers, nil and tables
--- config
    location = /t {
        set $a "one";
        set_by_lua_block $b { return ngx.var.a .. "+two" }
        set $c "$b+three";
        set_by_lua_block $n { return 3.5 }
        set_by_lua_block $z { return nil }
        set_by_lua_block $tb { return {} }
        return 200 "$c [$n] [$z] [$tb]\n";
    }
--- request
GET /t
--- response_body
one+two+three [3.5] [] []
--- no_error_log
[error]



=== TEST 3: rewrite_by_lua* runs after the rewrite module's directives by default
--- config
    location = /t {
        set $a "[$b]";
        rewrite_by_lua_block {
            ngx.var.b = "lua"
        }
        content_by_lua_block {
            ngx.say(ngx.var.a, " ", ngx.var.b)
        }
        set $b "";
    }
--- request
GET /t
--- response_body
[] lua
--- no_error_log
[error]



=== TEST 4: rewrite_by_lua_no_postpone on: rewrite_by_lua* runs before them
--- http_config
    rewrite_by_lua_no_postpone on;
--- config
    location = /t {
        set $a "[$b]";
        rewrite_by_lua_block {
            ngx.var.b = "lua"
        }
        content_by_lua_block {
            ngx.say(ngx.var.a, " ", ngx.var.b)
        }
        set $b "";
    }
--- request
GET /t
--- response_body
[lua] 
--- no_error_log
[error]



=== TEST 5: a return of the rewrite module ends the rewrite phase before rewrite_by_lua*
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.log(ngx.ERR, "must not run")
        }
        return 200 "returned\n";
    }
--- request
GET /t
--- response_body
returned
--- no_error_log
[error]



=== TEST 6: rewrite and access may yield; ngx.exit(ngx.OK) in rewrite goes on; ngx.exit(403) in access answers
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.sleep(0.001)
            ngx.ctx.slept = true
            ngx.exit(ngx.OK)
        }
        access_by_lua_block {
            ngx.sleep(0.001)
            ngx.log(ngx.WARN, "access after rewrite slept: ", ngx.ctx.slept)
            ngx.exit(ngx.HTTP_FORBIDDEN)
        }
        content_by_lua_block {
            ngx.say("must not run")
        }
    }
--- request
GET /t
--- error_code: 403
--- error_log
access after rewrite slept: true



=== TEST 7: output in rewrite_by_lua* ends the request there (no content phase)
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.say("from rewrite")
        }
        content_by_lua_block {
            ngx.say("from content")
        }
    }
--- request
GET /t
--- response_body
from rewrite
--- no_error_log
[error]



=== TEST 8: ngx.redirect in rewrite_by_lua*, ngx.exec in access_by_lua*
--- config
    location = /t {
        rewrite_by_lua_block {
            if ngx.var.arg_r then
                return ngx.redirect("/elsewhere", 301)
            end
        }
        access_by_lua_block {
            ngx.exec("/target", "x=1")
        }
    }
    location = /target {
        content_by_lua_block {
            ngx.say("target ", ngx.var.args, " ctx.a=", ngx.ctx.a)
        }
    }
--- request eval
["GET /t?r=1", "GET /t"]
--- error_code eval
[301, 200]
--- response_body_like eval
[qr/301 Moved Permanently/, qr/^target x=1 ctx.a=nil$/]



=== TEST 9: a Lua error in rewrite_by_lua* is a 500, logged with chunk:line
--- config
    location = /t {
        rewrite_by_lua_block {
            local x = nil
            error("rewrite failed")
        }
        content_by_lua_block { ngx.say("must not run") }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/lua entry thread aborted: runtime error: rewrite_by_lua\(nginx.conf:\d+\):3: rewrite failed/



=== TEST 9b: a Lua error in access_by_lua* is a 500, logged with chunk:line
--- config
    location = /t {
        access_by_lua_block {
            error("access failed")
        }
        content_by_lua_block { ngx.say("must not run") }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/lua entry thread aborted: runtime error: access_by_lua\(nginx.conf:\d+\):2: access failed/



=== TEST 10: a Lua error in set_by_lua* is a 500
--- config
    location = /t {
        set_by_lua_block $v {
            error("set failed")
        }
        return 200 "v=$v";
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to run set_by_lua\*: set_by_lua\(nginx.conf:\d+\):2: set failed/



=== TEST 11: a Lua error in log_by_lua* is logged "while logging request"; the response is untouched
--- config
    location = /t {
        log_by_lua_block {
            error("log failed")
        }
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/failed to run log_by_lua\*: log_by_lua\(nginx.conf:\d+\):2: log failed/



=== TEST 12: handlers written in server are inherited by its locations; a location's own one wins
--- config
    rewrite_by_lua_block {
        ngx.ctx.by = "server"
    }
    location = /t {
        content_by_lua_block { ngx.say("rewrite by ", ngx.ctx.by) }
    }
    location = /own {
        rewrite_by_lua_block {
            ngx.ctx.by = "location"
        }
        content_by_lua_block { ngx.say("rewrite by ", ngx.ctx.by) }
    }
--- request eval
["GET /t", "GET /own"]
--- response_body eval
["rewrite by server\n", "rewrite by location\n"]
--- no_error_log
[error]



=== TEST 13: the string forms; set_by_lua passes its extra arguments as ngx.arg
--- config
    location = /t {
        set_by_lua $y 'return ngx.arg[1] .. "+" .. ngx.arg[2]' $arg_a $arg_b;
        rewrite_by_lua 'ngx.ctx.r = "rewrite"';
        access_by_lua 'ngx.ctx.a = "access"';
        header_filter_by_lua 'ngx.header["X-Y"] = ngx.var.y';
        log_by_lua 'ngx.log(ngx.WARN, "logged ", ngx.var.y)';
        content_by_lua 'ngx.say(ngx.var.y, " ", ngx.ctx.r, " ", ngx.ctx.a)';
    }
--- request
GET /t?a=1&b=2
--- response_body
1+2 rewrite access
--- error_log
logged 1+2
