# vim:set ft= ts=4 sw=4 et fdm=marker:
# ssl_client_hello_by_lua* and ngx.ssl.clienthello: the client hello's
# server name, versions and extensions before the server block is chosen;
# set_protocols; ngx.exit(ngx.ERROR) and errors abort the handshake.
# TESTs 1-2 pass on nginx + lua too (which names the chunk
# "ssl_client_hello_by_lua", without the conf file and line); TEST 3 does
# not: on Debian's stock OpenSSL the hook cannot yield (as the fetch hook).

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: server name, supported versions, extension data; set_protocols per name
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com old.test;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_client_hello_by_lua_block {
            local ch = require "ngx.ssl.clienthello"
            local name = ch.get_client_hello_server_name()
            local vers = ch.get_supported_versions()
            local has13 = type(vers) == "table" and #vers >= 2
            local sni = ch.get_client_hello_ext(0)
            ngx.log(ngx.WARN, "hello from ", name, " versions offered: ", has13,
                    " sni ext: ", sni and #sni, " phase ", ngx.get_phase())
            if name == "old.test" then
                assert(ch.set_protocols({"TLSv1.2"}))
            end
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt | cut -d, -f1,2
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername old.test -insecure | cut -d, -f1,2
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername old.test -insecure -tls1_3 2>&1 | grep -c "tlsprobe:"
--- exec_out eval
["New, TLSv1.3\n", "New, TLSv1.2\n", "1\n"]
--- error_log
hello from test.com versions offered: true sni ext: 13 phase ssl_client_hello
hello from old.test versions offered: true sni ext: 13 phase ssl_client_hello



=== TEST 2: ngx.exit(ngx.ERROR) and a Lua error abort the handshake
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com refuse.test fail.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_client_hello_by_lua_block {
            local ch = require "ngx.ssl.clienthello"
            local name = ch.get_client_hello_server_name()
            if name == "refuse.test" then
                ngx.exit(ngx.ERROR)
            elseif name == "fail.test" then
                error("bad hello")
            end
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 | cut -d, -f1
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername refuse.test -insecure -tls1_2 2>&1 | grep -c "tlsprobe:"
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername fail.test -insecure -tls1_2 2>&1 | grep -c "tlsprobe:"
--- exec_out eval
["New\n", "1\n", "1\n"]
--- error_log eval
qr/lua entry thread aborted: runtime error: ssl_client_hello_by_lua:7: bad hello/



=== TEST 3: the hook may yield (goresty; a cosocket to redis)
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_client_hello_by_lua_block {
            ngx.sleep(0.001)
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT))
            assert(sock:send("PING\r\n"))
            ngx.log(ngx.WARN, "redis says ", (sock:receive()))
            sock:close()
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -tls1_2 | cut -d, -f1
--- exec_out
New
--- error_log
redis says +PONG



=== TEST 4: get_client_hello_ext for an extension crypto/tls keeps no bytes of (goresty; a documented difference): nil and an error, while get_client_hello_ext_present lists it
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_client_hello_by_lua_block {
            local ch = require "ngx.ssl.clienthello"
            local present = false
            for _, e in ipairs(ch.get_client_hello_ext_present() or {}) do
                present = present or e == 23
            end
            local data, err = ch.get_client_hello_ext(23) -- extended_master_secret
            ngx.log(ngx.WARN, "ext 23 present: ", present, ", data: ", data, ", err: ", err)
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -insecure -tls1_2 | cut -d, -f1
--- exec_out
New
--- error_log
ext 23 present: true, data: nil, err: goresty: the data of this extension is not kept by Go's TLS stack
