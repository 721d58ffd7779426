# vim:set ft= ts=4 sw=4 et fdm=marker:
# Cosocket sslhandshake verification as OpenSSL does it for OpenResty (the
# subject's CN when a certificate has no DNS name; OpenSSL's verify error
# numbers and texts), and lua_socket_* timeouts written in server and
# location blocks.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_ssl_trusted_certificate $ENV{TEST_NGINX_CERT_DIR}/ca.crt;
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name cn-only.test;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/cn-only.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/cn-only.key;
        location / {
            return 200 "cn-only\\n";
        }
    }
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a certificate with a CN and no DNS name: the CN is the host name
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for _, name in ipairs({"cn-only.test", "CN-ONLY.test", "other.test"}) do
                local sock = ngx.socket.tcp()
                sock:settimeout(2000)
                assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_SSL_PORT))
                local sess, err = sock:sslhandshake(nil, name, true)
                ngx.say(name, ": ", sess ~= nil, " ", err)
                sock:close()
            end
        }
    }
--- request
GET /t
--- response_body
cn-only.test: true nil
CN-ONLY.test: true nil
other.test: false certificate host mismatch
--- error_log
lua ssl certificate does not match host "other.test"



=== TEST 2: verify errors carry OpenSSL's numbers and texts
--- http_config eval
$::HttpConfig . qq{
    server {
        listen \$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/self-signed.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/self-signed.key;
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(2000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(sock:sslhandshake(nil, "self-signed.test", true))
        }
    }
--- request
GET /t
--- response_body
nil18: self-signed certificate
--- error_log
lua ssl certificate verify error: (18: self-signed certificate)



=== TEST 3: lua_socket_read_timeout in a server block; settimeout with a non-number falls back to it
--- config
    lua_socket_read_timeout 100ms;
    location = /slow {
        content_by_lua_block {
            ngx.sleep(0.6)
            ngx.say("late")
        }
    }
    location = /t {
        content_by_lua_block {
            local function try(timeout)
                local sock = ngx.socket.tcp()
                if timeout ~= nil then
                    sock:settimeout(timeout)
                end
                assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
                assert(sock:send("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                ngx.update_time()
                local t0 = ngx.now()
                local line, err = sock:receive()
                ngx.update_time()
                sock:close()
                return tostring(line) .. " " .. tostring(err) .. " " .. tostring(ngx.now() - t0 < 0.5)
            end
            ngx.say("server: ", try())
            ngx.say("table: ", try({}))
        }
    }
--- request
GET /t
--- response_body
server: nil timeout true
table: nil timeout true
--- error_log
lua tcp socket read timed out



=== TEST 4: lua_socket_read_timeout in a location overrides the server's
--- config
    lua_socket_read_timeout 100ms;
    location = /slow {
        content_by_lua_block {
            ngx.sleep(0.3)
            ngx.say("late")
        }
    }
    location = /t {
        lua_socket_read_timeout 2s;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            assert(sock:send("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
--- no_error_log
[error]



=== TEST 5: connect without a port
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("127.0.0.1"))
            ngx.say(ngx.socket.connect("127.0.0.1"))
        }
    }
--- request
GET /t
--- response_body
nilmissing the port number
nilmissing the port number
--- no_error_log
[error]



=== TEST 6: lua_socket_log_errors off: cosocket failures are returned, not logged
--- config
    lua_socket_log_errors off;
    location = /slow {
        content_by_lua_block {
            ngx.sleep(0.3)
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock = ngx.socket.tcp()
            sock:settimeout(50)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            assert(sock:send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
nilconnection refused
niltimeout
--- no_error_log
[error]



=== TEST 7: lua_socket_log_errors off in http, on again in a location
--- http_config
    lua_socket_log_errors off;
--- config
    location = /t {
        lua_socket_log_errors on;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
        }
    }
--- request
GET /t
--- response_body
nilconnection refused
--- error_log
connect() failed (111: Connection refused)
