# vim:set ft= ts=4 sw=4 et fdm=marker:
# Sessions kept in redis by the hooks, as conf/fleet.conf does: the store
# hook hands the session to a 0-delay timer that SETEXes it, the fetch hook
# GETs it through a pooled connection. (t/fleet/ runs two servers sharing
# one redis.) Faults give full handshakes and error-log lines, never
# failed connections.
#
# goresty only: nginx+lua on Debian's OpenSSL cannot yield in the fetch hook
# (no cosockets there) and skips the store hook for TLS 1.3.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 4);

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;

our $HttpConfig = <<'_EOC_';
    lua_package_path "/usr/share/lua/5.1/?.lua;;";

    ssl_session_store_by_lua_block {
        local session = require "ngx.ssl.session"
        local id = session.get_session_id()
        local data = session.get_serialized_session()
        local ok, err = ngx.timer.at(0, function(premature, id, data)
            local red = (require "nginx.redis"):new()
            red:set_timeout(200)
            local ok, err = red:connect("127.0.0.1", REDIS_PORT)
            if not ok then
                ngx.log(ngx.ERR, "fleet: cannot store session: ", err)
                return
            end
            local ok, err = red:setex("goresty:tls:" .. id, 300, data)
            if not ok then
                ngx.log(ngx.ERR, "fleet: cannot store session: ", err)
                return red:close()
            end
            red:set_keepalive(60000, 16)
        end, id, data)
        if not ok then
            ngx.log(ngx.ERR, "fleet: cannot schedule the store: ", err)
        end
    }

    ssl_session_fetch_by_lua_block {
        local session = require "ngx.ssl.session"
        local id = session.get_session_id()
        local red = (require "nginx.redis"):new()
        red:set_timeout(200)
        local ok, err = red:connect("127.0.0.1", REDIS_PORT)
        if not ok then
            ngx.log(ngx.ERR, "fleet: cannot fetch session: ", err)
            return
        end
        local data, err = red:get("goresty:tls:" .. id)
        if data == ngx.null then
            -- the store is asynchronous: give it a moment once
            ngx.sleep(0.05)
            data, err = red:get("goresty:tls:" .. id)
        end
        if not data then
            ngx.log(ngx.ERR, "fleet: cannot fetch session: ", err)
            return red:close()
        end
        red:set_keepalive(60000, 16)
        if data ~= ngx.null then
            local ok, err = session.set_serialized_session(data)
            if not ok then
                ngx.log(ngx.ERR, "fleet: bad session: ", err)
            end
        end
    }

    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        location / {
            content_by_lua_block { ngx.say("ok") }
        }
    }
_EOC_

# the hooks read the port from a global set by init_by_lua
our $WithRedis = $HttpConfig . q{
    init_by_lua_block { REDIS_PORT = $TEST_NGINX_REDIS_PORT }
};
our $NoRedis = $HttpConfig . q{
    init_by_lua_block { REDIS_PORT = $TEST_NGINX_RAND_PORT_1 }
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: TLS 1.2: a session stored in redis is resumed
--- http_config eval: $::WithRedis
--- config
--- request eval
["GET /", "GET /", "GET /"]
--- tls
sni: test.com
version: 1.2
session_cache: on
--- tls_session
New
Reused
Reused
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- no_error_log
[error]



=== TEST 2: TLS 1.3: a session stored in redis is resumed
--- http_config eval: $::WithRedis
--- config
--- request eval
["GET /", "GET /", "GET /"]
--- tls
sni: test.com
version: 1.3
session_cache: on
--- tls_session
New
Reused
Reused
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- no_error_log
[error]



=== TEST 3: redis down: full handshakes, errors logged
--- http_config eval: $::NoRedis
--- config
--- request eval
["GET /", "GET /"]
--- tls
sni: test.com
version: 1.2
session_cache: on
--- tls_session
New
New
--- response_body eval
["ok\n", "ok\n"]
--- error_log
failed (111: Connection refused)



=== TEST 4: redis slower than the timeout: the store times out, the handshake completes
--- http_config eval: $::NoRedis
--- config
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 2s
--- tcp_reply eval
"+OK\r\n"
--- request
GET /
--- tls
sni: test.com
version: 1.3
session_cache: on
--- tls_session
New
--- response_body
ok
--- wait: 0.4
--- error_log
lua tcp socket read timed out
fleet: cannot store session: timeout
