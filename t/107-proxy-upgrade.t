# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_pass of an Upgrade request (nginx's documented websocket set-up:
# proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and
# Connection "upgrade"): when the upstream answers 101 Switching
# Protocols, the 101 goes to the client and the bytes are tunnelled both
# ways until either side closes; proxy_read_timeout bounds the wait for
# the upstream's bytes. The upstream is Debian's nginx.websocket.server,
# the client nginx.websocket.client or raw bytes.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 2);

our $HttpConfig = <<'_EOC_';
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
_EOC_

# the websocket echo server (upstream) and the proxy in front of it; a
# failed read is noted in the shared dict "seen" where there is one
our $Server = <<'_EOC_';
    location = /ws {
        content_by_lua_block {
            local server = require "nginx.websocket.server"
            local wb, err = server:new{ timeout = 5000, max_payload_len = 200000 }
            if not wb then
                ngx.log(ngx.ERR, "failed to new websocket: ", err)
                return ngx.exit(400)
            end
            while true do
                local data, typ, err = wb:recv_frame()
                if not data then
                    ngx.log(ngx.INFO, "server: failed to receive a frame: ", err)
                    if ngx.shared.seen then ngx.shared.seen:set("upstream", err) end
                    return
                end
                if typ == "close" then
                    wb:send_close(err, "bye")
                    return
                elseif typ == "ping" then
                    wb:send_pong("re: " .. data)
                else
                    wb:send_text(typ .. " " .. #data .. " " .. data:sub(1, 12))
                end
            end
        }
    }
    location = /proxy {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ws;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }
_EOC_

# a websocket handshake's header fields, then a close frame (code 1000,
# masked with a zero key) sent at once
our $Handshake = "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    . "\x88\x82\x00\x00\x00\x00\x03\xe8";

no_shuffle();
run_tests();

__DATA__

=== TEST 1: nginx.websocket.client through proxy_pass to nginx.websocket.server: text, a large frame, ping/pong, close
--- http_config eval: $::HttpConfig
--- config eval
$::Server . <<'_EOC_';
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000, max_payload_len = 200000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/proxy")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            local function recv()
                local data, typ, err = wb:recv_frame()
                ngx.say(typ, ": ", data, " ", tostring(err))
            end
            assert(wb:send_text("hello"))
            recv()
            assert(wb:send_binary(string.rep("b", 100000)))
            recv()
            assert(wb:send_ping("p1"))
            recv()
            assert(wb:send_close(1000, "done"))
            recv()
            ngx.say(select(3, wb:recv_frame()))
        }
    }
_EOC_
--- request
GET /t
--- response_body
text: text 5 hello nil
text: binary 100000 bbbbbbbbbbbb nil
pong: re: p1 nil
close: bye 1000
failed to receive the first 2 bytes: closed
--- no_error_log
[error]



=== TEST 2: the 101 as the client sees it: the upstream's Upgrade and Sec-WebSocket-Accept, "Connection: upgrade", no length; a frame sent with the handshake goes through, the answer counts in $body_bytes_sent
--- http_config eval: $::HttpConfig
--- config eval: $::Server
--- raw_request eval
"GET /proxy HTTP/1.1\r\n" . $::Handshake
--- error_code: 101
--- response_headers
Connection: upgrade
Upgrade: websocket
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
!Content-Length
!Transfer-Encoding
!Keep-Alive
--- access_log
"GET /proxy HTTP/1.1" 101 7 "-" "-"
"GET /ws HTTP/1.1" 101 7 "-" "-"
--- no_error_log
[error]



=== TEST 3: proxy_read_timeout ends a tunnel the upstream sends nothing on
--- http_config eval: $::HttpConfig
--- config eval
$::Server . <<'_EOC_';
    location = /idle {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ws;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_read_timeout 300ms;
    }
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/idle")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            assert(wb:send_text("before"))
            ngx.say(wb:recv_frame())
            local t0 = ngx.now()
            ngx.say(select(3, wb:recv_frame()))
            ngx.update_time()
            ngx.say(ngx.now() - t0 < 4)
        }
    }
_EOC_
--- request
GET /t
--- response_body
text 6 beforetextnil
failed to receive the first 2 bytes: closed
true
--- access_log
"GET /idle HTTP/1.1" 101 15 "-" "-"
--- error_log eval
qr/\[info\] .*upstream timed out \(110: Connection timed out\) while proxying upgraded connection, client: 127.0.0.1, server: localhost, request: "GET \/idle HTTP\/1.1", upstream: "http:\/\/127.0.0.1:\d+\/ws", host: "127.0.0.1:\d+"/



=== TEST 4: a 101 sent by Lua (nginx.websocket.server) carries "Connection: upgrade"
--- http_config eval: $::HttpConfig
--- config eval: $::Server
--- raw_request eval
"GET /ws HTTP/1.1\r\n" . $::Handshake
--- error_code: 101
--- response_headers
Connection: upgrade
Upgrade: websocket
!Content-Length
!Transfer-Encoding
!Keep-Alive
--- no_error_log
[error]



