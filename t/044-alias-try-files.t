# vim:set ft= ts=4 sw=4 et fdm=marker:
# alias (prefix and regex locations) and try_files (file, directory,
# fallback URI, =code), as nginx.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2 + 1);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: alias replaces a prefix location's path; a regex location's alias takes captures
--- user_files
>>> files/a.txt
file a
--- config
    location /pub/ { alias html/files/; }
    location ~ ^/re/(\w+)$ { alias html/files/$1.txt; }
--- request eval
["GET /pub/a.txt", "GET /re/a"]
--- response_body eval
["file a\n", "file a\n"]



=== TEST 2: try_files: the first that exists, else the fallback URI (internal redirect), else =code
--- user_files
>>> b.txt
file b
--- config
    location /t/ {
        try_files /nope $uri /b.txt;
    }
    location /f/ {
        try_files /nope /missing @fb;
    }
    location @fb { return 200 "fallback $uri\n"; }
    location /c/ {
        try_files /nope =410;
    }
--- request eval
["GET /t/x", "GET /f/y", "GET /c/z"]
--- error_code eval
[200, 200, 410]
--- response_body_like eval
[qr/\Afile b\n\z/, qr/\Afallback \/f\/y\n\z/, qr/410 Gone/]
