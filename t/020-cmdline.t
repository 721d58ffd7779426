# vim:set ft= ts=4 sw=4 et fdm=marker:
# The nginx command line: -v -V -h -t -T -q -g -c -p -e -s, their output and
# exit statuses. Each block runs the goresty binary under test next to the
# block's running server (whose prefix is $TEST_NGINX_SERVER_ROOT).

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: -v and -V print nginx's first line: the nginx release goresty follows, goresty's own version beside it
--- config
--- exec
$TEST_NGINX_BINARY -v 2>&1
$TEST_NGINX_BINARY -V 2>&1
--- exec_out_like eval
[qr/\Anginx version: nginx\/\d+\.\d+\.\d+ \(goresty\/\d+\.\d+\.\d+\)\n\z/, qr/\Anginx version: nginx\/\d+\.\d+\.\d+ \(goresty\/\d+\.\d+\.\d+\)\nbuilt with Go crypto\/tls /]
--- no_error_log
[error]



=== TEST 2: -h prints the usage
--- config
--- exec
$TEST_NGINX_BINARY -h 2>&1
--- exec_out_like
^Usage: goresty \[-\?hvVtTq\] \[-s signal\] \[-p prefix\]
--- no_error_log
[error]



=== TEST 3: -t on the running configuration prints nginx's two lines; -q silences them
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c $TEST_NGINX_SERVER_ROOT/conf/nginx.conf 2>&1
$TEST_NGINX_BINARY -tq -p $TEST_NGINX_SERVER_ROOT/ -c conf/nginx.conf 2>&1
--- exec_out eval
["goresty: the configuration file $ENV{TEST_NGINX_SERVER_ROOT}/conf/nginx.conf syntax is ok\ngoresty: configuration file $ENV{TEST_NGINX_SERVER_ROOT}/conf/nginx.conf test is successful\n", ""]
--- no_error_log
[error]



=== TEST 4: -t compiles inline Lua and fails on a syntax error with the chunk name and line
--- user_files
>>> broken.conf
events {}
http {
    server {
        location / {
            content_by_lua_block {
                local x = = 1
            }
        }
    }
}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/broken.conf 2>&1
--- exec_status: 1
--- exec_out_like eval
qr/\Agoresty: \[emerg\] failed to load inlined Lua code: content_by_lua\(broken\.conf:5\):2: .* in \S+\/html\/broken\.conf:5\ngoresty: configuration file \S+\/html\/broken\.conf test failed\n\z/
--- error_log eval
qr/\[emerg\] \d+#\d+: failed to load inlined Lua code: content_by_lua\(broken\.conf:5\):2:/



=== TEST 5: -t compiles Lua files too
--- user_files
>>> bad.lua
local x = = 1
>>> badfile.conf
events {}
http {
    init_by_lua_file html/bad.lua;
}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/badfile.conf -e stderr 2>&1
--- exec_status: 1
--- exec_out_like eval
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: failed to load external Lua file "\S+\/html\/bad\.lua": \S+\/html\/bad\.lua:1: .* in \S+\/html\/badfile\.conf:3\ngoresty: configuration file \S+\/html\/badfile\.conf test failed\n\z/



=== TEST 6: -T tests and prints every file read, includes expanded in order
--- user_files
>>> main.conf
events {}
http {
    include inc.conf;
}
>>> inc.conf
server { listen 127.0.0.1:1; }
--- config
--- exec
$TEST_NGINX_BINARY -T -q -p $TEST_NGINX_SERVER_ROOT/ -c html/main.conf
--- exec_out eval
"# configuration file $ENV{TEST_NGINX_SERVER_ROOT}/html/main.conf:
events {}
http {
    include inc.conf;
}

# configuration file $ENV{TEST_NGINX_SERVER_ROOT}/html/inc.conf:
server { listen 127.0.0.1:1; }

"



