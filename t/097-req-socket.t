# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.socket: ngx.req.socket() streams the request body;
# ngx.req.socket(true) takes over the HTTP/1.x connection for
# websocket-style servers (a small RFC 6455 echo below; Debian's
# lua-nginx-websocket on it: t/104). OpenResty's wording for what it
# refuses.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = <<'_EOC_';
    lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
_EOC_

our $WS = <<'_EOC_';
>>> ws.lua
-- RFC 6455 frames over a cosocket: FIN set, payloads under 64k
local bit = require "bit"
local byte, char, band, bxor = string.byte, string.char, bit.band, bit.bxor
local _M = {}

function _M.send(sock, opcode, payload, mask)
    local n = #payload
    local hdr = char(0x80 + opcode)
    local m = mask and 0x80 or 0
    if n < 126 then
        hdr = hdr .. char(m + n)
    else
        hdr = hdr .. char(m + 126, math.floor(n / 256), n % 256)
    end
    if mask then
        local key = { 1, 2, 3, 4 }
        local out = {}
        for i = 1, n do
            out[i] = char(bxor(byte(payload, i), key[(i - 1) % 4 + 1]))
        end
        payload = char(1, 2, 3, 4) .. table.concat(out)
    end
    return sock:send(hdr .. payload)
end

function _M.recv(sock)
    local h, err = sock:receive(2)
    if not h then
        return nil, nil, "failed to receive the first 2 bytes: " .. err
    end
    local b1, b2 = byte(h, 1, 2)
    local n = band(b2, 0x7f)
    if n == 126 then
        local ext = sock:receive(2)
        n = byte(ext, 1) * 256 + byte(ext, 2)
    end
    local key
    if band(b2, 0x80) ~= 0 then
        key = { byte(sock:receive(4), 1, 4) }
    end
    local payload = n > 0 and sock:receive(n) or ""
    if key then
        local out = {}
        for i = 1, n do
            out[i] = char(bxor(byte(payload, i), key[(i - 1) % 4 + 1]))
        end
        payload = table.concat(out)
    end
    return payload, band(b1, 0x0f)
end

