# vim:set ft= ts=4 sw=4 et fdm=marker:
# error_page: an internal redirect (the error's status kept, or =NNN, or
# the page's own with "="), a named location, a redirect for a URL, and
# the built-in page when the error page fails too (recursive_error_pages
# off), or that page's error_page (on); proxy_intercept_errors.

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



=== TEST 3: recursive_error_pages on: an error while serving an error page gets that page's error_page, up to the internal redirect limit
--- config
    location = /rec {
        recursive_error_pages on;
        error_page 404 /rec2;
        return 404;
    }
    location = /norec {
        error_page 404 /rec2;
        return 404;
    }
    location = /rec2 {
        error_page 500 /final;
        return 500;
    }
    location = /final { return 200 "final\n"; }
--- request eval
["GET /rec", "GET /norec"]
--- error_code eval
[500, 500]
--- response_body_like eval
[qr/\Afinal\n\z/, qr/500 Internal Server Error/]



=== TEST 4: recursive_error_pages on: error pages follow each other up to the internal redirect limit
--- config
    location = /cycle {
        recursive_error_pages on;
        error_page 404 /cycle;
        return 404;
    }
--- request
GET /cycle
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log
rewrite or internal redirection cycle while internally redirecting to "/cycle"



=== TEST 5: proxy_intercept_errors: an upstream status with an error_page gets it (a 401 keeps WWW-Authenticate), others pass
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 404 "upstream 404\n"; }
        location /teapot { return 418 "tea\n"; }
        location /auth {
            add_header WWW-Authenticate 'Basic realm="x"' always;
            return 401 "no\n";
        }
    }
--- config
    location /i/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        proxy_intercept_errors on;
        error_page 404 401 /mine;
    }
    location /n/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        error_page 404 /mine;
    }
    location = /mine { return 200 "mine\n"; }
--- request eval
["GET /i/x", "GET /i/teapot", "GET /n/x", "GET /i/auth"]
--- error_code eval
[404, 418, 404, 401]
--- response_body eval
["mine\n", "tea\n", "upstream 404\n", "mine\n"]
--- response_headers eval
["", "", "", "WWW-Authenticate: Basic realm=\"x\""]
