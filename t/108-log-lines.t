# vim:set ft= ts=4 sw=4 et fdm=marker:
# Log lines as nginx writes them: a request's error-log lines name its
# server block even when it has no name ("server: ,"); a request refused
# before a location is picked (bad request line or header line, no Host,
# a header line too long, a URI above the root) is still a request of the
# server it was for: the [info] line names its request line (as far as it
# was read) and Host, and the log phase runs, that server's (or http's)
# log_by_lua* and access log.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 6);

our $LogPhase = <<'_EOC_';
    log_by_lua_block { ngx.log(ngx.WARN, "log phase: ", ngx.status, " [", ngx.var.request, "] [", ngx.var.server_name, "]") }
_EOC_

# the request line's variables and a few others, in a log_format
our $VarsLog = <<'_EOC_';
    log_format v '$uri|$document_uri|$request_uri|$request_method|$args|$is_args|$server_protocol|$request|$host|$request_length|$status|$scheme|$server_name';
    access_log logs/v.log v;
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a server block without server_name: "server: ," in its requests' lines
--- http_config
    server {
        listen $TEST_NGINX_RAND_PORT_1;
        location = /e { content_by_lua_block { ngx.log(ngx.ERR, "from the nameless server") ngx.say("ok") } }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /e HTTP/1.1\r\nHost: foo\r\nConnection: close\r\n\r\n"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
--- error_log eval
qr/\[error\] .* from the nameless server, client: 127\.0\.0\.1, server: , request: "GET \/e HTTP\/1\.1", host: "foo"$/



=== TEST 2: a bad request line: [info] with the line as read, then the log phase and the access log
--- http_config eval: $::LogPhase
--- config
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log eval
[qr/\[info\] .* client sent invalid method while reading client request line, client: 127\.0\.0\.1, server: localhost, request: "GARBAGE"$/,
qr/\[warn\] .* log phase: 400 \[GARBAGE\] \[localhost\] while logging request, client: 127\.0\.0\.1, server: localhost, request: "GARBAGE"$/]
--- access_log eval
qr/^127\.0\.0\.1 - - \[[^]]+\] "GARBAGE" 400 \d+ "-" "-"$/



=== TEST 3: a bad header line: the header lines before it count (Host, User-Agent)
--- http_config eval: $::LogPhase
--- config
--- raw_request eval
"GET /foo?a=1 HTTP/1.1\r\nHost: foo\r\nUser-Agent: ua/1\r\nBad Header\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log eval
[qr/\[info\] .* client sent invalid header line: "Bad\\x20\.\.\." while reading client request headers, client: 127\.0\.0\.1, server: localhost, request: "GET \/foo\?a=1 HTTP\/1\.1", host: "foo"$/,
qr/\[warn\] .* log phase: 400 \[GET \/foo\?a=1 HTTP\/1\.1\] \[localhost\] while logging request, client: 127\.0\.0\.1, server: localhost, request: "GET \/foo\?a=1 HTTP\/1\.1", host: "foo"$/]
--- access_log eval
qr/^127\.0\.0\.1 - - \[[^]]+\] "GET \/foo\?a=1 HTTP\/1\.1" 400 \d+ "-" "ua\/1"$/



=== TEST 4: an HTTP/1.1 request without Host
--- http_config eval: $::LogPhase
--- config
--- raw_request eval
"GET /foo HTTP/1.1\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log eval
[qr/\[info\] .* client sent HTTP\/1\.1 request without "Host" header while reading client request headers, client: 127\.0\.0\.1, server: localhost, request: "GET \/foo HTTP\/1\.1"$/,
qr/\[warn\] .* log phase: 400 \[GET \/foo HTTP\/1\.1\] \[localhost\] while logging request/]
--- access_log eval
qr/"GET \/foo HTTP\/1\.1" 400 \d+ "-" "-"$/



=== TEST 5: a header line longer than a large header buffer (8k): the [info] line shows its first 1748 bytes; $uri is known
--- http_config
    log_by_lua_block { ngx.log(ngx.WARN, "log phase: ", ngx.status, " [", ngx.var.request, "] [", ngx.var.uri, "]") }
