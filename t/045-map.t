# vim:set ft= ts=4 sw=4 et fdm=marker:
# map: exact strings (ignoring case), regexes in order, the default, values
# with variables; usable in return, add_header and ngx.var.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: exact, regex, default, a value with a variable
--- http_config
    map $arg_k $mapped {
        default          "none";
        alpha            "exact";
        ~^b(\w+)$        "regex";
        ~*^C             "ci-regex";
        echo             "uri=$uri";
    }
--- config
    location = /t { return 200 "$mapped\n"; }
    location = /lua {
        content_by_lua_block { ngx.say(ngx.var.mapped) }
    }
--- request eval
["GET /t?k=ALPHA", "GET /t?k=bravo", "GET /t?k=charlie", "GET /t?k=zulu", "GET /t?k=echo", "GET /lua?k=alpha"]
--- response_body eval
["exact\n", "regex\n", "ci-regex\n", "none\n", "uri=/t\n", "exact\n"]
