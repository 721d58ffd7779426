# vim:set ft= ts=4 sw=4 et fdm=marker:
# Chunk names as LuaJIT prints them (lj_debug_shortname, LUA_IDSIZE 60):
# code from a file (*_by_lua_file, require, loadfile, dofile; chunk name
# "@path") is named by its path, or "..." and the path's last 56 bytes from
# 60 bytes on, in error positions and the error log (ngx.log's prefix has
# the base name of that, as lua-nginx-module's); a
# "=name" is cut at 59 bytes; debug.getinfo's source is the whole chunk
# name and short_src what messages print.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = <<'_EOC_';
    lua_package_path "$prefix/html/a_quite_long_directory_name_for_modules/another_level_of_dirs/?.lua;;";
_EOC_

our $Files = <<'_EOC_';
>>> a_quite_long_directory_name_for_modules/another_level_of_dirs/longmod.lua
local _M = {}
function _M.src()
    local i = debug.getinfo(1, "S")
    return i.source:match("/html/.*") .. " | " .. i.short_src
end
function _M.fail()
    error("boom")
end
return _M
>>> a_quite_long_directory_name_for_modules/another_level_of_dirs/broken.lua
local x = 1
error("at load")
>>> a_quite_long_directory_name_for_modules/another_level_of_dirs/f.lua
ngx.say(debug.getinfo(1, "S").short_src)
ngx.say(select(2, pcall(function() error("e2") end)))
ngx.log(ngx.WARN, "from f")
>>> a_quite_long_directory_name_for_modules/another_level_of_dirs/g.lua
error("g fails")
>>> short.lua
error("short")
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a long *_by_lua_file path: "..." and its last 56 bytes in error positions; ngx.log's prefix names the file
--- http_config eval: $::HttpConfig
--- user_files eval: $::Files
--- config
    location = /f {
        content_by_lua_file html/a_quite_long_directory_name_for_modules/another_level_of_dirs/f.lua;
    }
--- request
GET /f
--- response_body
...g_directory_name_for_modules/another_level_of_dirs/f.lua
...g_directory_name_for_modules/another_level_of_dirs/f.lua:2: e2
--- error_log
 [lua] f.lua:3: from f,



=== TEST 2: the failure of a long *_by_lua_file path is logged under the short name
--- http_config eval: $::HttpConfig
--- user_files eval: $::Files
--- config
    location = /g {
        content_by_lua_file html/a_quite_long_directory_name_for_modules/another_level_of_dirs/g.lua;
    }
--- request
GET /g
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: ...g_directory_name_for_modules/another_level_of_dirs/g.lua:1: g fails



=== TEST 3: required modules, loadfile, dofile and load: LuaJIT's names; debug.getinfo's source and short_src
--- http_config eval: $::HttpConfig
--- user_files eval: $::Files
--- config
    location = /t {
        content_by_lua_block {
            local m = require "longmod"
            ngx.say(m.src())
            ngx.say(select(2, pcall(m.fail)))
            ngx.say(select(2, pcall(require, "broken")))
            package.loaded.broken = nil
            local dir = ngx.config.prefix() .. "html/a_quite_long_directory_name_for_modules/another_level_of_dirs/"
            ngx.say(select(2, pcall(dofile, dir .. "broken.lua")))
            ngx.say(select(2, pcall(loadfile(dir .. "broken.lua"))))
            ngx.say(select(2, pcall(dofile, ngx.config.prefix() .. "html/short.lua")):match("/html/.*"))
            ngx.say(select(2, pcall(load("error('x')", "=" .. string.rep("n", 70)))))
            ngx.say(select(2, pcall(load("error('x')", "@/" .. string.rep("p", 70)))))
            local i = debug.getinfo(1, "S")
            ngx.say(i.source, " | ", i.short_src, " | ", i.what)
            i = debug.getinfo(print)
            ngx.say(i.source, " | ", i.short_src, " | ", i.what)
        }
    }
--- request
GET /t
--- response_body
/html/a_quite_long_directory_name_for_modules/another_level_of_dirs/longmod.lua | ...ctory_name_for_modules/another_level_of_dirs/longmod.lua
...ctory_name_for_modules/another_level_of_dirs/longmod.lua:7: boom
...ectory_name_for_modules/another_level_of_dirs/broken.lua:2: at load
...ectory_name_for_modules/another_level_of_dirs/broken.lua:2: at load
...ectory_name_for_modules/another_level_of_dirs/broken.lua:2: at load
/html/short.lua:1: short
nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn:1: x
...pppppppppppppppppppppppppppppppppppppppppppppppppppppppp:1: x
=content_by_lua(nginx.conf:42) | content_by_lua(nginx.conf:42) | main
=[C] | [C] | C
--- no_error_log
[error]
