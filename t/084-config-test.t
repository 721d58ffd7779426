# vim:set ft= ts=4 sw=4 et fdm=marker:
# What -t passes must start: files named by directives are checked at -t,
# with [emerg] ... in FILE:LINE; worker_connections is enforced as nginx
# does it.

use Test::Nginx::Socket::Lua;

repeat_each(1);
worker_connections(4);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: -t refuses a short seal key, a bad ticket key and a CA file without certificates, with file:line
--- user_files
>>> short.key
12345
>>> bad.pem
not a certificate
>>> seal.conf
events {}
http {
    ssl_session_seal_key short.key;
}
>>> ticket.conf
events {}
http {
    server {
        listen 127.0.0.1:1;
        ssl_session_ticket_key short.key;
    }
}
>>> ca.conf
events {}
http {
    lua_ssl_trusted_certificate bad.pem;
}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/seal.conf -e stderr 2>&1
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/ticket.conf -e stderr 2>&1
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/ca.conf -e stderr 2>&1
--- exec_status
1
--- exec_out_like eval
[
qr{\A\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "\S+/html/short.key" must be at least 32 bytes in \S+/html/seal.conf:3\ngoresty: configuration file \S+ test failed\n\z},
qr{\A\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "\S+/html/short.key" must be 80 or 48 bytes in \S+/html/ticket.conf:5\n},
qr{\A\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: SSL_CTX_load_verify_locations\("\S+/html/bad.pem"\) failed \(no PEM certificate in it\) in \S+/html/ca.conf:3\n},
]



=== TEST 2: ssl_session_seal_key off cannot be combined with key files
--- user_files
>>> seal.key
0123456789abcdef0123456789abcdef
>>> both.conf
events {}
http {
    ssl_session_seal_key seal.key;
    ssl_session_seal_key off;
}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/both.conf -e stderr 2>&1
--- exec_status: 1
--- exec_out_like
^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "ssl_session_seal_key off" cannot be combined with other ssl_session_seal_key directives in \S+/html/both.conf:4



=== TEST 3: connections past worker_connections x worker_processes are closed with nginx's alert
--- config
    location = /t { return 200 "ok\n"; }
--- exec
bash -c 'trap "" PIPE; for fd in 3 4 5 6 7 8; do eval "exec $fd<>/dev/tcp/127.0.0.1/$TEST_NGINX_SERVER_PORT"; done; printf "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n" >&3; head -1 <&3 | cut -d" " -f2; printf "GET /t HTTP/1.0\r\n\r\n" >&8 2>/dev/null; echo "6th: $(cat <&8 2>/dev/null | wc -c) bytes"'
--- exec_out
200
6th: 0 bytes
--- error_log
4 worker_connections are not enough



=== TEST 4: difference: worker_connections counts client connections only (nginx also counts its listening, upstream and cosocket connections, and would refuse the third cosocket here)
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 5 do
                local s = ngx.socket.tcp()
                local ok, err = s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
                if not ok then
                    ngx.say("cosocket ", i, ": ", err)
                    return
                end
                socks[i] = s
            end
            ngx.say("5 cosocket connections held")
            for _, s in ipairs(socks) do s:close() end
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply:
--- request
GET /t
--- response_body
5 cosocket connections held
--- no_error_log
worker_connections are not enough
