# vim:set ft= ts=4 sw=4 et fdm=marker:
# ssl_session_store_by_lua*: runs once per new session, cannot yield,
# ngx.ssl.session / ngx.ssl in the hook, timers from the hook, errors.
# Every block checks that clients really resume (--- tls_session).

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 4);

# the test.com server of most blocks, after their hooks (http_config eval)
our $TestComServer = <<'_EOC_';
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t { return 200 "ok\n"; }
    }
_EOC_

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: a new TLS 1.2 session is stored once; resumed connections do not store again
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local id = assert(ssl_sess.get_session_id())
        local sess = assert(ssl_sess.get_serialized_session())
        ngx.shared.sess:set(id, sess, 300)
        ngx.log(ngx.WARN, "stored session ", #id, " ", type(sess))
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
_EOC_
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- tls_session
New
Reused
Reused
--- grep_error_log eval: qr/stored session \d+ \w+/
--- grep_error_log_out eval
["stored session 64 string\n", "stored session 64 string\n" x 2, "stored session 64 string\n" x 3]
--- no_error_log
[error]



=== TEST 2: phase name, id format, ngx.ssl basics, log context
--- http_config eval
<<'_EOC_' . $::TestComServer
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local ssl = require "ngx.ssl"
        local id = ssl_sess.get_session_id()
        ngx.log(ngx.WARN, "phase: ", ngx.get_phase(), ", id ok: ", ngx.re.find(id, "^[0-9a-f]{64}$", "jo") ~= nil,
                ", sni: ", ssl.server_name(), ", version: ", ssl.get_tls1_version_str(), " ", ssl.get_tls1_version())
    }
_EOC_
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
ok
--- tls_session
New
--- error_log eval
qr/\[warn\] .*phase: ssl_session_store, id ok: true, sni: test.com, version: TLSv1.2 771, context: ssl_session_store_by_lua\*/



=== TEST 3: ngx.sleep and ngx.socket.tcp are disabled in the store hook; the handshake completes
--- http_config eval
<<'_EOC_' . $::TestComServer
    ssl_session_store_by_lua_block {
        local ok, err = pcall(ngx.socket.tcp)
        ngx.log(ngx.WARN, "socket: ", err)
        ngx.sleep(0.001)
        ngx.log(ngx.WARN, "not reached")
    }
_EOC_
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
ok
--- tls_session
New
--- error_log
socket: API disabled in the context of ssl_session_store_by_lua*
API disabled in the context of ssl_session_store_by_lua*
--- no_error_log
not reached



=== TEST 4: a 0-delay timer saves the session and may yield; the next connection resumes
--- http_config eval
<<'_EOC_' . $::TestComServer
    lua_shared_dict sess 1m;
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local function save(premature, id, sess)
            ngx.sleep(0.001)
            ngx.shared.sess:set(id, sess)
            ngx.log(ngx.WARN, "saved by timer")
        end
        assert(ngx.timer.at(0, save, ssl_sess.get_session_id(), ssl_sess.get_serialized_session()))
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
_EOC_
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n"]
--- tls_session
New
Reused
--- error_log
saved by timer



=== TEST 5: a Lua error in the store hook is logged; the connection is served, nothing resumes
--- http_config eval
<<'_EOC_' . $::TestComServer
    ssl_session_store_by_lua_block {
        error("store boom")
    }
    ssl_session_fetch_by_lua_block {
        ngx.log(ngx.WARN, "fetch ran")
    }
_EOC_
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n"]
--- tls_session
New
New
--- error_log eval
qr/\[error\] .*failed to run session_store_by_lua\*: ssl_session_store_by_lua\(nginx\.conf:\d+\):2: store boom, context: ssl_session_store_by_lua\*/



=== TEST 6: set_serialized_session is fetch-only; ngx.ssl.session is disabled in content
--- http_config
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local ok, err = pcall(ssl_sess.set_serialized_session, "x")
        ngx.log(ngx.WARN, "store set: ", err)
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        location /t {
            content_by_lua_block {
                local ssl_sess = require "ngx.ssl.session"
                local ok, err = pcall(ssl_sess.get_session_id)
                ngx.say(err)
            }
        }
    }
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request
GET /t
--- response_body
API disabled in the context of content_by_lua*
--- tls_session
New
--- error_log
store set: API disabled in the context of ssl_session_store_by_lua*



=== TEST 7: the store hook is not allowed in server blocks
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_session_store_by_lua_block { return }
    }
--- config
--- must_die
--- error_log eval
qr/\[emerg\] "ssl_session_store_by_lua_block" directive is not allowed here in \S+nginx\.conf:\d+/
--- request
GET /t
