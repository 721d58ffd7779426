# vim:set ft= ts=4 sw=4 et fdm=marker:
# ndk.set_var: no set_* directive built with NDK's set_var exists (Debian's
# nginx + lua loads NDK without set-misc), so every name is refused with
# OpenResty's wording.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ndk.set_var.NAME for a directive that does not exist, or a write
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(type(ndk), " ", type(ndk.set_var))
            ngx.say(pcall(function () return ndk.set_var.set_unescape_uri("a%20b") end))
            ngx.say(pcall(function () return ndk.set_var.set end))
            ngx.say(pcall(function () ndk.set_var.foo = 1 end))
        }
    }
--- request
GET /t
--- response_body
table table
falsecontent_by_lua(nginx.conf:41):3: ndk.set_var: directive "set_unescape_uri" not found or does not use ndk_set_var_value
falsecontent_by_lua(nginx.conf:41):4: ndk.set_var: directive "set" not found or does not use ndk_set_var_value
falsecontent_by_lua(nginx.conf:41):5: not allowed
--- no_error_log
[error]
