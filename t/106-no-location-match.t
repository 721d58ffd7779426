# vim:set ft= ts=4 sw=4 et fdm=marker:
# A URI that no location matches is served with the server block's own
# configuration, as nginx's server-level location: its root, index,
# add_header, error_page, access_log and try_files, and the Lua phases
# written at server (or http) level: rewrite_by_lua*, access_by_lua*,
# header_filter_by_lua*, log_by_lua*. The server's rewrite-module
# directives run once (nginx skips the location rewrite phase there).
# As nginx's index module, an index file is an internal redirect to its
# URI (the location search and the phases run again for it), a missing
# directory is 404 with "... is not found", and POST is refused (405)
# only once the file is found.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: a file under the server's root is served, the server's access_log records it
--- user_files
>>> static.txt
static file
--- config
    access_log logs/srv.log;
    location = /lua { content_by_lua_block { ngx.say("ok") } }
    location = /log {
        access_log off;
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "logs/srv.log"))
            local n = 0
            for l in f:lines() do
                if l:find('"GET /static.txt HTTP/1.1" 200 12 ', 1, true) then n = n + 1 end
            end
            f:close()
            ngx.say(n > 0 and "logged" or "not logged")
        }
    }
--- request eval
["GET /static.txt", "GET /lua", "GET /log"]
--- response_body eval
["static file\n", "ok\n", "logged\n"]
--- no_error_log
[error]



=== TEST 2: a missing file is nginx's 404, with its open() error
--- config
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /missing.txt
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
qr/\[error\] .*open\(\) "\S+\/html\/missing\.txt" failed \(2: No such file or directory\)/



=== TEST 3: a directory without the slash is redirected; with it, the server's index is served
--- user_files
>>> dir/main.html
main page
--- config
    index main.html;
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request eval
["GET /dir", "GET /dir/"]
--- error_code eval
[301, 200]
--- response_headers_like eval
["Location: http://localhost:\\d+/dir/", "Content-Type: text/html"]
--- response_body_like eval
[qr/301 Moved Permanently/, qr/\Amain page\n\z/]



=== TEST 4: a directory without an index file is 403
--- user_files
>>> noidx/file.txt
not an index
--- config
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /noidx/
--- error_code: 403
--- response_body_like: 403 Forbidden
--- error_log eval
qr/\[error\] .*directory index of "\S+\/html\/noidx\/" is forbidden/



=== TEST 5: the server's add_header (not on errors) and error_page; POST to a file is 405
--- user_files
>>> static.txt
static file
>>> oops.html
oops page
--- config
    add_header X-Srv yes;
    error_page 404 /oops.html;
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request eval
["GET /static.txt", "GET /missing.txt", "POST /static.txt"]
--- error_code eval
[200, 404, 405]
--- response_headers eval
["X-Srv: yes", "X-Srv: ", "X-Srv: "]
--- response_body_like eval
[qr/\Astatic file\n\z/, qr/\Aoops page\n\z/, qr/405 Not Allowed/]



=== TEST 6: the Lua phases written at server level run for it
--- user_files
>>> static.txt
static file
--- config
    rewrite_by_lua_block { ngx.log(ngx.WARN, "rewrite ", ngx.var.uri) }
    access_by_lua_block {
        if ngx.var.arg_deny then ngx.exit(403) end
        ngx.log(ngx.WARN, "access ", ngx.var.uri)
    }
    header_filter_by_lua_block { ngx.header["X-Filter"] = ngx.status }
    log_by_lua_block { ngx.log(ngx.WARN, "logged ", ngx.var.uri, " ", ngx.status) }
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /static.txt
--- response_headers
X-Filter: 200
--- grep_error_log eval: qr/(?:rewrite|access|logged) \/static\.txt(?: \d+)?/
--- grep_error_log_out
rewrite /static.txt
access /static.txt
logged /static.txt 200



=== TEST 7: the server's access_by_lua can deny it
--- request
GET /static.txt?deny=1
--- error_code: 403
--- response_headers
X-Filter: 403
--- grep_error_log eval: qr/(?:rewrite|access|logged) \/static\.txt(?: \d+)?/
--- grep_error_log_out
rewrite /static.txt
logged /static.txt 403



=== TEST 8: a server without any location serves its root, with its Lua phases
--- user_files
>>> static.txt
static file
--- config
    rewrite_by_lua_block { ngx.header["X-Rewrite"] = ngx.var.uri }
--- request
GET /static.txt
--- response_headers
X-Rewrite: /static.txt
--- response_body
static file
--- no_error_log
[error]



=== TEST 9: the server's rewrite runs once (nginx skips the location rewrite phase for it); ngx.exec and subrequests reach it
--- user_files
>>> xstatic.txt
rewritten once
>>> xxstatic.txt
rewritten twice
--- config
    rewrite ^/(x*static\.txt)$ /x$1;
    location = /exec { content_by_lua_block { ngx.exec("/static.txt") } }
    location = /sub {
        content_by_lua_block {
            local res = ngx.location.capture("/static.txt")
            ngx.print(res.status, " ", res.body)
        }
    }
--- request eval
["GET /static.txt", "GET /exec", "GET /sub"]
--- response_body eval
["rewritten once\n", "rewritten once\n", "200 rewritten once\n"]
--- no_error_log
[error]



=== TEST 10: the server's try_files serves the URIs no location matches, and only them
--- user_files
>>> static.txt
static file
>>> fallback.txt
fallback
--- config
    try_files $uri /fallback.txt;
    location /loc/ { }
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request eval
["GET /static.txt", "GET /nothing", "GET /loc/nothing", "GET /lua"]
--- error_code eval
[200, 200, 404, 200]
--- response_body_like eval
[qr/\Astatic file\n\z/, qr/\Afallback\n\z/, qr/404 Not Found/, qr/\Aok\n\z/]



=== TEST 11: the Lua phases written at http level reach it too
--- user_files
>>> static.txt
static file
--- http_config
    access_by_lua_block { ngx.header["X-Access"] = "http" }
    log_by_lua_block { ngx.log(ngx.WARN, "http log ", ngx.var.uri, " ", ngx.status) }
--- config
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /static.txt
--- response_headers
X-Access: http
--- error_log
http log /static.txt 200



=== TEST 12: an index file is an internal redirect: its URI is searched again and the phases see it
--- user_files
>>> dir/index.html
index page
--- config
    log_by_lua_block { ngx.log(ngx.WARN, "logged ", ngx.var.uri) }
    location ~ \.html$ { add_header X-Html yes; }
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /dir/
--- response_headers
X-Html: yes
--- response_body
index page
--- error_log
logged /dir/index.html



=== TEST 13: a missing directory is 404, the index file "is not found"
--- config
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request
GET /nodir/
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
qr/\[error\] .*"\S+\/html\/nodir\/index\.html" is not found \(2: No such file or directory\)/



=== TEST 14: POST looks for the file (404, 301) before it is refused (405); other methods are refused at once
--- user_files
>>> static.txt
static file
>>> dir/index.html
index page
--- config
    location = /lua { content_by_lua_block { ngx.say("ok") } }
--- request eval
["POST /missing.txt\nx", "POST /dir\nx", "POST /dir/\nx", "POST /static.txt\nx", "PUT /static.txt\nx", "DELETE /dir/"]
--- error_code eval
[404, 301, 405, 405, 405, 405]
--- response_body_like eval
[qr/404 Not Found/, qr/301 Moved Permanently/, qr/405 Not Allowed/, qr/405 Not Allowed/, qr/405 Not Allowed/, qr/405 Not Allowed/]
