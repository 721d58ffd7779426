# vim:set ft= ts=4 sw=4 et fdm=marker:
# *_by_lua_file paths with nginx variables (regex captures, $arg_*, set
# variables), expanded per request and rebased on the prefix as OpenResty
# does for the request phases only; lua_need_request_body.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: content_by_lua_file with a regex capture, rewrite and log files chosen by arguments
--- config
    location ~ ^/lua/(\w+)$ {
        set $dir html;
        rewrite_by_lua_file $dir/rw_$arg_rw.lua;
        content_by_lua_file $dir/$1.lua;
        log_by_lua_file ${dir}/log_$arg_rw.lua;
    }
--- user_files
>>> hello.lua
ngx.say("hello ", ngx.ctx.rw, " ", ngx.var.arg_rw)
>>> bye.lua
ngx.say("bye")
>>> rw_a.lua
ngx.ctx.rw = "from rw_a"
>>> log_a.lua
ngx.log(ngx.WARN, "logged from the log file of ", ngx.var.uri)
--- request
GET /lua/hello?rw=a
--- response_body
hello from rw_a a
--- error_log
logged from the log file of /lua/hello



=== TEST 2: a file that does not exist is a 404 with OpenResty's line; the log phase's is logged
--- config
    location ~ ^/lua/(\w+)$ {
        content_by_lua_file html/$1.lua;
        log_by_lua_file html/log_$1.lua;
    }
--- request
GET /lua/nope
--- error_code: 404
--- error_log eval
[qr/\[error\] .*failed to load external Lua file "\/\S+\/html\/nope\.lua": cannot open \/\S+\/html\/nope\.lua: No such file or directory/,
qr/\[error\] .*failed to load external Lua file "\/\S+\/html\/log_nope\.lua": cannot open/]



=== TEST 3: set_by_lua_file and access_by_lua_file with variables; an absolute expanded path stays as it is
--- config
    location = /t {
        set_by_lua_file $res $document_root/set_$arg_op.lua $arg_a $arg_b;
        access_by_lua_file $document_root/acc.lua;
        content_by_lua_block { ngx.say(ngx.var.res, " ", ngx.ctx.acc) }
    }
--- user_files
>>> set_add.lua
return ngx.arg[1] + ngx.arg[2]
>>> acc.lua
ngx.ctx.acc = "access ran"
--- request
GET /t?op=add&a=3&b=4
--- response_body
7 access ran
--- no_error_log
[error]



=== TEST 4: outside the request phases the path is taken as written, $ and all
--- http_config
    init_worker_by_lua_file html/$w.lua;
--- config
    location = /t {
        content_by_lua_block { ngx.say(worker_loaded) }
    }
--- user_files
>>> $w.lua
worker_loaded = "from the file named $w.lua"
--- request
GET /t
--- response_body
from the file named $w.lua
--- no_error_log
[error]



=== TEST 5: lua_need_request_body reads the body before rewrite_by_lua*: get_body_data and $request_body without read_body
--- config
    location = /t {
        lua_need_request_body on;
        rewrite_by_lua_block { ngx.ctx.early = ngx.req.get_body_data() }
        content_by_lua_block { ngx.say(ngx.ctx.early, "|", ngx.var.request_body) }
    }
    location = /off {
        content_by_lua_block { ngx.say(ngx.req.get_body_data()) }
    }
--- pipelined_requests eval
["POST /t\nhello body", "POST /off\nnot read"]
--- response_body eval
["hello body|hello body\n", "nil\n"]
--- no_error_log
[error]



=== TEST 6: lua_need_request_body in http applies to the locations; a body past client_max_body_size is a 413 before Lua
--- http_config
    lua_need_request_body on;
--- config
    location = /t {
        client_max_body_size 4;
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
POST /t
0123456789
--- error_code: 413
--- error_log
client intended to send too large body: 10 bytes
