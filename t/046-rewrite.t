# vim:set ft= ts=4 sw=4 et fdm=marker:
# rewrite: last (search the locations again), break (stay), no flag at
# location level (search again after the rewrites), redirect/permanent and
# URL replacements, captures, new arguments; absolute_redirect,
# port_in_redirect, server_name_in_redirect.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2 + 1);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: last, break, server level, captures and arguments
--- user_files
>>> real.txt
real file
--- config
    rewrite ^/srv/(\w+)$ /target/$1 last;
    location /old/ {
        rewrite ^/old/(\w+)$ /target/$1?from=old last;
        return 500;
    }
    location /stay/ {
        rewrite ^/stay/.*$ /real.txt break;
        root html;
    }
    location /noflag/ {
        rewrite ^/noflag/(\w+)$ /target/$1;
    }
    location /target/ {
        return 200 "target $uri $args\n";
    }
--- request eval
["GET /old/abc", "GET /stay/x", "GET /srv/def", "GET /noflag/ghi?a=1"]
--- response_body eval
["target /target/abc from=old\n", "real file\n", "target /target/def \n", "target /target/ghi a=1\n"]



=== TEST 2: redirect, permanent, and a URL replacement
--- config
    location /r/ {
        rewrite ^/r/(\w+)$ /new/$1 redirect;
    }
    location /p/ {
        rewrite ^/p/(\w+)$ /new/$1 permanent;
    }
    location /u/ {
        rewrite ^ https://example.com/x?y=1;
    }
--- request eval
["GET /r/a", "GET /p/b", "GET /u/c"]
--- error_code eval
[302, 301, 302]
--- response_headers eval
['Location: http://localhost:$ServerPort/new/a', 'Location: http://localhost:$ServerPort/new/b', 'Location: https://example.com/x?y=1']



=== TEST 3: absolute_redirect off, port_in_redirect off, server_name_in_redirect on
--- config
    location = /rel {
        absolute_redirect off;
        return 302 /target;
    }
    location = /noport {
        port_in_redirect off;
        return 301 /target;
    }
    location = /sname {
        server_name_in_redirect on;
        rewrite ^ /target redirect;
    }
--- more_headers
Host: example.test
--- request eval
["GET /rel", "GET /noport", "GET /sname"]
--- error_code eval
[302, 301, 302]
--- response_headers eval
['Location: /target', 'Location: http://example.test/target', 'Location: http://localhost:$ServerPort/target']
