# vim:set ft= ts=4 sw=4 et fdm=marker:
# The Test::Nginx contract: "-V" read the way Test::Nginx's get_nginx_version
# reads it (the first nginx/X.Y.Z of the output, made a number, which decides
# whether -p is passed), nginx's -V layout, and where start-up messages go
# (stderr and the -e log, in nginx's format).

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: -V parsed as Test::Nginx parses it: an nginx version new enough to be started with -p
--- config
--- exec
$TEST_NGINX_BINARY -V 2>&1 | perl -0777 -ne 'm{(?:nginx|openresty)/(\d+)\.(\d+)\.(\d+)}s or die "unparsable\n"; $v = sprintf "%d.%03d%03d", $1, $2, $3; print "$v ", ($v >= 0.007053 ? "-p -c" : "-c"), "\n"'
--- exec_out
1.022001 -p -c



=== TEST 2: -V has nginx's layout: version, "built with" the TLS stack, SNI, configure arguments with the SSL and HTTP/2 modules
--- config
--- exec
$TEST_NGINX_BINARY -V 2>&1
--- exec_out_like eval
qr{\Anginx version: nginx/1\.22\.1(?: \(goresty/\d+\.\d+\.\d+\))?\n(?:built by .*\n)?built with .*\nTLS SNI support enabled\n(?:.*\n)*configure arguments: .*--with-http_ssl_module .*--with-http_v2_module .*\n\z}



=== TEST 3: a start-up error with "-e FILE": the log line in FILE, "NAME: [emerg] msg" on stderr
--- user_files
>>> bad.conf
events {}
http { foo; }
--- config
--- exec
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c html/bad.conf -e logs/startup.log -g "pid logs/x.pid;" 2>&1
cat logs/startup.log
--- exec_status eval
[1, 0]
--- exec_out_like eval
[qr/\A\w+: \[emerg\] unknown directive "foo" in \S+\/html\/bad\.conf:2\n\z/,
qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: unknown directive "foo" in \S+\/html\/bad\.conf:2\n\z/]



=== TEST 4: with "-e stderr" only the log line, on stderr; a start-up log that cannot be opened is an [alert], then the log line goes to stderr
--- user_files
>>> bad.conf
events {}
http { foo; }
--- config
--- exec
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c html/bad.conf -e stderr -g "pid logs/x.pid;" 2>&1
$TEST_NGINX_BINARY -p $TEST_NGINX_SERVER_ROOT/ -c html/bad.conf -e nodir/x.log -g "pid logs/x.pid;" 2>&1
--- exec_status: 1
--- exec_out_like eval
[qr/\A\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: unknown directive "foo" in \S+\/html\/bad\.conf:2\n\z/,
qr/\A\w+: \[alert\] could not open error log file: open\(\) "\S+\/nodir\/x\.log" failed \(2: No such file or directory\)\n\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: unknown directive "foo" in \S+\/html\/bad\.conf:2\n\z/]
