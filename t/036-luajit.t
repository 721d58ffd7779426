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



=== TEST 5: string.format as LuaJIT's: C conversions, ties rounded away from zero, %q, errors
--- config
    location = /t {
        content_by_lua_block {
            local f = string.format
            ngx.say(f("[%5.1f][%.2f][%.0f][%.0f][%.2f]", 2.25, 0.125, 0.5, 1.5, 1.005))
            ngx.say(f("[%g][%g][%g][%10.3g][%-8d][%+d][% d][%05d]", 0.1 + 0.2, 1e6, 100000, math.pi, 42, 5, 5, -42))
            ngx.say(f("[%x][%X][%o][%u][%d][%d][%i]", -1, 255, 8, -1, 3.7, -3.7, "12"))
            ngx.say(f("[%5.2s][%-5s][%s][%s][%c%c]", "abcdef", "ab", 1e15, 0.1, 65, 256 + 66))
            ngx.say(f("[%e][%.3E][%a][%f][%5.1f][%g]", 12345.678, 0.00012, 1.5, 1/0, -1/0, 0/0))
            ngx.say(f("[%#x][%#o][%#g][%.3d][%%]", 255, 8, 1.0, 7))
            ngx.say(f("%q", "\0\0011\r\n\t\127\255 \\ \" ' \26"))
            ngx.say(f("%q%q", 1/3, 10), f(" %s", setmetatable({}, {__tostring = function() return "TS" end})))
            ngx.say(select(2, pcall(function() local s = string.format("%d", "x") end)))
            ngx.say(select(2, pcall(function() local s = string.format("%d") end)))
            ngx.say(select(2, pcall(function() local s = string.format("%y", 1) end)))
            ngx.say(select(2, pcall(function() local s = string.format("%123d", 1) end)))
        }
    }
--- request
GET /t
--- response_body eval
qq{[  2.3][0.13][1][2][1.00]
[0.3][1e+06][100000][      3.14][42      ][+5][ 5][-0042]
[ffffffffffffffff][FF][10][18446744073709551615][3][-3][12]
[   ab][ab   ][1e+15][0.1][AB]
[1.234568e+04][1.200E-04][0x1.8p+0][inf][ -inf][nan]
[0xff][010][1.00000][007][%]
"\\0\\0011\\13\\\n\\9\\127\xff \\\\ \\" ' \\26"
"0.33333333333333""10" TS
content_by_lua(nginx.conf:41):11: bad argument #2 to 'format' (number expected, got string)
content_by_lua(nginx.conf:41):12: bad argument #2 to 'format' (value expected)
content_by_lua(nginx.conf:41):13: invalid option '%y' to 'format'
content_by_lua(nginx.conf:41):14: invalid option '%123' to 'format'
}
--- no_error_log
[error]



=== TEST 6: error(msg, level) blames the caller's caller; a level landing on pcall adds no position
--- http_config
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            local function check(x) if type(x) ~= "number" then error("bad x", 2) end end
            local function user() check("s") end
            ngx.say(select(2, pcall(user)))
            ngx.say(select(2, pcall(check, "s")))
            local function deep() error("three", 3) end
            local function mid() deep() end
            local function top() mid() end
            ngx.say(select(2, pcall(top)))
            ngx.say(select(2, pcall(error, "lvl1")), "|", select(2, pcall(error, 42)), "|", select(2, pcall(error)))
            ngx.say(select(2, pcall(function() error(42) end)), "|", select(2, pcall(function() error("x", 0) end)))
            local redis = require "nginx.redis"
            ngx.say(select(2, pcall(function()
                redis.set_timeout({}, 100) end)))
        }
    }
--- request
GET /t
--- response_body
content_by_lua(nginx.conf:42):3: bad x
bad x
content_by_lua(nginx.conf:42):8: three
lvl1|42|nil
content_by_lua(nginx.conf:42):11: 42|x
content_by_lua(nginx.conf:42):14: not initialized
--- no_error_log
[error]



=== TEST 7: .. writes numbers as LuaJIT (%.14g), honours __concat right to left, names the bad operand's type
--- config
    location = /t {
        content_by_lua_block {
            local n, x = 1/3, 2^53
            ngx.say(n .. "|" .. x .. "|" .. 1e100 .. "|" .. -0.0 .. "|" .. 100 .. "|" .. 1e14 .. "|" .. -1e15 .. "|" .. 1/0)
            local mt = {__concat = function(a, b)
                local sa = type(a) == "table" and "T" or a
                local sb = type(b) == "table" and "T" or b
                return sa .. "+" .. sb end}
            local t = setmetatable({}, mt)
            ngx.say(t .. "a", " ", "a" .. t, " ", 1 .. 2 .. t .. 3 .. 4, " ", t .. t)
            ngx.say(select(2, pcall(function() return {} .. "a" end)))
            ngx.say(select(2, pcall(function() return "a" .. true end)))
            local s = "" for i = 1, 3 do s = s .. i / 2 .. "," end ngx.say(s, string.rep(0.1, 2, 1e15))
        }
    }
--- request
GET /t
--- response_body
0.33333333333333|9.007199254741e+15|1e+100|-0|100|1e+14|-1e+15|inf
T+a a+T 12T+34 T+T
content_by_lua(nginx.conf:41):10: attempt to concatenate a table value
content_by_lua(nginx.conf:41):11: attempt to concatenate a boolean value
0.5,1,1.5,0.11e+150.1
--- no_error_log
[error]



=== TEST 8: FFI is out of scope (goresty): Debian's nginx.kafka needs LuaJIT's ffi and does not load; nginx.websocket loads on the built-in nginx.websocket.protocol (t/104)
--- http_config
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            for _, m in ipairs{"nginx.websocket.client", "nginx.websocket.server", "nginx.kafka.producer"} do
                for name in pairs(package.loaded) do
                    if name:find("^nginx%.") then package.loaded[name] = nil end
                end
                local ok, res = pcall(require, m)
                ngx.say(m, ": ", ok, ", ", ok and type(res) or res:match("module 'ffi' not found"))
            end
        }
    }
--- request
GET /t
--- response_body
nginx.websocket.client: true, table
nginx.websocket.server: true, table
nginx.kafka.producer: false, module 'ffi' not found
--- no_error_log
[error]



=== TEST 9: coroutine.running inside pcall and xpcall is the caller's coroutine (goresty runs their bodies on pooled coroutines); a user coroutine is still itself, around a pcall too
--- config
    location = /t {
        content_by_lua_block {
            local co = coroutine.running()
            local _, a = pcall(function() return coroutine.running() == co end)
            local _, b = xpcall(function() return coroutine.running() == co end, debug.traceback)
            local _, _, c = pcall(pcall, function() return coroutine.running() == co end)
            local _, d = pcall(function() ngx.sleep(0) return coroutine.running() == co end)
            local inner
            local uco = coroutine.create(function() local _, r = pcall(coroutine.running) inner = r end)
            coroutine.resume(uco)
            ngx.say(type(co), " ", a, " ", b, " ", c, " ", d, " ", inner == uco)
        }
    }
--- request
GET /t
--- response_body
thread true true true true true
--- no_error_log
[error]
