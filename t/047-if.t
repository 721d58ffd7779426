# vim:set ft= ts=4 sw=4 et fdm=marker:
# if (condition) { ... } at server and location level, as nginx's rewrite
# module: variable, =, !=, ~, ~*, !~, !~* (captures usable after), -f -d -e -x
# and their negations; "if in location" gives the request the block's
# configuration (add_header, content handler, proxy_pass), break, and
# nginx's [emerg] messages.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2 + 5);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: variable, =, !=, regular expressions and their captures
--- config
    location = /c {
        set $r "";
        if ($arg_a) { set $r "${r}a"; }
        if ($arg_b = x) { set $r "${r}b"; }
        if ($arg_b != x) { set $r "${r}B"; }
        if ($http_user_agent ~* ^curl/(\d+)) { set $r "${r}ua$1"; }
        if ($arg_c ~ "^(?P<w>[a-z]+)-(\d+)$") { set $r "${r}c:$w:$2"; }
        if ($arg_c !~ ^z) { set $r "${r}!z"; }
        if ( $arg_c !~* ^Z ) { set $r "${r}!Z"; }
        if ($arg_d ~ "^a{2}$") { set $r "${r}d"; }
        return 200 "$r\n";
    }
--- request eval
["GET /c?a=1&b=x&c=abc-12&d=aa", "GET /c?a=0&b=y&c=Zed", "GET /c?a=&c=zz"]
--- more_headers
User-Agent: Curl/7
--- response_body eval
["abua7c:abc:12!z!Zd\n", "Bua7!z\n", "Bua7\n"]



=== TEST 2: file tests and their negations
--- user_files
>>> a.txt
a
>>> sub/b.txt
b
--- config
    location = /f {
        set $r "";
        if (-f $document_root/a.txt) { set $r "${r}f"; }
        if (!-f $document_root/sub) { set $r "${r}!f"; }
        if (-d $document_root/sub) { set $r "${r}d"; }
        if (!-d $document_root/a.txt) { set $r "${r}!d"; }
        if (-e $document_root/sub/b.txt) { set $r "${r}e"; }
        if (!-e $document_root/nope) { set $r "${r}!e"; }
        if (-x /bin/sh) { set $r "${r}x"; }
        if (!-x $document_root/a.txt) { set $r "${r}!x"; }
        if (-f $document_root/nope) { set $r "${r}WRONG"; }
        return 200 "$r\n";
    }
--- request
GET /f
--- response_body
f!fd!de!ex!x



=== TEST 3: if in location: the last true block's configuration, the location's content handler
--- config
    location /h {
        add_header X-Loc 1;
        if ($arg_one) { add_header X-First 1; }
        if ($arg_two) { add_header X-Second 2; }
        content_by_lua_block { ngx.say("content ", ngx.var.uri) }
    }
--- request eval
["GET /h?one=1&two=1", "GET /h?one=1", "GET /h"]
--- response_headers eval
["X-Second: 2\n!X-First\n!X-Loc", "X-First: 1\n!X-Second\n!X-Loc", "X-Loc: 1\n!X-First\n!X-Second"]
--- response_body eval
["content /h\n", "content /h\n", "content /h\n"]



=== TEST 4: content_by_lua, return, rewrite ... last and break inside if
--- config
    location /m {
        if ($arg_mode = lua) {
            content_by_lua_block { ngx.say("from if") }
        }
        if ($arg_mode = ret) { return 200 "returned\n"; }
        if ($arg_mode = rw) { rewrite ^ /other last; }
        if ($arg_mode = brk) {
            set $x 1;
            break;
            set $x 2;
        }
        set $x "${x}after";
        content_by_lua_block { ngx.say("location ", ngx.var.x) }
    }
    location = /other { return 200 "other\n"; }
--- request eval
["GET /m?mode=lua", "GET /m?mode=ret", "GET /m?mode=rw", "GET /m?mode=brk", "GET /m"]
--- response_body eval
["from if\n", "returned\n", "other\n", "location 1\n", "location after\n"]



=== TEST 5: proxy_pass inside if
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "backend $request_uri\n"; }
    }
--- config
    location /p {
        if ($arg_up) {
            proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        }
        content_by_lua_block { ngx.say("local") }
    }
--- request eval
["GET /p/x?up=1", "GET /p/x"]
--- response_body eval
["backend /p/x?up=1\n", "local\n"]



=== TEST 6: if at server level: return, set with captures, rewrite ... last
--- config
    if ($arg_srv = deny) { return 403; }
    if ($request_uri ~ ^/srvre/(\w+)) {
        set $cap $1;
        rewrite ^ /show last;
    }
    location = /show { return 200 "cap=$cap\n"; }
    location /x { return 200 "x\n"; }
--- request eval
["GET /x?srv=deny", "GET /srvre/abc", "GET /x"]
--- error_code eval
[403, 200, 200]
--- response_body_like eval
["403 Forbidden", "^cap=abc\n\$", "^x\n\$"]



=== TEST 7: an operator nginx does not know
--- config
    location / {
        if ($arg_a == b) { return 200; }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unexpected "==" in condition in \S+nginx\.conf:41/



=== TEST 8: a condition that is not a variable or a file test
--- config
    location / {
        if (a) { return 200; }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid condition "a" in \S+nginx\.conf:41/



=== TEST 9: a directive that is not allowed inside if
--- config
    if ($arg_a) { add_header X-A 1; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"add_header" directive is not allowed here in \S+nginx\.conf:40/



=== TEST 10: no if inside if
--- config
    location / {
        if ($arg_a) {
            if ($arg_b) { return 200; }
        }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"if" directive is not allowed here in \S+nginx\.conf:42/



=== TEST 11: proxy_pass inside if cannot have a URI part
--- config
    location / {
        if ($arg_a) {
            proxy_pass http://127.0.0.1:1/x;
        }
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block in \S+nginx\.conf:42/



=== TEST 12: rewrite_log: the regular expressions of if and rewrite, and the rewritten URI, at notice
--- config
    location /rl {
        rewrite_log on;
        if ($arg_x ~ ^(\d+)$) { set $n $1; }
        rewrite ^/rl/(\w+)$ /target/$1 last;
    }
    location /target/ { return 200 "t $n\n"; }
--- request
GET /rl/abc?x=12
--- response_body
t 12
--- error_log
"^(\d+)$" matches "12"
"^/rl/(\w+)$" matches "/rl/abc"
rewritten data: "/target/abc", args: "x=12"