=== TEST 5: wss: the client over TLS to the proxy, which tunnels to the plain upstream
--- http_config eval
$::HttpConfig
. "    server {\n        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;\n        server_name test.com;\n"
. "        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;\n"
. "        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;\n"
. "        location = /proxy {\n            proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/ws;\n"
. "            proxy_http_version 1.1;\n            proxy_set_header Upgrade \$http_upgrade;\n"
. "            proxy_set_header Connection \"upgrade\";\n        }\n    }\n"
--- config eval
$::Server . <<'_EOC_';
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("wss://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT/proxy")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            assert(wb:send_text("over tls"))
            ngx.say(wb:recv_frame())
            assert(wb:send_ping("p"))
            ngx.say(wb:recv_frame())
            assert(wb:send_close(1000, "done"))
            ngx.say(wb:recv_frame())
            ngx.say(select(3, wb:recv_frame()))
        }
    }
_EOC_
--- request
GET /t
--- response_body
text 8 over tlstextnil
re: ppongnil
byeclose1000
failed to receive the first 2 bytes: closed
--- no_error_log
[error]



=== TEST 6: an upstream that refuses the switch answers as usual (its 400 goes to the client, the connection is not tunnelled)
--- http_config eval: $::HttpConfig
--- config eval: $::Server
--- raw_request eval
"GET /proxy HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Version: 13\r
Connection: close\r
\r
"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
failed to new websocket: bad "sec-websocket-key" request header



=== TEST 7: nginx's documented map set-up: one location proxies a websocket (Connection: upgrade) and a plain request (Connection: close) alike
--- http_config eval
$::HttpConfig . <<'_EOC_';
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
_EOC_
--- config eval
$::Server . <<'_EOC_';
    location = /plain {
        content_by_lua_block { ngx.say("plain: ", ngx.var.http_connection, " ", tostring(ngx.var.http_upgrade)) }
    }
    location /mapped/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/mapped/ws")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            assert(wb:send_text("mapped"))
            ngx.say(wb:recv_frame())
            assert(wb:send_close(1000, "done"))
            ngx.say(wb:recv_frame())
            local res = ngx.location.capture("/mapped/plain")
            ngx.print(res.status, " ", res.body)
        }
    }
_EOC_
--- request
GET /t
--- response_body
text 6 mappedtextnil
byeclose1000
200 plain: close nil
--- no_error_log
[error]



=== TEST 8: the client going away ends the tunnel: the upstream's next read sees the connection closed
--- http_config eval
$::HttpConfig . "    lua_shared_dict seen 1m;\n"
--- config eval
$::Server . <<'_EOC_';
    location = /t {
        content_by_lua_block {
            ngx.shared.seen:delete("upstream")
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/proxy")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            assert(wb:send_text("bye"))
            ngx.say(wb:recv_frame())
            wb.sock:close()
            local seen
            for _ = 1, 500 do  -- up to 5 s
                seen = ngx.shared.seen:get("upstream")
                if seen then break end
                ngx.sleep(0.01)
            end
            ngx.say("upstream: ", seen)
        }
    }
_EOC_
--- request
GET /t
--- response_body
text 3 byetextnil
upstream: failed to receive the first 2 bytes: closed
--- no_error_log
[error]



=== TEST 9: the upstream over TLS (proxy_pass https://): the tunnel runs over the upstream's TLS connection
--- http_config eval
$::HttpConfig
. "    server {\n        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;\n        server_name test.com;\n"
. "        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;\n"
. "        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;\n"
. $::Server . "    }\n"
--- config
    location = /tls-proxy {
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT/ws;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/tls-proxy")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            assert(wb:send_text("to tls"))
            ngx.say(wb:recv_frame())
            assert(wb:send_close(1000, "done"))
            ngx.say(wb:recv_frame())
            ngx.say(select(3, wb:recv_frame()))
        }
    }
--- request
GET /t
--- response_body
text 6 to tlstextnil
byeclose1000
failed to receive the first 2 bytes: closed
--- no_error_log
[error]



=== TEST 10: send_timeout ends a tunnel whose client does not read
--- http_config eval
$::HttpConfig . "    lua_shared_dict seen 1m;\n"
--- config
    location = /flood {
        content_by_lua_block {
            local server = require "nginx.websocket.server"
            local wb = assert(server:new{ timeout = 10000, max_payload_len = 2097152 })
            local chunk = string.rep("f", 1048576)
            for i = 1, 64 do
                local ok, err = wb:send_binary(chunk)
                if not ok then
                    ngx.shared.seen:set("flood", "stopped")
                    return
                end
            end
            ngx.shared.seen:set("flood", "all sent")
        }
    }
    location = /slow {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/flood;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        send_timeout 300ms;
    }
    location = /t {
        content_by_lua_block {
            ngx.shared.seen:delete("flood")
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 10000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/slow")
            if not ok then
                ngx.say("failed to connect: ", err)
                return
            end
            local seen
            for _ = 1, 1000 do  -- up to 10 s, not reading
                seen = ngx.shared.seen:get("flood")
                if seen then break end
                ngx.sleep(0.01)
            end
            ngx.say("upstream: ", seen)
            wb.sock:close()
        }
    }
--- request
GET /t
--- response_body
upstream: stopped
--- error_log eval
qr/\[info\] .*client timed out \(110: Connection timed out\) while proxying upgraded connection, client: 127\.0\.0\.1, server: localhost, request: "GET \/slow HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/flood", host: "127\.0\.0\.1:\d+"/
