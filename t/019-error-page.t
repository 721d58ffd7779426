# vim:set ft= ts=4 sw=4 et fdm=marker:
# error_page: an internal redirect (the error's status kept, or =NNN, or
# the page's own with "="), a named location, a redirect for a URL, and
# the built-in page when the error page fails too.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a 404 served by another location keeps its status; =200 changes it; = takes the page's own
--- config
    location = /missing {
        error_page 404 /oops;
        return 404;
    }
    location = /changed {
        error_page 404 =200 /oops;
        return 404;
    }
    location = /own {
        error_page 404 = /created;
        return 404;
    }
    location = /oops { return 200 "oops $request_method\n"; }
    location = /created { return 201 "created\n"; }
--- request eval
["GET /missing", "POST /changed", "GET /own"]
--- error_code eval
[404, 200, 201]
--- response_body eval
["oops GET\n", "oops GET\n", "created\n"]



=== TEST 2: a named location, a URL (redirect), and an error page that fails gets the built-in page
--- config
    location = /named {
        error_page 500 @fallback;
        content_by_lua_block { error("boom") }
    }
    location @fallback { return 200 "fallback\n"; }
    location = /url {
        error_page 403 http://example.com/forbidden;
        return 403;
    }
    location = /loop {
        error_page 404 /nowhere;
        return 404;
    }
--- request eval
["GET /named", "GET /url", "GET /loop"]
--- error_code eval
[500, 302, 404]
--- response_headers eval
["", "Location: http://example.com/forbidden", ""]
--- response_body_like eval
[qr/\Afallback\n\z/, qr/302 Found/, qr/404 Not Found/]
