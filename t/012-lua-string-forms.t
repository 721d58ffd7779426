# vim:set ft= ts=4 sw=4 et fdm=marker:
# The string forms of the Lua phase directives (content_by_lua '...',
# init_by_lua '...', init_worker_by_lua '...'): nginx's quoting and escapes,
# OpenResty's chunk names (the line of the directive's ";"), duplicates
# across forms, and the phases that have no string form.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: content_by_lua with single and double quotes and nginx's escapes
--- config
    location = /t {
        content_by_lua 'ngx.say(\'it\\\'s\', " ", "tab[\t]") ngx.say("\\"q\\"")';
    }
    location = /u {
        content_by_lua "ngx.say('a;b{c}', \"-\", [[#not a comment]])";
    }
--- request eval
["GET /t", "GET /u"]
--- response_body eval
["it's tab[\t]\n\"q\"\n", "a;b{c}-#not a comment\n"]



=== TEST 2: init_by_lua and init_worker_by_lua strings run, over several lines
--- http_config
    init_by_lua '
        greeting = "hello"
    ';
    init_worker_by_lua "
        worker_greeting = greeting .. ' worker'
    ";
--- config
    location = /t {
        content_by_lua 'ngx.say(greeting, ", ", worker_greeting)';
    }
--- request
GET /t
--- response_body
hello, hello worker



=== TEST 3: a Lua error in a string form names the chunk after the line of its ";"
--- config
    location = /t {
        content_by_lua
            '
            error("boom")
            ';
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/content_by_lua\(nginx\.conf:44\):2: boom/



=== TEST 4: a string form and a block at one level are duplicates
--- config
    location = /t {
        content_by_lua_block { ngx.say(1) }
        content_by_lua 'ngx.say(2)';
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"content_by_lua" directive is duplicate in \S+nginx\.conf:42/



=== TEST 5: an empty string is refused as OpenResty refuses it
--- config
    location = /t {
        content_by_lua '';
    }
--- must_die
--- error_log eval
qr/\[(?:emerg|error)\] .*invalid location config: no runnable Lua code in \S+nginx\.conf:41/



=== TEST 6: the session hooks have no string form (as in OpenResty)
--- http_config
    ssl_session_fetch_by_lua 'print(1)';
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown directive "ssl_session_fetch_by_lua" in \S+nginx\.conf:25/



=== TEST 7: content_by_lua is a location directive
--- config
    content_by_lua 'ngx.say(1)';
--- must_die
--- error_log eval
qr/\[emerg\] .*"content_by_lua" directive is not allowed here in \S+nginx\.conf:40/