=== TEST 7: -g adds main-context directives; its errors say "in command line"
--- user_files
>>> min.conf
events {}
--- config
--- exec
$TEST_NGINX_BINARY -t -q -p $TEST_NGINX_SERVER_ROOT/ -c html/min.conf -g 'daemon off; worker_processes 2;' 2>&1
$TEST_NGINX_BINARY -t -q -p $TEST_NGINX_SERVER_ROOT/ -c html/min.conf -e stderr -g 'daemon off' 2>&1
$TEST_NGINX_BINARY -t -q -p $TEST_NGINX_SERVER_ROOT/ -c html/min.conf -e stderr -g 'listen 80;' 2>&1
--- exec_status eval
[0, 1, 1]
--- exec_out_like eval
[qr/\A\z/, qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: unexpected end of parameter, expecting ";" in command line\ngoresty: configuration file \S+\/html\/min\.conf test failed\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "listen" directive is not allowed here in command line\ngoresty: configuration file \S+\/html\/min\.conf test failed\n\z/]



=== TEST 8: a missing conf file, a directory given as conf
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/none.conf -e stderr 2>&1
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html -e stderr 2>&1
--- exec_status: 1
--- exec_out_like eval
[qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: open\(\) "\S+\/html\/none\.conf" failed \(2: No such file or directory\)\ngoresty: configuration file \S+\/html\/none\.conf test failed\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: read\(\) "\S+\/html" failed \(21: Is a directory\)\ngoresty: configuration file \S+\/html test failed\n\z/]



=== TEST 9: -e names the startup error log: a config error is appended there
--- user_files
>>> bad.conf
events {}
http {
    server {
        ssl_session_store_by_lua_block { }
    }
}
--- config
--- exec
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c html/bad.conf -e logs/startup.log 2>&1
cat logs/startup.log
--- exec_status eval
[1, 0]
--- exec_out_like eval
[qr/\Agoresty: \[emerg\] "ssl_session_store_by_lua_block" directive is not allowed here in \S+\/html\/bad\.conf:4\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "ssl_session_store_by_lua_block" directive is not allowed here in \S+\/html\/bad\.conf:4\n\z/]



=== TEST 10: bad options
--- config
--- exec
$TEST_NGINX_BINARY -x 2>&1
$TEST_NGINX_BINARY -c 2>&1
$TEST_NGINX_BINARY -s restart 2>&1
--- exec_status: 1
--- exec_out eval
["goresty: invalid option: \"x\"\n", "goresty: option \"-c\" requires file name\n", "goresty: invalid option: \"-s restart\"\n"]



=== TEST 11: -s without a running server: the pid file is missing
--- user_files
>>> nopid.conf
pid html/none.pid;
events {}
--- config
--- exec
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c html/nopid.conf -s reload 2>&1
--- exec_status: 1
--- exec_out eval
qq{goresty: [error] open() "$ENV{TEST_NGINX_SERVER_ROOT}/html/none.pid" failed (2: No such file or directory)\n}



=== TEST 12: -s reopen signals the running server (found through its pid file), which keeps serving
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("still here")
        }
    }
--- exec
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c $TEST_NGINX_SERVER_ROOT/conf/nginx.conf -s reopen 2>&1
--- exec_out eval
""
--- request
GET /t
--- response_body
still here
--- no_error_log
[error]



=== TEST 13: -t runs the server's checks too: warnings as [warn] (even with -q), a bad cipher is [emerg]
--- user_files
>>> warn.conf
events {}
http {
    ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
    ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
    server { listen 127.0.0.1:1 ssl; server_name a; }
    server { listen 127.0.0.1:1 ssl; server_name a; }
}
>>> cipher.conf
events {}
http {
    server {
        listen 127.0.0.1:1 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_ciphers NO-SUCH-CIPHER;
    }
}
--- config
--- exec
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/warn.conf -e stderr 2>&1
$TEST_NGINX_BINARY -tq -p $TEST_NGINX_SERVER_ROOT/ -c html/warn.conf -e stderr 2>&1
$TEST_NGINX_BINARY -t -p $TEST_NGINX_SERVER_ROOT/ -c html/cipher.conf -e stderr 2>&1
--- exec_status eval
[0, 0, 1]
--- exec_out_like eval
[qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: conflicting server name "a" on 127\.0\.0\.1:1, ignored\ngoresty: the configuration file \S+\/html\/warn\.conf syntax is ok\ngoresty: configuration file \S+\/html\/warn\.conf test is successful\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: conflicting server name "a" on 127\.0\.0\.1:1, ignored\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: SSL_CTX_set_cipher_list\("NO-SUCH-CIPHER"\) failed \(SSL: error:0A0000B9:SSL routines::no cipher match\)\ngoresty: configuration file \S+\/html\/cipher\.conf test failed\n\z/]
