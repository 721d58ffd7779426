# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.ssl.session.store (goresty built-in): the store hook queues sessions,
# one timer per worker writes them in pipelined batches to redis or
# memcached, the fetch hook reads them through a bounded pool; counters and
# a fetch-latency histogram in ssl_session_metrics; store.log logs a line
# at most once a second per message. (t/fleet/ runs two servers, bursts and
# outages.)
#
# goresty only: the module is goresty's, and nginx+lua on Debian's OpenSSL
# cannot yield in the fetch hook.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 4);

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;
$ENV{TEST_NGINX_MEMCACHED_PORT} ||= 11211;

our $Hooks = <<'_EOC_';
    lua_package_path "/usr/share/lua/5.1/?.lua;;";

    ssl_session_store_by_lua_block {
        local session = require "ngx.ssl.session"
        local store = require "ngx.ssl.session.store"
        local ok, err = store.queue(session.get_session_id(), session.get_serialized_session())
        if not ok then
            store.log(ngx.ERR, "cannot queue session: ", err)
        end
    }

    ssl_session_fetch_by_lua_block {
        local session = require "ngx.ssl.session"
        local store = require "ngx.ssl.session.store"
        local data = store.fetch(session.get_session_id())
        if data then
            local ok, err = session.set_serialized_session(data)
            if not ok then
                store.log(ngx.ERR, "bad session: ", err)
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
        location = /metrics {
            ssl_session_metrics;
        }
        location = /redis-keys {
            content_by_lua_block {
                local red = (require "nginx.redis"):new()
                assert(red:connect("127.0.0.1", $TEST_NGINX_REDIS_PORT))
                -- the store writes in batches from a timer: poll for a while
                local keys = red:keys("goresty:t065:*")
                for _ = 1, 100 do
                    if #keys > 0 then break end
                    ngx.sleep(0.05)
                    keys = red:keys("goresty:t065:*")
                end
                local ttl = 0 -- the newest key's (earlier runs left others)
                for _, k in ipairs(keys) do
                    ttl = math.max(ttl, red:ttl(k))
                end
                ngx.say(#keys > 0, " ", ttl > 290 and ttl <= 300)
                red:set_keepalive()
            }
        }
        location = /memcached-keys {
            content_by_lua_block {
                -- the store writes in batches from a timer: poll for a while
                local n = 0
                for _ = 1, 100 do
                    local sock = ngx.socket.tcp()
                    assert(sock:connect("127.0.0.1", $TEST_NGINX_MEMCACHED_PORT))
                    -- memcached's item list (keys URL-encoded)
                    sock:send("lru_crawler metadump all\r\n")
                    while true do
                        local line = assert(sock:receive())
                        if line == "END" then break end
                        if line:find("key=goresty%3At065%3A", 1, true) then n = n + 1 end
                    end
                    sock:setkeepalive()
                    if n > 0 then break end
                    ngx.sleep(0.05)
                end
                ngx.say(n > 0)
            }
        }
    }
_EOC_

our $Redis = $Hooks . q{
    init_by_lua_block {
        require("ngx.ssl.session.store").configure{
            host = "127.0.0.1", port = $TEST_NGINX_REDIS_PORT, prefix = "goresty:t065:",
        }
    }
};
our $Memcached = $Hooks . q{
    init_by_lua_block {
        require("ngx.ssl.session.store").configure{
            backend = "memcached", port = $TEST_NGINX_MEMCACHED_PORT, prefix = "goresty:t065:",
        }
    }
};
# nothing listens there: every write and fetch fails
our $Down = $Hooks . q{
    init_by_lua_block {
        require("ngx.ssl.session.store").configure{
            port = $TEST_NGINX_RAND_PORT_1, queue_size = 2,
        }
    }
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: redis, TLS 1.2: stored in the background, resumed, counted
--- http_config eval: $::Redis
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /", "GET /", "GET /metrics"]
--- tls_session
New
Reused
Reused
--- response_body_like eval
["^ok\n\$", "^ok\n\$",
qr/goresty_ssl_session_store_queued_total [1-9]\d*
[\s\S]*goresty_ssl_session_store_written_total [1-9]\d*
[\s\S]*goresty_ssl_session_store_dropped_total 0
[\s\S]*goresty_ssl_session_store_errors_total 0
[\s\S]*goresty_ssl_session_store_queue_length 0
[\s\S]*goresty_ssl_session_store_fetches_total\{result="hit"\} [1-9]\d*
[\s\S]*goresty_ssl_session_store_fetch_duration_seconds_bucket\{le="0.0005"\} \d+
[\s\S]*goresty_ssl_session_store_fetch_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*
goresty_ssl_session_store_fetch_duration_seconds_sum [\d.e-]+
goresty_ssl_session_store_fetch_duration_seconds_count [1-9]\d*
$/]
--- no_error_log
[error]



=== TEST 2: redis, TLS 1.3: the session is in redis under the prefix, with the ttl
--- http_config eval: $::Redis
--- config
--- tls
sni: test.com
version: 1.3
session_cache: on
--- request eval
["GET /", "GET /", "GET /redis-keys"]
--- tls_session
New
Reused
Reused
--- response_body eval
["ok\n", "ok\n", "true true\n"]
--- no_error_log
[error]



=== TEST 3: memcached: stored and resumed
--- http_config eval: $::Memcached
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /", "GET /", "GET /memcached-keys"]
--- tls_session
New
Reused
Reused
--- response_body eval
["ok\n", "ok\n", "true\n"]
--- no_error_log
[error]



=== TEST 4: store down: the queue keeps the sessions and this worker still resumes them
--- http_config eval: $::Down
--- config
--- tls
sni: test.com
version: 1.2
session_cache: on
--- request eval
["GET /", "GET /", "GET /metrics"]
--- tls_session
New
Reused
Reused
--- response_body_like eval
["^ok\n\$", "^ok\n\$",
qr/goresty_ssl_session_store_queued_total [1-9]\d*
[\s\S]*goresty_ssl_session_store_written_total 0
[\s\S]*goresty_ssl_session_store_errors_total [1-9]\d*
[\s\S]*goresty_ssl_session_store_queue_length [1-2]
/]
--- no_error_log
cannot fetch



=== TEST 5: a full queue drops the oldest, counted
--- http_config eval: $::Down
--- config
    location = /fill {
        content_by_lua_block {
            local store = require "ngx.ssl.session.store"
            ngx.say(store.queue("a", "1"), store.queue("b", "2"), store.queue("c", "3"))
            ngx.say((store.fetch("a")), " ", (store.fetch("b")), " ", (store.fetch("c")))
        }
    }
    location = /metrics {
        ssl_session_metrics;
    }
--- request eval
["GET /fill", "GET /metrics"]
--- response_body_like eval
["^truetruetrue\nnil 2 3\n\$",
qr/goresty_ssl_session_store_dropped_total [1-9]\d*
/]
--- no_error_log
[crit]



=== TEST 6: store.log: one line a second per message, then how many were suppressed
--- config
    location = /t {
        content_by_lua_block {
            local store = require "ngx.ssl.session.store"
            -- each repetition has messages of its own (the limit is per process)
            local run = ngx.var.connection
            for i = 1, 5 do
                store.log(ngx.ERR, "t065 flood ", run, " A")
                store.log(ngx.ERR, "t065 flood ", run, " B")
            end
            ngx.sleep(1.05) -- the time the limit is about
            store.log(ngx.ERR, "t065 flood ", run, " A")
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- grep_error_log eval: qr/t065 flood \d+ [AB](?: \(\d+ similar messages suppressed\))?/
--- grep_error_log_out eval
[
qr/^t065 flood \d+ A\nt065 flood \d+ B\nt065 flood \d+ A \(4 similar messages suppressed\)\n\z/,
qr/^t065 flood \d+ A\nt065 flood \d+ B\nt065 flood \d+ A \(4 similar messages suppressed\)\n\z/,
]



=== TEST 7: bad options are Lua errors naming the option
--- config
    location = /t {
        content_by_lua_block {
            local store = require "ngx.ssl.session.store"
            for _, o in ipairs{{backend = "mysql"}, {ttl = 0}, {batch = "x"}, {backlog = -1}} do
                ngx.say(select(2, pcall(store.configure, o)))
            end
            ngx.say(store.queue("a", "b"))
        }
    }
--- request
GET /t
--- response_body_like
bad "backend" option value: mysql
.*bad "ttl" option value: 0
.*bad "batch" option value: x
.*bad "backlog" option value: -1
nilnot configured
--- no_error_log
[error]



=== TEST 8: after a failed fetch the store is skipped for a while: no handshake waits for it
--- http_config eval: $::Down
--- config
    location = /t {
        content_by_lua_block {
            local store = require "ngx.ssl.session.store"
            local errs = {}
            for i = 1, 4 do
                local data, err = store.fetch("t065-" .. i)
                errs[i] = tostring(data) .. " " .. tostring(err)
            end
            ngx.say(table.concat(errs, "\n"))
        }
    }
--- request
GET /t
--- response_body_like
^nil (redis connect: connection refused|store unreachable)
nil store unreachable
nil store unreachable
nil store unreachable
--- no_error_log
[crit]
