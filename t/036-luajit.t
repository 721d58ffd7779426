# vim:set ft= ts=4 sw=4 et fdm=marker:
# LuaJIT's language extensions (\x, \u{}, \z escapes, LL/ULL literals) in
# inline code and in modules loaded with require; the table.* extension
# modules of LuaJIT and OpenResty's LuaJIT; the jit table.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: escapes and integer suffixes, inline and in a required module; line numbers survive \z
--- http_config
    lua_package_path "$TEST_NGINX_HTML_DIR/lib/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("\x41\x62\u{e9}\u{20AC}|", "a\z
                     b", "|", 1LL + 0x10ULL)
            local m = require "jitmod"
            ngx.say(m.s, " ", m.n)
            ngx.say((select(2, pcall(m.fail)):match("jitmod.lua:%d+: .*")))
        }
    }
--- user_files
>>> lib/jitmod.lua
local _M = {}
_M.s = "\x7e\z
        \u{48}"
_M.n = 2ULL ^ 10
function _M.fail()
    error("line five")
end
return _M
--- request
GET /t
--- response_body
Abé€|ab|17
~H 1024
jitmod.lua:6: line five
--- no_error_log
[error]



=== TEST 2: table.new, table.clear, table.nkeys, table.clone, table.isarray, table.isempty
--- config
    location = /t {
        content_by_lua_block {
            local new = require "table.new"
            local nkeys = require "table.nkeys"
            local clone = require "table.clone"
            local isarray = require "table.isarray"
            local isempty = require "table.isempty"
            local clear = require "table.clear"
            local t = new(4, 2)
            t[1], t[2], t.x = "a", "b", "c"
            ngx.say(nkeys(t), " ", nkeys({}), " ", nkeys({"a", nil, "b"}))
            local c = clone(setmetatable(t, {}))
            ngx.say(c ~= t, " ", c[2], c.x, " ", getmetatable(c))
            ngx.say(isarray({"a", true, 3.14}), " ", isarray({dog = 3}), " ", isarray({}), " ", isarray(t))
            ngx.say(isempty({}), " ", isempty({nil, dog = nil}), " ", isempty({nil, 3}))
            clear(t)
            ngx.say(next(t), " ", table.new == new, " ", table.nkeys == nkeys)
        }
    }
--- request
GET /t
--- response_body
3 0 2
true bc nil
true false true false
true true false
nil true true
--- no_error_log
[error]



=== TEST 3: the jit table
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(type(jit), " ", jit == require "jit", " ", jit.version:match("^LuaJIT 2%.1") ~= nil)
            ngx.say(jit.os, " ", type(jit.arch), " ", jit.version_num)
            jit.off() jit.on() jit.flush() jit.opt.start("minstitch=2")
            ngx.say(jit.status())
        }
    }
--- request
GET /t
--- response_body
table true true
Linux string 20100
false
--- no_error_log
[error]



=== TEST 4: tostring prints numbers as LuaJIT (%.14g) and ngx.null as a NULL light userdata
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(tostring(1e15), " ", tostring(1e14), " ", tostring(123456789012347), " ", tostring(2^53))
            ngx.say(tostring(1/0), " ", tostring(-1/0), " ", tostring(0.1), " ", tostring(-42), " ", tostring(1e-5))
            ngx.say(tostring(ngx.null), " ", tostring(nil), " ", tostring(true), " ", tostring("s"))
        }
    }
--- request
GET /t
--- response_body
1e+15 1e+14 1.2345678901235e+14 9.007199254741e+15
inf -inf 0.1 -42 1e-05
userdata: NULL nil true s
--- no_error_log
[error]
