# vim:set ft= ts=4 sw=4 et fdm=marker:
# root/index static files, return, error pages, proxy_pass (URI rules,
# proxy_set_header), bad requests answered with nginx's codes.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the root location serves html/index.html
--- config
--- request
GET /
--- response_headers
Content-Type: text/html
--- response_body chomp
<html><head><title>It works!</title></head><body>It works!</body></html>



=== TEST 2: a static file, HEAD, types without a types block (only html, gif, jpg) and default_type
--- user_files
>>> a.txt
hello
>>> b.gif
GIF
--- config
--- request eval
["GET /a.txt", "HEAD /b.gif"]
--- response_headers eval
["Content-Type: text/plain", "Content-Type: image/gif"]
--- response_body eval
["hello\n", ""]



=== TEST 3: If-Modified-Since equal to the file's time gives 304
--- user_files
>>> old.html 199901010000.00
old
--- config
--- request
GET /old.html
--- more_headers
If-Modified-Since: Fri, 01 Jan 1999 00:00:00 GMT
--- error_code: 304
--- response_body chomp



=== TEST 4: a missing file is a 404 with nginx's page and error line
--- config
--- request
GET /nope.html
--- error_code: 404
--- response_body_like chomp
<head><title>404 Not Found</title></head>
--- error_log eval
qr{open\(\) "[^"]*/html/nope\.html" failed \(2: No such file or directory\)}



=== TEST 5: a directory without its slash redirects; without an index file it is forbidden
--- user_files
>>> dir/.keep
--- config
--- request eval
["GET /dir", "GET /dir/"]
--- error_code eval
[301, 403]
--- response_headers_like eval
["Location: http://localhost:\\d+/dir/", "Content-Type: text/html"]



=== TEST 6: return with text, with a code only, with a URL; server_tokens off in the page
--- config
    location = /text { return 200 "uri=$uri args=$args\n"; }
    location = /code { server_tokens off; return 404; }
    location = /url { return 301 https://example.com/x; }
--- request eval
["GET /text?a=1", "GET /code", "GET /url"]
--- error_code eval
[200, 404, 301]
--- response_body_like eval
["^uri=/text args=a=1\n\$", "<hr><center>(goresty|nginx)</center>", "<title>301 Moved Permanently</title>"]



=== TEST 7: location matching: = beats prefixes, ^~ beats regexes, regexes in order, longest prefix
--- config
    location = /m { return 200 "exact\n"; }
    location /m { return 200 "prefix\n"; }
    location ^~ /m/static/ { return 200 "noregex\n"; }
    location ~ \.php$ { return 200 "php\n"; }
    location ~* \.(PHP|txt)$ { return 200 "caseless\n"; }
    location /m/deep/ {
        location ~ \.txt$ { return 200 "nested regex\n"; }
        return 200 "deep\n";
    }
--- request eval
["GET /m", "GET /m/x", "GET /m/static/a.php", "GET /m/a.php", "GET /m/a.PHP", "GET /m/deep/a.txt", "GET /m/deep/a"]
--- response_body eval
["exact\n", "prefix\n", "noregex\n", "php\n", "caseless\n", "nested regex\n", "deep\n"]
--- no_error_log
[error]



=== TEST 8: proxy_pass with a URI replaces the location prefix; proxy_set_header adds and removes headers
--- config
    location /app/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Drop "";
    }
    location /backend/ {
        content_by_lua_block {
            local h = ngx.req.get_headers()
            ngx.say(ngx.var.request_uri, " ", h["x-real-ip"], " ", tostring(h["x-drop"]), " ", h["x-keep"], " ", ngx.var.host)
        }
    }
--- request
GET /app/a/b?q=1
--- more_headers
X-Drop: 1
X-Keep: 2
--- response_body
/backend/a/b?q=1 127.0.0.1 nil 2 127.0.0.1
--- no_error_log
[error]



=== TEST 9: an upstream that refuses the connection gives 502
--- config
    location /dead/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /dead/
--- error_code: 502
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 10: a request line over 8k is 414, a header line over 8k is 400 (Request Header Or Cookie Too Large)
--- config
--- request eval
["GET /" . ("a" x 9000), "GET /"]
--- more_headers eval
["", "X-Big: " . ("b" x 9000)]
--- error_code eval
[414, 400]
--- response_body_like eval
["<title>414 Request-URI Too Large</title>", "<title>400 Request Header Or Cookie Too Large</title>"]



=== TEST 11: a malformed request is 400 with nginx's HTML page
# net/http parses requests and answers the ones it cannot parse itself, in
# plain text; on plain HTTP goresty turns that answer into nginx's page
# (httpserver/badrequest.go). Over TLS and HTTP/2 net/http offers no way
# in: those bad requests still get Go's plain-text answer.
--- config
--- raw_request eval
"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: text/html
Connection: close
--- response_body_like: ^<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>(goresty|nginx)/[\d.]+</center>\r\n</body>\r\n</html>\r\n$
--- error_log
client sent invalid



=== TEST 12: access_log in the combined format and with a log_format of variables
--- http_config
    log_format v '$status|$body_bytes_sent|$request|$http_x_q|$sent_http_content_type|$request_length|$uri|$args|$https|$remote_user';
--- config
    location = /t {
        access_log logs/access.log;
        access_log logs/access.log v;
        return 200 "hello\n";
    }
--- request
GET /t?a=%22b
--- more_headers
X-Q: a"b\c
--- response_body
hello
--- access_log eval
[qr{^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /t\?a=%22b HTTP/1\.1" 200 6 "-" "-"$},
 qr{^200\|6\|GET /t\?a=%22b HTTP/1\.1\|a\\x22b\\x5Cc\|text/plain\|\d+\|/t\|a=%22b\|\|-$}]



=== TEST 13: error_log in a server or location: that level's lines go to its own log only
--- config
    location /own/ {
        error_log logs/own.log;
    }
--- exec
curl -s -o /dev/null http://127.0.0.1:$TEST_NGINX_SERVER_PORT/own/missing.html
grep -q 'open() ".*/html/own/missing.html" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /own/missing.html HTTP/1.1"' logs/own.log && echo found
--- exec_out
found
--- no_error_log
missing.html" failed




=== TEST 14: requests net/http rejects by itself get nginx's pages too: no Host
--- config
--- raw_request eval
"GET / HTTP/1.1\r\n\r\n"
--- error_code: 400
--- response_body_like: <title>400 Bad Request</title>.*<hr><center>(goresty|nginx)/
--- error_log
client sent HTTP/1.1 request without "Host" header



=== TEST 15: requests net/http rejects by itself get nginx's pages too: unknown protocol version
--- config
--- raw_request eval
"GET / HTTP/3.0\r\nHost: localhost\r\n\r\n"
--- error_code: 505
--- response_body_like: <title>505 HTTP Version Not Supported</title>
--- error_log
client sent invalid version



=== TEST 16: requests net/http rejects by itself get nginx's pages too: unknown Transfer-Encoding
--- config
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n"
--- error_code: 501
--- response_body_like: <title>501 Not Implemented</title>
--- error_log
client sent unknown "Transfer-Encoding"
