# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.on_abort and lua_check_client_abort: when the client closes the
# connection, the handler runs as a user thread of the running phase (the
# request goes on unless it calls ngx.exit); with no handler the phase ends
# at once with 499. Without the directive on_abort says so.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the handler runs when the client goes; ngx.exit(499) there ends the request
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.on_abort(function ()
                ngx.log(ngx.WARN, "on abort called, phase ", ngx.get_phase())
                ngx.exit(499)
            end)
            if not ok then
                error("cannot set on_abort: " .. err)
            end
            ngx.sleep(2)
            ngx.log(ngx.WARN, "main continued")
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "log phase, status ", ngx.status)
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.3
--- error_log
on abort called, phase content
log phase, status 499
--- no_error_log
main continued



=== TEST 2: no handler: the phase ends at once with 499
--- config
    lua_check_client_abort on;
    location = /t {
        rewrite_by_lua_block {
            ngx.sleep(2)
            ngx.log(ngx.WARN, "rewrite continued")
        }
        content_by_lua_block {
            ngx.log(ngx.WARN, "content ran")
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "log phase, status ", ngx.status)
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.3
--- error_log
client prematurely closed connection
log phase, status 499
--- no_error_log
rewrite continued
content ran



=== TEST 3: a handler that does not exit: the request goes on
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.on_abort(function ()
                ngx.log(ngx.WARN, "on abort called")
            end)
            ngx.sleep(0.5)
            ngx.log(ngx.WARN, "main continued")
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.8
--- error_log
on abort called
main continued
--- no_error_log
[error]



=== TEST 4: lua_check_client_abort off (the default): "lua_check_client_abort is off"; twice: "duplicate call"
--- config
    location = /off {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function () end))
        }
    }
    location = /on {
        lua_check_client_abort on;
        content_by_lua_block {
            ngx.say(ngx.on_abort(function () end))
            ngx.say(ngx.on_abort(function () end))
            ngx.say(ngx.on_abort())
        }
    }
--- request eval
["GET /off", "GET /on"]
--- response_body eval
["nillua_check_client_abort is off\n", "1\nnilduplicate call\nnilduplicate call\n"]
--- no_error_log
[error]
