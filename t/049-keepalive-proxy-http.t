# vim:set ft= ts=4 sw=4 et fdm=marker:
# keepalive_requests and keepalive_timeout on client connections;
# proxy_http_version: HTTP/1.0 with "Connection: close" by default, 1.1 on
# request, the Connection header kept only when proxy_set_header changes it.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: keepalive_requests: the connection's Nth request is its last; keepalive_timeout 0 closes after each
--- config
    location = /two {
        keepalive_requests 2;
        return 200 "ok\n";
    }
    location = /none {
        keepalive_timeout 0;
        return 200 "ok\n";
    }
--- exec
curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}' http://127.0.0.1:$TEST_NGINX_SERVER_PORT/two http://127.0.0.1:$TEST_NGINX_SERVER_PORT/two http://127.0.0.1:$TEST_NGINX_SERVER_PORT/two http://127.0.0.1:$TEST_NGINX_SERVER_PORT/none http://127.0.0.1:$TEST_NGINX_SERVER_PORT/none
--- exec_out: 10101



=== TEST 2: proxy_http_version 1.0 (default) and 1.1; Connection: close unless proxy_set_header says otherwise
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "$server_protocol [$http_connection]\n"; }
    }
    upstream ka {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive 4;
    }
--- config
    location /v10/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location /v11/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        proxy_http_version 1.1;
    }
    location /ka/ {
        proxy_pass http://ka/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
--- request eval
["GET /v10/", "GET /v11/", "GET /ka/"]
--- response_body eval
["HTTP/1.0 [close]\n", "HTTP/1.1 [close]\n", "HTTP/1.1 []\n"]
