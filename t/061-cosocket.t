# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.tcp / ngx.socket.connect / ngx.socket.udp: connect, send,
# receive patterns, receiveuntil, timeouts, errors, keepalive pools, phases.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: connect, send a nested table, receive lines and bytes
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(1000)
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
            ngx.say("connect: ", ok, " ", err)
            ngx.say("send: ", sock:send({"hel", {"lo", 1}, "\n"}))
            ngx.say(sock:receive())
            ngx.say(sock:receive("*l"))
            ngx.say(sock:receive(3))
            ngx.say(sock:receive("*a"))
            ngx.say(sock:receive())
            ngx.say(sock:close())
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
"hello1\n"
--- tcp_reply eval
"first line\r\nsecond\nabcrest of it"
--- request
GET /t
--- response_body
connect: 1 nil
send: 7
first line
second
abc
rest of it
nilclosed
1
--- no_error_log
[error]



=== TEST 2: receiveuntil, whole parts and sized chunks
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock:send("go\n")
            local reader = sock:receiveuntil("--abc")
            ngx.say(reader())
            while true do
                local data, err, partial = reader(4)
                if not data then
                    ngx.say("end: ", err)
                    break
                end
                ngx.say("chunk: ", data)
            end
            local data, err, partial = reader()
            ngx.say(data, " ", err, " ", partial)
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply: first--abcsecond part--abctail
--- request
GET /t
--- response_body
first
chunk: seco
chunk: nd p
chunk: art
end: nil
nil closed tail
--- no_error_log
[error]



=== TEST 3: connection refused
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(ngx.socket.connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
        }
    }
--- request
GET /t
--- response_body
nilconnection refused
nilconnection refused
--- error_log eval
qr/connect\(\) .*failed \(111: Connection refused\)/



=== TEST 4: a read timeout keeps the connection and is logged
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeouts(1000, 1000, 100)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock:send("x")
            ngx.say(sock:receive())
            sock:settimeout(2000)
            ngx.say(sock:receive())
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 300ms
--- tcp_reply eval
"late\n"
--- request
GET /t
--- response_body
niltimeout
late
--- error_log
lua tcp socket read timed out



=== TEST 5: no resolver for a name that needs one
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("agentzh.invalid", 80)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like
^nil (no resolver defined to resolve "agentzh.invalid"|agentzh.invalid could not be resolved.*)$
--- no_error_log
[crit]



=== TEST 6: cosockets work in timers
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                local sock = ngx.socket.tcp()
                local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
                sock:send("ping\n")
                ngx.log(ngx.WARN, "timer got: ", sock:receive())
            end)
            ngx.sleep(0.2)
            ngx.say("done")
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
"pong\n"
--- request
GET /t
--- response_body
done
--- error_log
timer got: pong



=== TEST 7: disabled in init_worker_by_lua*, allowed in content
--- http_config
    lua_shared_dict d 1m;
    init_worker_by_lua_block {
        local ok, err = pcall(ngx.socket.tcp)
        ngx.shared.d:set("tcp", err)
        local ok, err = pcall(ngx.socket.udp)
        ngx.shared.d:set("udp", err)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.d:get("tcp"))
            ngx.say(ngx.shared.d:get("udp"))
            ngx.say(type(ngx.socket.tcp()))
        }
    }
--- request
GET /t
--- response_body_like
API disabled in the context of init_worker_by_lua\*
.*API disabled in the context of init_worker_by_lua\*
table
--- no_error_log
[error]



=== TEST 8: keepalive pool: the next request reuses the connection
--- config
    location = /echo {
        content_by_lua_block { ngx.say("echo") }
    }
    location = /t {
        content_by_lua_block {
            local base
            for i = 1, 3 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
                base = base or sock:getreusedtimes() -- earlier repetitions left it in the pool
                ngx.say("reused: ", sock:getreusedtimes() - base)
                sock:send("GET /echo HTTP/1.1\r\nHost: localhost\r\n\r\n")
                local reader = sock:receiveuntil("\r\n\r\n")
                local headers = reader()
                local len = tonumber(headers:match("[Cc]ontent%-[Ll]ength: (%d+)"))
                local body
                if len then
                    body = sock:receive(len)
                else -- chunked
                    local size = tonumber(sock:receive(), 16)
                    body = sock:receive(size)
                    sock:receive() sock:receive() sock:receive()
                end
                ngx.print("body: ", body)
                ngx.say(sock:setkeepalive(10000, 4))
                ngx.say(sock:send("x"))
            end
        }
    }
--- request
GET /t
--- response_body
reused: 0
body: echo
1
nilclosed
reused: 1
body: echo
1
nilclosed
reused: 2
body: echo
1
nilclosed
--- error_log
attempt to send data on a closed socket



=== TEST 9: udp
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            udp:settimeout(1000)
            ngx.say(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(udp:send({"hel", "lo"}))
            ngx.say(udp:receive())
            ngx.say(udp:close())
            ngx.say(udp:send("x"))
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_query: hello
--- udp_reply: world
--- request
GET /t
--- response_body
1
1
world
1
nilclosed
--- error_log
attempt to send data on a closed socket



=== TEST 10: a connection left open by a finished request is closed; an unconnected socket kept from another request can be connected
--- config
    location = /keep {
        content_by_lua_block {
            local kept = ngx.socket.tcp()
            assert(kept:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            package.loaded.kept = kept
            package.loaded.spare = ngx.socket.tcp()
            ngx.say("kept")
        }
    }
    location = /t {
        content_by_lua_block {
            -- run /keep as a request of its own, to its end (the server
            -- closes the connection once that request is finished)
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            assert(sock:send("GET /keep HTTP/1.0\r\nHost: localhost\r\n\r\n"))
            local resp = assert(sock:receive("*a"))
            sock:close()
            ngx.print(resp:match("\r\n\r\n(.*)$"))
            local kept = package.loaded.kept
            ngx.say(kept:send("x"))
            ngx.say(kept:receive())
            ngx.say(kept:close())
            -- connected by another request: never again by this one
            ngx.say(pcall(kept.connect, kept, "127.0.0.1", $TEST_NGINX_SERVER_PORT))
            local spare = package.loaded.spare
            ngx.say(spare:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            spare:close()
        }
    }
--- request
GET /t
--- response_body
kept
nilclosed
nilclosed
nilclosed
falsebad request
1
--- error_log
attempt to send data on a closed socket
