# vim:set ft= ts=4 sw=4 et fdm=marker:
# balancer_by_lua* and ngx.balancer: the peer of each attempt chosen in
# Lua (set_current_peer), retries it allows (set_more_tries) seeing the
# previous failure (get_last_failure); a Lua error is a 500.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the peer is chosen by ngx.var in Lua
--- http_config
    upstream backend {
        server 127.0.0.1:1;
        balancer_by_lua_block {
            local balancer = require "ngx.balancer"
            local port = ngx.var.arg_b == "2" and $TEST_NGINX_RAND_PORT_2 or $TEST_NGINX_RAND_PORT_1
            assert(balancer.set_current_peer("127.0.0.1", port))
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "backend one\n"; }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        location / { return 200 "backend two\n"; }
    }
--- config
    location = /t {
        proxy_pass http://backend;
    }
--- request eval
["GET /t?b=1", "GET /t?b=2"]
--- response_body eval
["backend one\n", "backend two\n"]
--- no_error_log
[error]



=== TEST 2: set_more_tries lets a failed peer be retried elsewhere; get_last_failure says why
--- http_config
    upstream backend {
        server 127.0.0.1:1;
        balancer_by_lua_block {
            local balancer = require "ngx.balancer"
            local state, status = balancer.get_last_failure()
            if not state then
                assert(balancer.set_more_tries(1))
                assert(balancer.set_current_peer("127.0.0.1", $TEST_NGINX_RAND_PORT_3)) -- nobody listens
            else
                ngx.log(ngx.WARN, "last failure: ", state, " ", status)
                assert(balancer.set_current_peer("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            end
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "backend one\n"; }
    }
--- config
    location = /t {
        proxy_pass http://backend;
    }
--- request
GET /t
--- response_body
backend one
--- error_log
last failure: failed 502



=== TEST 3: a Lua error in balancer_by_lua* is a 500
--- http_config
    upstream backend {
        server 127.0.0.1:1;
        balancer_by_lua_block {
            error("no peer for you")
        }
    }
--- config
    location = /t {
        proxy_pass http://backend;
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/balancer_by_lua\(nginx.conf:\d+\):2: no peer for you/
