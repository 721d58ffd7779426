# vim:set ft= ts=4 sw=4 et fdm=marker:
# map: exact strings (ignoring case), regexes in order, the default, values
# with variables, the hostnames parameter (wildcards); usable in return,
# add_header and ngx.var.

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



=== TEST 2: hostnames: exact names, then the longest "*.name" / ".name" match, then "name.*", then regexes; a trailing dot ignored
--- http_config
    map $arg_h $site {
        hostnames;
        default            none;
        example.com        exact;
        *.example.com      wild;
        *.deep.example.com deeper;
        .example.org       dot;
        www.example.*      tail;
        ~^re\.             regex;
    }
--- config
    location = /h { return 200 "$site\n"; }
--- request eval
["GET /h?h=example.com", "GET /h?h=a.example.com", "GET /h?h=a.b.deep.example.com", "GET /h?h=example.org", "GET /h?h=x.example.org.", "GET /h?h=www.example.net", "GET /h?h=re.other", "GET /h?h=example.net"]
--- response_body eval
["exact\n", "wild\n", "deeper\n", "dot\n", "dot\n", "tail\n", "regex\n", "none\n"]



=== TEST 3: hostnames: a key that is no wildcard nginx knows
--- http_config
    map $host $x {
        hostnames;
        www.*.com 1;
    }
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid hostname or wildcard "www\.\*\.com" in \S+nginx\.conf:\d+/