-- the server side of the opening handshake, then the raw socket
function _M.accept()
    local key = ngx.req.get_headers()["sec-websocket-key"]
    if ngx.req.http_version() ~= 1.1 or not key then
        return nil, "not a websocket request"
    end
    ngx.header["Upgrade"] = "websocket"
    ngx.header["Connection"] = "Upgrade"
    ngx.header["Sec-WebSocket-Accept"] = ngx.encode_base64(ngx.sha1_bin(key .. "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
    ngx.header["Content-Type"] = nil
    ngx.status = 101
    ngx.send_headers()
    ngx.flush(true)
    return ngx.req.socket(true)
end

-- the client side: the opening handshake over a new connection
function _M.connect(port, path)
    local sock = ngx.socket.tcp()
    sock:settimeout(5000)
    assert(sock:connect("127.0.0.1", port))
    local key = ngx.encode_base64("0123456789abcdef")
    assert(sock:send("GET " .. path .. " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        .. "Sec-WebSocket-Key: " .. key .. "\r\nSec-WebSocket-Version: 13\r\n\r\n"))
    local header = assert(sock:receiveuntil("\r\n\r\n")())
    local accept = ngx.encode_base64(ngx.sha1_bin(key .. "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
    return sock, header:match("^HTTP/1.1 (%d+)"), header:lower():find(("sec-websocket-accept: " .. accept):lower(), 1, true) ~= nil
end

return _M
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a websocket echo server on ngx.req.socket(true)
--- http_config eval: $::HttpConfig
--- user_files eval: $::WS
--- config
    location = /ws {
        content_by_lua_block {
            local ws = require "ws"
            local sock, err = ws.accept()
            if not sock then
                ngx.log(ngx.ERR, "failed to accept: ", err)
                return ngx.exit(400)
            end
            while true do
                local data, op, err = ws.recv(sock)
                if not data then
                    ngx.log(ngx.ERR, err)
                    return
                end
                if op == 8 then
                    ws.send(sock, 8, data)
                    return
                end
                ws.send(sock, 1, "echo: " .. data)
            end
        }
    }
    location = /t {
        content_by_lua_block {
            local ws = require "ws"
            local sock, status, accepted = ws.connect(ngx.var.server_port, "/ws")
            ngx.say(status, " accepted: ", accepted)
            for _, msg in ipairs({ "hello", string.rep("x", 300) }) do
                assert(ws.send(sock, 1, msg, true))
                local data, op = ws.recv(sock)
                ngx.say(op, ": ", #data, " ", data:sub(1, 11))
            end
            assert(ws.send(sock, 8, "\3\232bye", true))
            local data, op = ws.recv(sock)
            ngx.say(op, ": ", data:sub(3))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
101 accepted: true
1: 11 echo: hello
1: 306 echo: xxxxx
8: bye
nilclosed
--- no_error_log
[error]



=== TEST 2: before any header went out, the raw socket writes the whole response itself; ngx.say and the like are refused then
--- config
    server_tokens off;
    location = /t {
        content_by_lua_block {
            ngx.status = 101
            ngx.req.read_body()
            local sock, err = ngx.req.socket(true)
            if not sock then
                ngx.log(ngx.ERR, "server: failed to get raw req socket: ", err)
                return
            end
            local _, dup = ngx.req.socket(true)
            local res = { "dup: " .. dup }
            local function try(f, ok, err)
                res[#res + 1] = f .. ": " .. tostring(ok) .. " " .. err
            end
            try("say", ngx.say("x"))
            try("print", ngx.print("x"))
            try("flush", ngx.flush())
            try("eof", ngx.eof())
            local body = table.concat(res, "\n") .. "\n"
            local ok, err = sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #body .. "\r\nX-Raw: yes\r\n\r\n" .. body)
            if not ok then
                ngx.log(ngx.ERR, "failed to send: ", err)
            end
        }
    }
--- request
POST /t
hello
--- response_headers
X-Raw: yes
--- response_body
dup: duplicate call
say: nil raw request socket acquired
print: nil raw request socket acquired
flush: nil raw request socket acquired
eof: nil raw request socket acquired



=== TEST 3: HTTP/1.0 output already buffered: "http 1.0 buffering"
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
            local sock, err = ngx.req.socket(true)
            ngx.say(tostring(sock), " ", err)
        }
    }
--- raw_request eval
"GET /t HTTP/1.0\r
Host: localhost\r
\r
"
--- response_body
hello
nil http 1.0 buffering
--- no_error_log
[error]



=== TEST 4: a read past the timeout: "timeout" with the partial data, the connection kept; bytes the client sent with the header are not lost
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local sock = assert(ngx.req.socket(true))
            sock:settimeout(100)
            local res = {}
            for i = 1, 2 do
                local data, err, partial = sock:receive(10)
                res[i] = i .. ": " .. tostring(data) .. " " .. err .. " [" .. partial .. "]"
            end
            local body = table.concat(res, "\n") .. "\n"
            sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
Connection: close\r
\r
ab"
--- response_body
1: nil timeout [ab]
2: nil timeout []
--- error_log
lua tcp socket read timed out



=== TEST 5: ngx.req.socket() streams the request body; "closed" at its end; refusals
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.req.socket()
            if not sock then
                ngx.say("failed: ", err)
                return
            end
            for i = 1, 3 do
                local data, err, partial = sock:receive(5)
                ngx.say(i, ": ", data, " ", err, " ", partial)
            end
            ngx.say(select(2, ngx.req.socket()))
            ngx.say(pcall(ngx.req.socket, true, 1))
        }
    }
--- request eval
["POST /t\r\nhello world", "GET /t"]
--- response_body eval
["1: hello nil nil\n2:  worl nil nil\n3: nil closed d\nrequest body already exists\nfalseexpecting zero arguments, but got 2\n", "failed: no body\n"]
--- no_error_log
[error]



=== TEST 6: after read_body: "request body already exists"; a chunked body: "chunked request bodies not supported yet"
--- config
    location = /t {
        content_by_lua_block {
            if ngx.var.arg_read then
                ngx.req.read_body()
            end
            ngx.say(select(2, ngx.req.socket()))
        }
    }
--- raw_request eval
["POST /t?read=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
 "POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]
--- response_body eval
["request body already exists\n", "chunked request bodies not supported yet\n"]
--- no_error_log
[error]



=== TEST 7: HTTP/2: "http v2 not supported yet" (a Lua error, 500)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl http2;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location = /t {
            content_by_lua_block {
                ngx.req.socket(true)
            }
        }
    }
--- config
--- http2
--- tls
sni: test.com
--- request
GET /t
--- error_code: 500
--- error_log
http v2 not supported yet



=== TEST 8: in a subrequest: "attempt to read the request body in a subrequest"
--- config
    location = /sub {
        content_by_lua_block {
            ngx.print(select(2, pcall(ngx.req.socket)))
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.location.capture("/sub").body)
        }
    }
--- request
GET /t
--- response_body_like
attempt to read the request body in a subrequest$
--- no_error_log
[error]
