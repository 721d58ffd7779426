# vim:set ft= ts=4 sw=4 et fdm=marker:
# Debian's lua-nginx-websocket (lua-resty-websocket as nginx.websocket.*),
# unmodified from lua_package_path: its server and client load on
# goresty's built-in nginx.websocket.protocol (the released one needs
# LuaJIT's ffi) and talk to each other over a cosocket; the protocol
# module's frames and errors, byte for byte.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = <<'_EOC_';
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
_EOC_

# An echo server: each data frame comes back as a text frame naming its
# type and "again" (not the last fragment); ping gets pong; close is
# answered with the same code; a failed recv_frame is logged.
our $Server = <<'_EOC_';
    location = /ws {
        content_by_lua_block {
            local server = require "nginx.websocket.server"
            local max = tonumber(ngx.var.arg_max) or 65535
            local wb, err = server:new{ timeout = 5000, max_payload_len = max }
            if not wb then
                ngx.log(ngx.ERR, "failed to new websocket: ", err)
                return ngx.exit(400)
            end
            while true do
                local data, typ, err = wb:recv_frame()
                if not data then
                    ngx.log(ngx.ERR, "server: failed to receive a frame: ", err)
                    ngx.log(ngx.ERR, "server: then: ", select(2, wb:send_text("x")))
                    return
                end
                if typ == "close" then
                    wb:send_close(err, "bye")
                    return
                elseif typ == "ping" then
                    wb:send_pong("re: " .. data)
                else
                    local shown = typ == "binary" and require("nginx.string").to_hex(data) or data:sub(1, 12)
                    wb:send_text(typ .. " " .. tostring(err) .. " " .. #data .. " " .. shown)
                end
            end
        }
    }
_EOC_

# the echo server again in a TLS server block
our $TLSConfig = $::HttpConfig
    . "    server {\n        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;\n        server_name test.com;\n"
    . "        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;\n"
    . "        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;\n"
    . $::Server . "    }\n";

no_shuffle();
run_tests();

__DATA__

=== TEST 1: nginx.websocket.client talks to nginx.websocket.server: text, binary, ping/pong, fragments, close; the client masks its frames, the server does not
--- http_config eval: $::HttpConfig
--- config eval
$::Server . <<'_EOC_';
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb, err = client:new{ timeout = 5000, max_payload_len = 100000 }
            local ok, err = wb:connect("ws://127.0.0.1:" .. ngx.var.server_port .. "/ws?max=100000")
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
            assert(wb:send_binary("\0\1\2\255"))
            recv()
            assert(wb:send_text(string.rep("a", 300)))
            recv()
            assert(wb:send_text(string.rep("b", 70000)))
            recv()
            assert(wb:send_ping("p1"))
            recv()
            assert(wb:send_frame(false, 0x1, "frag1"))
            recv()
            assert(wb:send_frame(false, 0x0, "frag2"))
            recv()
            assert(wb:send_frame(true, 0x0, "frag3"))
            recv()
            ngx.say("bytes: ", (wb:send_close(1001, "going")))
            recv()
            ngx.say("after close: ", select(2, wb:send_text("x")))
            ngx.say("close: ", wb:close())
        }
    }
_EOC_
--- request
GET /t
--- response_body
text: text nil 5 hello nil
text: binary nil 4 000102ff nil
text: text nil 300 aaaaaaaaaaaa nil
text: text nil 70000 bbbbbbbbbbbb nil
pong: re: p1 nil
text: text again 5 frag1 nil
text: continuation again 5 frag2 nil
text: continuation nil 5 frag3 nil
bytes: 13
close: bye 1001
after close: already closed
close: 1
--- no_error_log
[error]



=== TEST 2: max_payload_len: the sender refuses ("payload too big"), the receiver fails the frame ("exceeding max payload len") and then refuses everything; an unmasked frame to a server
--- http_config eval: $::HttpConfig
--- config eval
$::Server . <<'_EOC_';
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local uri = "ws://127.0.0.1:" .. ngx.var.server_port .. "/ws?max=20"

            local wb = client:new{ timeout = 5000, max_payload_len = 16 }
            assert(wb:connect(uri))
            ngx.say("send 17: ", select(2, wb:send_text(string.rep("x", 17))))
            ngx.say("then: ", select(2, wb:send_text("x")))

            wb = client:new{ timeout = 5000 }
            assert(wb:connect(uri))
            ngx.say("ping 126: ", select(2, wb:send_ping(string.rep("x", 126))))

            wb = client:new{ timeout = 5000, max_payload_len = 16 }
            assert(wb:connect(uri))
            assert(wb:send_text(string.rep("y", 6)))
            ngx.say("recv 17: ", select(3, wb:recv_frame()))
            ngx.say("then: ", select(3, wb:recv_frame()))

            wb = client:new{ timeout = 5000 }
            assert(wb:connect(uri))
            assert(wb:send_text(string.rep("z", 21)))
            ngx.say("server got 21: ", select(3, wb:recv_frame()))

            wb = client:new{ timeout = 5000, send_unmasked = true }
            assert(wb:connect(uri))
            assert(wb:send_text("plain"))
            ngx.say("server got unmasked: ", select(3, wb:recv_frame()))
        }
    }
