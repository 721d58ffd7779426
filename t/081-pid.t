# vim:set ft= ts=4 sw=4 et fdm=marker:
# The pid file: logs/nginx.pid under the prefix by default (the directory
# is made when missing), written without following a symlink planted at
# its path (the symlink is replaced, its target untouched).

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: without a pid directive the pid file is PREFIX/logs/nginx.pid; -s quit finds it
--- user_files
>>> nopid.conf
daemon on;
error_log stderr;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "ok\n"; }
    }
}
--- config
--- exec
mkdir -p p1/conf && cp html/nopid.conf p1/conf/nginx.conf && $TEST_NGINX_BINARY -p $PWD/p1/ -c conf/nginx.conf 2>&1
kill -0 $(cat p1/logs/nginx.pid) && echo running
$TEST_NGINX_BINARY -p $PWD/p1/ -c conf/nginx.conf -s quit 2>&1 && while kill -0 $(cat p1/logs/nginx.pid 2>/dev/null) 2>/dev/null; do sleep 0.05; done; test -e p1/logs/nginx.pid || echo removed
--- exec_out
running
removed



=== TEST 2: a symlink planted at the pid file's path is replaced, its target untouched
--- user_files
>>> nopid.conf
daemon on;
error_log stderr;
pid logs/goresty.pid;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "ok\n"; }
    }
}
--- config
--- exec
mkdir -p p2/conf p2/logs && cp html/nopid.conf p2/conf/nginx.conf && echo precious > victim && ln -s $PWD/victim p2/logs/goresty.pid
$TEST_NGINX_BINARY -p $PWD/p2/ -c conf/nginx.conf 2>&1
cat victim; test -L p2/logs/goresty.pid || echo "not a symlink any more"; kill -0 $(cat p2/logs/goresty.pid) && echo running
kill -QUIT $(cat p2/logs/goresty.pid) && while kill -0 $(cat p2/logs/goresty.pid 2>/dev/null) 2>/dev/null; do sleep 0.05; done; ls p2/logs/
--- exec_out
precious
not a symlink any more
running
