# vim:set ft= ts=4 sw=4 et fdm=marker:
# error_log syslog:server=...: one RFC 3164 datagram per error log line
# ("<PRI>Mmm dd hh:mm:ss HOST TAG: " + the line), facility, tag, nohostname;
# bad parameters are refused with nginx's [emerg].

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a location's error_log to a UDP syslog server, with facility and tag (local3 + error = <155>)
--- config
    location = /t {
        error_log syslog:server=127.0.0.1:$TEST_NGINX_RAND_PORT_1,facility=local3,tag=gr_test error;
        content_by_lua_block {
            ngx.log(ngx.ERR, "to syslog")
            ngx.say("ok")
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_reply: ignored
--- udp_query eval
qr/\A<155>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \S+ gr_test: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:42\):2: to syslog, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost"\z/
--- request
GET /t
--- response_body
ok



=== TEST 2: nohostname, default facility (local7) and tag (nginx): a warning is <188>
--- config
    location = /t {
        error_log syslog:server=127.0.0.1:$TEST_NGINX_RAND_PORT_1,nohostname warn;
        content_by_lua_block {
            ngx.log(ngx.WARN, "warned")
            ngx.log(ngx.INFO, "below the level: not sent")
            ngx.say("ok")
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_reply: ignored
--- udp_query eval
qr/\A<188>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d nginx: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:42\):2: warned, client: /
--- request
GET /t
--- response_body
ok



=== TEST 3: an unknown facility is refused at start
--- config
    error_log syslog:server=127.0.0.1,facility=local9;
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown syslog facility "local9" in \S+nginx\.conf:40/



=== TEST 4: a syslog target names a server
--- config
    error_log syslog:tag=x;
--- must_die
--- error_log eval
qr/\[emerg\] .*no syslog server specified in \S+nginx\.conf:40/



=== TEST 5: access_log to syslog: the log line with the target's severity (local7 + notice = <189>)
--- config
    location = /t {
        access_log syslog:server=127.0.0.1:$TEST_NGINX_RAND_PORT_1,severity=notice,tag=acc,nohostname;
        return 200 "ok\n";
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_reply: ignored
--- udp_query eval
qr/\A<189>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d acc: 127\.0\.0\.1 - - \[[^\]]+\] "GET \/t HTTP\/1\.1" 200 3 "-" "[^"]*"\z/
--- request
GET /t
--- response_body
ok
