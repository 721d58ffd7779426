# vim:set ft= ts=4 sw=4 et fdm=marker:
# `user`: started as root, goresty reads its configuration, keys and
# certificates, opens its logs, binds its listeners and runs init_by_lua*
# as root, then switches to the user (default nobody) before any other Lua
# runs; a reload still reads root-only files. These blocks start a second
# goresty as root (the spec runner's own server says "user root;"): run
# them as root, as CI does.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: with user nobody nogroup, Lua runs as nobody and cannot read /etc/shadow; init_by_lua ran as root
--- user_files
>>> u.conf
daemon on;
error_log logs/error.log info;
user nobody nogroup;
events {}
http {
    access_log off;
    init_by_lua_block { init_uid = io.popen("id -u"):read("*l") }
    init_worker_by_lua_block { ngx.log(ngx.WARN, "init_worker uid ", io.popen("id -u"):read("*l")) }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.say("init_by_lua: ", init_uid)
                ngx.say("content: ", io.popen("id"):read("*l"))
                ngx.say("shadow: ", tostring(io.open("/etc/shadow")))
            }
        }
    }
}
--- config
--- exec
test "$(id -u)" = 0 || echo "not root: t/080-user.t needs root"
mkdir -p p/conf p/logs && cp html/u.conf p/conf/nginx.conf && $TEST_NGINX_BINARY -p $PWD/p/ -c conf/nginx.conf 2>&1
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$TEST_NGINX_RAND_PORT_1; printf "GET / HTTP/1.0\r\n\r\n" >&3; sed "1,/^\r$/d" <&3'
grep -o "init_worker uid [0-9]*" p/logs/error.log
kill -QUIT $(cat p/logs/nginx.pid) && while test -e p/logs/nginx.pid; do sleep 0.05; done
--- exec_out
init_by_lua: 0
content: uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)
shadow: nil
init_worker uid 65534



=== TEST 2: without user, root runs Lua as nobody (nginx's default), and a reload reads a root-only key file
--- user_files
>>> u.conf
daemon on;
error_log logs/error.log info;
events {}
http {
    access_log off;
    ssl_session_seal_key seal.key;
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block { ngx.say("content: ", io.popen("id -un"):read("*l"), " ", ngx.config.prefix() ~= nil) }
        }
    }
}
--- config
--- exec
mkdir -p p/conf p/logs && cp html/u.conf p/conf/nginx.conf && head -c 32 /dev/urandom > p/conf/seal.key && chmod 600 p/conf/seal.key && chmod 700 p/conf
$TEST_NGINX_BINARY -p $PWD/p/ -c conf/nginx.conf 2>&1
kill -HUP $(cat p/logs/nginx.pid) && while ! grep -q "start worker processes" p/logs/error.log || test $(grep -c "start worker processes" p/logs/error.log) -lt 2; do sleep 0.05; done; grep -c -E "\[(emerg|alert|crit)\]" p/logs/error.log
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$TEST_NGINX_RAND_PORT_1; printf "GET / HTTP/1.0\r\n\r\n" >&3; sed "1,/^\r$/d" <&3'
kill -QUIT $(cat p/logs/nginx.pid) && while test -e p/logs/nginx.pid; do sleep 0.05; done
--- exec_status
0
0
1
0
0
--- exec_out
0
content: nobody true



=== TEST 3: a user that does not exist is an [emerg] with file:line
--- user_files
>>> nouser.conf
user no-such-user-here;
events {}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/nouser.conf -e stderr 2>&1
--- exec_status: 1
--- exec_out_like
\[emerg\] .*getpwnam\("no-such-user-here"\) failed in \S+/html/nouser.conf:1
