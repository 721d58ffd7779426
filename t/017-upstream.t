# vim:set ft= ts=4 sw=4 et fdm=marker:
# upstream blocks: weighted round robin, max_fails/fail_timeout, backup,
# proxy_next_upstream, $upstream_addr/$upstream_status, and a pool that
# loses one backend under load without failing a request.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: smooth weighted round robin (weight=2 and 1: a b a)
--- http_config
    upstream backends {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1 weight=2;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
    server { listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1; location / { return 200 "a\n"; } }
    server { listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2; location / { return 200 "b\n"; } }
--- config
    location /up/ { proxy_pass http://backends/; }
--- request eval
["GET /up/", "GET /up/", "GET /up/"]
--- response_body eval
["a\n", "b\n", "a\n"]



=== TEST 2: a server that refuses connections is tried, counted (max_fails=1) and skipped; the request goes to the next; backup only when all are out
--- http_config
    upstream backends {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_3 max_fails=1 fail_timeout=30s;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_2 backup;
    }
    server { listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1; location / { return 200 "live\n"; } }
    server { listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2; location / { return 200 "backup\n"; } }
    log_format up "$upstream_addr $upstream_status";
--- config
    location /up/ {
        proxy_pass http://backends/;
        access_log logs/up.log up;
    }
--- request eval
["GET /up/", "GET /up/", "GET /up/"]
--- response_body eval
["live\n", "live\n", "live\n"]
--- exec
tail -n 3 logs/up.log
grep -o -e "connect() failed (111: Connection refused) while connecting to upstream" -e "upstream server temporarily disabled while connecting to upstream" logs/error.log | sort -u
--- exec_out_like eval
[qr/\A(?:127\.0\.0\.1:\d+, )?127\.0\.0\.1:\d+ (?:502, )?200\n127\.0\.0\.1:\d+ 200\n127\.0\.0\.1:\d+ 200\n\z/,
qr/\Aconnect\(\) failed \(111: Connection refused\) while connecting to upstream\nupstream server temporarily disabled while connecting to upstream\n\z/]



=== TEST 3: one backend of two is killed under load (300 requests, 8 at a time): no request fails
Each backend answers with one write, so a kill loses a response only before it is sent (the
request is then tried on the other backend), never halfway.
--- user_files
>>> backend.py
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
--- http_config
    upstream backends {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
--- config
    location /up/ { proxy_pass http://backends/; }
--- exec
bash -c 'python3 html/backend.py $TEST_NGINX_RAND_PORT_1 >/dev/null 2>&1 & echo $! > b1.pid; python3 html/backend.py $TEST_NGINX_RAND_PORT_2 >/dev/null 2>&1 & echo $! > b2.pid; for p in $TEST_NGINX_RAND_PORT_1 $TEST_NGINX_RAND_PORT_2; do until curl -s -o /dev/null http://127.0.0.1:$p/; do sleep 0.05; done; done; : > codes; (seq 300 | xargs -P 8 -I{} curl -s -o /dev/null -w "%{http_code}\n" http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up/ >> codes) & load=$!; until [ $(wc -l < codes) -ge 100 ]; do sleep 0.01; done; kill -9 $(cat b2.pid); wait $load; kill $(cat b1.pid); sort codes | uniq -c | sed "s/^ *//"'
--- exec_out
300 200
--- timeout: 240
