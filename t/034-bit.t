# vim:set ft= ts=4 sw=4 et fdm=marker:
# LuaJIT's BitOp module `bit` (global and require "bit"), with its 32-bit
# semantics, and the libraries that need it loaded unmodified from
# lua_package_path: Debian's lua-nginx-dns (lua-resty-dns as nginx.dns.resolver)
# against a DNS responder on loopback.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: bit operations with LuaJIT's 32-bit results
--- config
    location = /t {
        content_by_lua_block {
            local bit = require "bit"
            ngx.say(bit == _G.bit)
            ngx.say(bit.tobit(0xffffffff), " ", bit.tobit(2^32 + 5), " ", bit.tobit(2.5), " ", bit.tobit(-2^31))
            ngx.say(bit.band(0xff00ff, 0xf0f0f0f0), " ", bit.bor(1, 2, 4, 8), " ", bit.bxor(0xffffffff, 1), " ", bit.bnot(0))
            ngx.say(bit.lshift(1, 31), " ", bit.lshift(1, 33), " ", bit.rshift(-1, 28), " ", bit.arshift(-256, 4))
            ngx.say(bit.rol(0x12345678, 8), " ", bit.ror(0x12345678, 8), " ", bit.bswap(0x12345678))
            ngx.say(bit.tohex(255), " ", bit.tohex(-1), " ", bit.tohex(255, 2), " ", bit.tohex(255, -4))
            ngx.say(pcall(bit.band, {}))
        }
    }
--- request
GET /t
--- response_body
true
-1 5 2 -2147483648
15728880 15 -2 -1
-2147483648 2 15 -16
878082066 2014458966 2018915346
000000ff ffffffff ff 00FF
falsebad argument #1 to '?' (number expected, got table)
--- no_error_log
[error]



=== TEST 2: lua-resty-dns (nginx.dns.resolver) resolves a CNAME chain
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local resolver = require "nginx.dns.resolver"
            local r, err = resolver:new{
                nameservers = {{"127.0.0.1", $TEST_NGINX_RAND_PORT_1}},
                retrans = 1,
                timeout = 1000,
            }
            if not r then
                ngx.say("failed to instantiate resolver: ", err)
                return
            end
            r._id = 125 -- the query id lua-resty-dns's own tests fix
            local answers, err = r:query("www.goresty.test", { qtype = r.TYPE_A })
            if not answers then
                ngx.say("failed to query: ", err)
                return
            end
            for _, ans in ipairs(answers) do
                ngx.say(ans.name, " ", ans.type, " ", ans.address or ans.cname, " ", ans.ttl, " ", ans.class, " ", ans.section)
            end
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_query eval
"\x00\x7d\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07goresty\x04test\x00\x00\x01\x00\x01"
--- udp_reply eval
"\x00\x7d\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00\x03www\x07goresty\x04test\x00\x00\x01\x00\x01" .
"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x10" .
"\xc0\x10\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x7f\x00\x00\x2a"
--- request
GET /t
--- response_body
www.goresty.test 5 goresty.test 60 1 1
goresty.test 1 127.0.0.42 300 1 1
--- no_error_log
[error]



=== TEST 3: lua-resty-dns reports the server's error code
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local resolver = require "nginx.dns.resolver"
            local r = assert(resolver:new{ nameservers = {{"127.0.0.1", $TEST_NGINX_RAND_PORT_1}} })
            r._id = 126
            local answers, err = r:query("nx.goresty.test")
            ngx.say(err, " ", answers.errcode, " ", answers.errstr, " ", #answers)
        }
    }
--- udp_listen: $TEST_NGINX_RAND_PORT_1
--- udp_reply eval
"\x00\x7e\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00\x02nx\x07goresty\x04test\x00\x00\x01\x00\x01"
--- request
GET /t
--- response_body
nil 3 name error 0
--- no_error_log
[error]
