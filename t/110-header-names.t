# vim:set ft= ts=4 sw=4 et fdm=marker:
# Request header names as nginx takes them: letters, digits and "-"
# ("_" too with underscores_in_headers on); a line whose name has another
# byte is ignored, with an [info] line, unless ignore_invalid_headers is
# off; a line without a colon is a name without a value. So a client's
# "X_User" does not reach Lua or an upstream (where it could pass for
# "X-User"), whichever way the request was read (a header block over the
# lean loop's 4 KB goes through net/http).

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $Show = <<'_EOC_';
    location = /t {
        content_by_lua_block {
            local ks = {}
            for k, v in pairs(ngx.req.get_headers()) do
                if k ~= "x-pad" then ks[#ks + 1] = k .. "=" .. tostring(v) end
            end
            table.sort(ks)
            ngx.say(table.concat(ks, ","))
        }
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: names with "_", "." or "@" are ignored and logged; a line without a colon is a name without a value
--- config eval: $::Show
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nX_User: u\r\nX.Y: 1\r\nX\@Y: 2\r\nNoColon\r\nX-Ok: 3\r\nConnection: close\r\n\r\n"
--- response_body
connection=close,host=a,nocolon=,x-ok=3
--- error_log eval
[qr/\[info\] .* client sent invalid header line: "X_User: u" while reading client request headers, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "a"$/,
qr/\[info\] .* client sent invalid header line: "X\.Y: 1" while reading client request headers/,
qr/\[info\] .* client sent invalid header line: "X\@Y: 2" while reading client request headers/]



=== TEST 2: underscores_in_headers on
--- http_config
    underscores_in_headers on;
--- config eval: $::Show
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nX_User: u\r\nX.Y: 1\r\nConnection: close\r\n\r\n"
--- response_body
connection=close,host=a,x_user=u
--- no_error_log
client sent invalid header line: "X_User



=== TEST 3: ignore_invalid_headers off: such names are taken
--- http_config
    ignore_invalid_headers off;
--- config eval: $::Show
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nX.Y: 1\r\nX\@Y: 2\r\nConnection: close\r\n\r\n"
--- response_body
connection=close,host=a,x.y=1,x@y=2
--- no_error_log
client sent invalid header line



=== TEST 4: proxy_pass: the upstream does not get them either
--- config
    location = /up { content_by_lua_block { ngx.print(ngx.var.http_x_user, " ", ngx.req.get_headers()["x_user"]) } }
    location = /t { proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nX_User: spoofed\r\nConnection: close\r\n\r\n"
--- response_body chomp
nil nil
--- error_log
client sent invalid header line: "X_User: spoofed"



=== TEST 5: a header block over 4 KB (read by net/http): the same
--- config eval: $::Show
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nX-Pad: " . ("p" x 5000) . "\r\nX_User: u\r\nX.Y: 1\r\nX-Ok: 3\r\nConnection: close\r\n\r\n"
--- response_body
connection=close,host=a,x-ok=3
--- error_log eval
qr/\[info\] .* client sent invalid header line: "X_(U|u)ser: u" while reading client request headers/