--- config
--- raw_request eval
"GET /foo HTTP/1.1\r\nHost: foo\r\nX-Long: " . ("a" x 9000) . "\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Request Header Or Cookie Too Large
--- error_log eval
[qr/\[info\] .* client sent too long header line: "X-Long: a{1000}a{740}\.\.\." while reading client request headers, client: 127\.0\.0\.1, server: localhost, request: "GET \/foo HTTP\/1\.1", host: "foo"$/,
qr/\[warn\] .* log phase: 400 \[GET \/foo HTTP\/1\.1\] \[\/foo\] while logging request/]
--- access_log eval
qr/"GET \/foo HTTP\/1\.1" 400 \d+ "-" "-"$/



=== TEST 6: the log phase is the default server's of the address, at server level (not http's)
--- http_config
    log_by_lua_block { ngx.log(ngx.WARN, "http level") }
    server {
        listen $TEST_NGINX_RAND_PORT_1;
        server_name other;
        log_by_lua_block { ngx.log(ngx.WARN, "server level of other: ", ngx.status) }
        location / { return 200; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GARBAGE\r\n\r\n"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 400 Bad Request
--- error_log eval
[qr/\[warn\] .* server level of other: 400 while logging request, client: 127\.0\.0\.1, server: other, request: "GARBAGE"$/,
qr/\[warn\] .* http level while logging request, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/]
--- no_error_log
http level while logging request, client: 127.0.0.1, server: other



=== TEST 7: a URI above the root
--- http_config eval: $::LogPhase
--- config
--- raw_request eval
"GET /../x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log eval
[qr/\[info\] .* client sent invalid request while reading client request line, client: 127\.0\.0\.1, server: localhost, request: "GET \/\.\.\/x HTTP\/1\.1"/,
qr/\[warn\] .* log phase: 400 \[GET \/\.\.\/x HTTP\/1\.1\] \[localhost\] while logging request/]



=== TEST 8: over TLS: the server the client named (SNI) logs a bad request line
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        log_by_lua_block { ngx.log(ngx.WARN, "tls log phase: ", ngx.status, " ", ngx.var.scheme) }
        location / { return 200; }
    }
--- config
--- tls
sni: test.com
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log eval
[qr/\[info\] .* client sent invalid method while reading client request line, client: 127\.0\.0\.1, server: test\.com, request: "GARBAGE"$/,
qr/\[warn\] .* tls log phase: 400 https while logging request, client: 127\.0\.0\.1, server: test\.com, request: "GARBAGE"$/]



=== TEST 9: client_header_timeout in the header lines: 408, nothing answered, logged
--- http_config
    client_header_timeout 300ms;
    log_by_lua_block { ngx.log(ngx.WARN, "log phase: ", ngx.status, " [", ngx.var.request, "]") }
--- config
--- raw_request eval
"GET /foo HTTP/1.1\r\nHost: x\r\n"
--- ignore_response
--- timeout: 5
--- error_log eval
[qr/\[info\] .* client timed out \(110: Connection timed out\) while reading client request headers, client: 127\.0\.0\.1, server: localhost, request: "GET \/foo HTTP\/1\.1", host: "x"$/,
qr/\[warn\] .* log phase: 408 \[GET \/foo HTTP\/1\.1\] while logging request/]
--- access_log eval
qr/"GET \/foo HTTP\/1\.1" 408 0 "-" "-"$/



=== TEST 10: client_header_timeout in the request line
--- http_config
    client_header_timeout 300ms;
    log_by_lua_block { ngx.log(ngx.WARN, "log phase: ", ngx.status, " [", ngx.var.request, "]") }
--- config
--- raw_request eval
"GET /fo"
--- ignore_response
--- timeout: 5
--- error_log eval
[qr/\[info\] .* client timed out \(110: Connection timed out\) while reading client request line, client: 127\.0\.0\.1, server: localhost, request: "GET \/fo"$/,
qr/\[warn\] .* log phase: 408 \[GET \/fo\] while logging request/]
--- access_log eval
qr/"GET \/fo" 408 0 "-" "-"$/



=== TEST 11: a client that closes in the middle of its header: 400, nothing answered, logged
--- http_config
    lua_shared_dict seen 1m;
    server {
        listen $TEST_NGINX_RAND_PORT_1;
        server_name cut;
        log_by_lua_block { ngx.shared.seen:set("cut", ngx.status .. " [" .. ngx.var.request .. "]") }
        location / { return 200; }
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.shared.seen:delete("cut")
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /foo HTTP/1.1\r\nHost: x\r\n"))
            sock:close()
            local seen
            for _ = 1, 500 do  -- up to 5 s
                seen = ngx.shared.seen:get("cut")
                if seen then break end
                ngx.sleep(0.01)
            end
            ngx.say(seen)
        }
    }
