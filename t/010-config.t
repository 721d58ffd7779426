# vim:set ft= ts=4 sw=4 et fdm=marker:
# Configuration: nginx syntax, raw Lua blocks, the directive table (contexts,
# arity, duplicates) and nginx's [emerg] wording with file:line.
# With empty main_config/http_config, the first line of --- config is
# nginx.conf:40, of --- http_config nginx.conf:25, of --- main_config :16.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the Test::Nginx skeleton parses; braces inside Lua strings, comments and long brackets do not end a block
--- http_config
    init_by_lua_block {
        -- a } in a comment, --[[ } ]] and [==[ ]] } ]==]
        braces = "}" .. '{' .. [[}]] .. [=[ ]] } ]=]
    }
--- config
    location = /t {
        content_by_lua_block {
            local t = { { "}" }, [[ } ]] }
            ngx.say(braces, " ", #t, " ", t[1][1])
        }
    }
--- request
GET /t
--- response_body
}{} ]] }  2 }
--- no_error_log
[error]



=== TEST 2: a Lua error names the chunk after the line of its "{" (OpenResty's chunk names)
--- config
    location = /t {
        content_by_lua_block {
            error("boom")
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/content_by_lua\(nginx\.conf:41\):2: boom/



=== TEST 3: ssl_session_store_by_lua_block is not allowed in server
--- config
    ssl_session_store_by_lua_block {
        print("x")
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"ssl_session_store_by_lua_block" directive is not allowed here in \S+nginx\.conf:40/



=== TEST 4: ssl_session_fetch_by_lua_block is not allowed in location
--- config
    location /t {
        ssl_session_fetch_by_lua_block { }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"ssl_session_fetch_by_lua_block" directive is not allowed here in \S+nginx\.conf:41/



=== TEST 5: ssl_session_store_by_lua_file and ssl_session_fetch_by_lua_file are http-only too
--- config
    ssl_session_fetch_by_lua_file html/fetch.lua;
--- must_die
--- error_log eval
qr/\[emerg\] .*"ssl_session_fetch_by_lua_file" directive is not allowed here in \S+nginx\.conf:40/



=== TEST 6: a second store hook is a duplicate (block, then file)
--- user_files
>>> store.lua
print("store")
--- http_config
    ssl_session_store_by_lua_block { print("store") }
    ssl_session_store_by_lua_file html/store.lua;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*(?:"ssl_session_store_by_lua_file" directive )?is duplicate in \S+nginx\.conf:26/



=== TEST 7: unknown directive
--- config
    location /t {
        no_such_directive on;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown directive "no_such_directive" in \S+nginx\.conf:41/



=== TEST 8: invalid number of arguments
--- config
    server_name;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "server_name" directive in \S+nginx\.conf:40/



=== TEST 9: a directive written twice at one level is a duplicate (the skeleton sets client_max_body_size)
--- config
    client_max_body_size 1m;
--- must_die
--- error_log eval
qr/\[emerg\] .*"client_max_body_size" directive is duplicate in \S+nginx\.conf:40/



=== TEST 10: unexpected "}"
--- main_config
}
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*unexpected "\}" in \S+nginx\.conf:16/



=== TEST 11: an unterminated string runs to the end of the file
--- config
    set $a "oops;
--- must_die
--- error_log eval
qr/\[emerg\] .*unexpected end of file, expecting ";" or "\}" in \S+nginx\.conf:\d+/



=== TEST 12: a block directive without "{"
--- config
    location /x;
--- must_die
--- error_log eval
qr/\[emerg\] .*directive "location" has no opening "\{" in \S+nginx\.conf:40/



=== TEST 13: a simple directive followed by a block
--- config
    server_tokens off { }
--- must_die
--- error_log eval
qr/\[emerg\] .*directive "server_tokens" is not terminated by ";" in \S+nginx\.conf:40/



=== TEST 14: on/off values
--- config
    ssl_session_tickets maybe;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "maybe" in "ssl_session_tickets" directive, it must be "on" or "off" in \S+nginx\.conf:40/



=== TEST 15: invalid size
--- http_config
    lua_shared_dict dogs 10x;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid lua shared dict size "10x" in \S+nginx\.conf:25/



=== TEST 16: invalid time
--- config
    keepalive_timeout 5q;
--- must_die
--- error_log eval
qr/\[emerg\] .*"keepalive_timeout" directive invalid value in \S+nginx\.conf:40/



=== TEST 17: sizes and times in every unit nginx knows are accepted
--- http_config
    lua_shared_dict dogs 1m;
    lua_shared_dict cats 64k;
    lua_socket_read_timeout 68000ms;
    resolver_timeout 1h;
    ssl_session_timeout 1d;
--- config
    client_body_buffer_size 16k;
    location = /t {
        lua_socket_connect_timeout 1s;
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:capacity(), " ", ngx.shared.cats:capacity())
        }
    }
--- request
GET /t
--- response_body
1048576 65536
--- no_error_log
[error]



=== TEST 18: include of a missing file
--- config
    include nothere.conf;
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) "\S+\/conf\/nothere\.conf" failed \(2: No such file or directory\) in \S+nginx\.conf:40/



=== TEST 19: include with a glob and a path relative to the conf directory
--- user_files
>>> ../conf/extra/a.conf
location = /a { return 200 "a\n"; }
>>> ../conf/extra/b.conf
location = /b { return 200 "b\n"; }
--- config
    include extra/*.conf;
--- request eval
["GET /a", "GET /b"]
--- response_body eval
["a\n", "b\n"]
--- no_error_log
[error]



=== TEST 20: include loop (goresty; nginx recurses until it runs out of files)
--- config
    include nginx.conf;
--- must_die
--- error_log eval
qr/\[emerg\] .*include loop: "\S+\/conf\/nginx\.conf" is already being included in \S+nginx\.conf:40|\[emerg\]/



=== TEST 21: a missing certificate fails the start
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/nope.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/nope.key;
    }
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*nope\.crt/



=== TEST 22: a missing hook file fails the start (goresty; OpenResty only notices on the first handshake)
--- http_config
    ssl_session_fetch_by_lua_file html/nope.lua;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) "\S+\/html\/nope\.lua" failed \(2: No such file or directory\) in \S+nginx\.conf:25/



=== TEST 23: listen with a bad port
--- http_config
    server { listen 99999; }
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid port in "99999" of the "listen" directive in \S+nginx\.conf:25/



=== TEST 24: ssl_session_cache syntax
--- config
    ssl_session_cache shared:SSL;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid session cache "shared:SSL" in \S+nginx\.conf:40/



=== TEST 25: nested prefix locations must stay inside their parent
--- config
    location /a {
        location /b { }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*location "\/b" is outside location "\/a" in \S+nginx\.conf:41/



=== TEST 26: quoted strings with nginx escapes and $variables in set
--- config
    location = /t {
        set $who 'wor\'ld';
        set $msg "hello, \"$who\"";
        content_by_lua_block {
            ngx.say(ngx.var.msg)
        }
    }
--- request
GET /t
--- response_body
hello, "wor'ld"
--- no_error_log
[error]



=== TEST 27: an unterminated Lua block
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("}"
--- must_die
--- error_log eval
qr/\[emerg\] .*unexpected end of file, expecting terminating characters for lua code block in \S+nginx\.conf:41|\[emerg\] .*nginx\.conf/