_EOC_
--- request
GET /t
--- response_body
send 17: payload too big
then: fatal error already happened
ping 126: too much payload for control frame
recv 17: exceeding max payload len
then: fatal error already happened
server got 21: failed to receive the first 2 bytes: closed
server got unmasked: failed to receive the first 2 bytes: closed
--- error_log
server: failed to receive a frame: exceeding max payload len
server: then: fatal error already happened
server: failed to receive a frame: frame unmasked



=== TEST 3: nginx.websocket.protocol frames: build_frame byte for byte, recv_frame of raw bytes with its error strings
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local proto = require "nginx.websocket.protocol"
            local to_hex = require("nginx.string").to_hex
            ngx.say(proto._VERSION, " ", type(proto.new_tab), " ", type(proto.new_tab(0, 1)))
            ngx.say(to_hex(proto.build_frame(true, 0x1, 2, "hi")))
            ngx.say(to_hex(proto.build_frame(false, 0x2, 0, "")))
            ngx.say(to_hex(proto.build_frame(true, 0x2, 126, string.rep("\0", 126)):sub(1, 8)))
            ngx.say(to_hex(proto.build_frame(true, 0x2, 65536, string.rep("\0", 65536)):sub(1, 10)))
            ngx.say(proto.build_frame(true, 0x2, 2^31, ""))

            local f = proto.build_frame(true, 0x1, 5, "hello", true)
            local key = { f:byte(3, 6) }
            local plain = {}
            for i = 1, 5 do
                plain[i] = string.char(bit.bxor(f:byte(6 + i), key[(i - 1) % 4 + 1]))
            end
            ngx.say(to_hex(f:sub(1, 2)), " ", #f, " ", table.concat(plain))

            local function reader(s)
                local pos = 1
                return { receive = function(_, n)
                    if pos + n - 1 > #s then
                        return nil, "closed"
                    end
                    pos = pos + n
                    return s:sub(pos - n, pos - 1)
                end }
            end
            local function masked(b1, payload)
                local k = { 0x37, 0xfa, 0x21, 0x3d }
                local out = {}
                for i = 1, #payload do
                    out[i] = string.char(bit.bxor(payload:byte(i), k[(i - 1) % 4 + 1]))
                end
                return string.char(b1, 0x80 + #payload, unpack(k)) .. table.concat(out)
            end
            local cases = {
                masked(0x81, "Hello"),
                "\129\5Hello",
                masked(0x01, "Hel"),
                masked(0x80, "lo"),
                masked(0x82, ""),
                masked(0x88, "\3\232closing"),
                masked(0x88, "\3\233"),
                masked(0x88, ""),
                masked(0x88, "x"),
                masked(0x89, "ping"),
                masked(0x8a, "pong"),
                "\193\0",
                "\131\0",
                "\139\128",
                "\9\128",
                masked(0x89, string.rep("p", 126)):sub(1, 4),
                "\129\254\0\201",
                "\129\255\0\0\0\1\0\0\0\0",
                "\129\255\0\0\0\0\128\0\0\0",
                "\129\255\0\0\0\0\0\0\0\201",
                "\129\254\0",
                "\129\255\0\0",
                "\129",
                masked(0x81, "truncated"):sub(1, 9),
            }
            for i, s in ipairs(cases) do
                local data, typ, err = proto.recv_frame(reader(s), 200, true)
                ngx.say(i, ": ", data, " ", typ, " ", err)
            end
            ngx.say("unmasked ok: ", proto.recv_frame(reader("\129\5Hello"), 200, false))
        }
    }
--- request
GET /t
--- response_body
0.08 function table
81026869
0200
827e007e00000000
827f0000000000010000
nilpayload too big
8185 11 hello
1: Hello text nil
2: nil nil frame unmasked
3: Hel text again
4: lo continuation nil
5:  binary nil
6: closing close 1000
7:  close 1001
8:  close nil
9: nil nil close frame with a body must carry a 2-byte status code
10: ping ping nil
11: pong pong nil
12: nil nil bad RSV1, RSV2, or RSV3 bits
13: nil nil reserved non-control frames
14: nil nil reserved control frames
15: nil nil fragmented control frame
16: nil nil too long payload for control frame
17: nil nil exceeding max payload len
18: nil nil payload len too large
19: nil nil payload len too large
20: nil nil exceeding max payload len
21: nil nil failed to receive the 2 byte payload length: closed
22: nil nil failed to receive the 8 byte payload length: closed
23: nil nil failed to receive the first 2 bytes: closed
24: nil nil failed to read masking-len and payload: closed
unmasked ok: Hellotextnil
--- no_error_log
[error]



=== TEST 4: wss: the client over TLS (sslhandshake) to the same echo server on a TLS port
--- http_config eval: $::TLSConfig
--- config
    location = /t {
        content_by_lua_block {
            local client = require "nginx.websocket.client"
            local wb = client:new{ timeout = 5000 }
            local ok, err = wb:connect("wss://127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT/ws")
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
--- request
GET /t
--- response_body
text nil 8 over tlstextnil
re: ppongnil
byeclose1000
failed to receive the first 2 bytes: closed
--- no_error_log
[error]