--- request
GET /t
--- response_body
400 [GET /foo HTTP/1.1]
--- error_log eval
qr/\[info\] .* client prematurely closed connection while reading client request headers, client: 127\.0\.0\.1, server: cut, request: "GET \/foo HTTP\/1\.1", host: "x"$/



=== TEST 12: a bad request line has no URI, method or protocol ("-" in the access log), and no length
--- http_config eval: $::VarsLog
--- config
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- exec
tail -n 1 logs/v.log
--- exec_out
-|-|-|-|-||-|GARBAGE|localhost|0|400|http|localhost



=== TEST 13: a bad header line: the request line's variables, the length of the lines before it
--- http_config eval: $::VarsLog
--- config
--- raw_request eval
"GET /a/../b?x=1 HTTP/1.1\r\nHost: foo\r\nBad Header\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- exec
tail -n 1 logs/v.log
--- exec_out
/b|/b|/a/../b?x=1|GET|x=1|?|HTTP/1.1|GET /a/../b?x=1 HTTP/1.1|foo|37|400|http|localhost



=== TEST 14: the response goes out before the log phase runs (the client is not kept waiting by log_by_lua*)
--- config
    location = /t {
        content_by_lua_block { ngx.say("hi") }
        log_by_lua_block {
            -- waits (up to 3 s) for the client's mark that it got the response
            local mark = ngx.config.prefix() .. "logs/got-response"
            local deadline = os.time() + 3
            local f
            repeat
                f = io.open(mark)
            until f or os.time() > deadline
            if f then f:close() os.remove(mark) end
            ngx.log(ngx.WARN, "client had the response: ", f ~= nil)
        }
    }
--- exec
curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t && touch logs/got-response && for i in $(seq 100); do grep -q 'client had the response' logs/error.log && break; sleep 0.05; done
--- exec_out
hi
--- error_log
client had the response: true



=== TEST 15: a connection that ends while waiting for a request: closed before its first, closed after a keep-alive one, client_header_timeout before its first
--- http_config
    client_header_timeout 300ms;
--- config
    location = /t { return 200 "ok\n"; }
--- exec
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$TEST_NGINX_SERVER_PORT'
curl -s http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t http://127.0.0.1:$TEST_NGINX_SERVER_PORT/t
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$TEST_NGINX_SERVER_PORT; sleep 1'
for i in $(seq 100); do grep -q 'closed keepalive connection' logs/error.log && break; sleep 0.05; done
--- exec_out
ok
ok
--- error_log eval
[qr/\[info\] \d+#\d+: \*\d+ client closed connection while waiting for request, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+$/,
qr/\[info\] \d+#\d+: \*\d+ client 127\.0\.0\.1 closed keepalive connection$/,
qr/\[info\] \d+#\d+: \*\d+ client timed out \(110: Connection timed out\) while waiting for request, client: 127\.0\.0\.1, server: 0\.0\.0\.0:\d+$/]



=== TEST 16: $body_bytes_sent and $bytes_sent count what went on the connection: a chunked body's framing, the header (as the client received it)
--- http_config
    log_format b '$uri $status $body_bytes_sent $bytes_sent';
--- config
    access_log logs/b.log b;
    location = /say { content_by_lua_block { ngx.say("hi") ngx.flush(true) } }
    location = /ret { return 200 "hi\n"; }
    location = /big { content_by_lua_block { ngx.print(string.rep("x", 10000)) ngx.flush(true) ngx.print(string.rep("y", 5000)) } }
--- exec
curl -s -o /dev/null -w '%{size_header}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/say >> hs
curl -s -o /dev/null -w '%{size_header}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ret >> hs
curl -s -o /dev/null -w '%{size_header}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/big >> hs
curl -s -o /dev/null -0 -w '%{size_header}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/say >> hs
curl -s -o /dev/null -I -w '%{size_header}\n' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/say >> hs
tail -n 5 logs/b.log | paste -d ' ' - hs | awk '{ print $1, $2, $3, ($4 - $3 == $5) ? "and the header" : "header " $4 - $3 " != " $5 }'; rm hs
--- exec_out
/say 200 13 and the header
/ret 200 3 and the header
/big 200 15021 and the header
/say 200 3 and the header
/say 200 0 and the header
