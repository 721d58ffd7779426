# vim:set ft= ts=4 sw=4 et fdm=marker:
# Pure Lua-module functions: cjson / cjson.safe, ngx.re.*, the codecs
# (base64, md5, sha1, hmac, crc32, escape_uri, encode/decode_args,
# quote_sql_str) and resty.lrucache. The blocks avoid lua-cjson features
# that only OpenResty's fork has, so they also pass on Debian's nginx + lua
# with Debian's lua-cjson.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: cjson encode and decode
--- config
    location = /t {
        content_by_lua_block {
            local cjson = require "cjson"
            ngx.say(cjson.encode({1, "two", false, cjson.null}))
            ngx.say(cjson.encode({a = {b = "c/d\n"}}))
            ngx.say(cjson.encode("\1\127"), " ", cjson.encode(0.1), " ", cjson.encode(1e20))
            local v = cjson.decode('{"k": [1, 2.5, "\\u00e9\\ud83d\\ude00", true, null]}')
            ngx.say(v.k[1], " ", v.k[2], " ", v.k[3], " ", tostring(v.k[4]), " ", tostring(v.k[5] == ngx.null))
            ngx.say(tostring(cjson.null == ngx.null))
        }
    }
--- request
GET /t
--- response_body
[1,"two",false,null]
{"a":{"b":"c\/d\n"}}
"\u0001\u007f" 0.1 1e+20
1 2.5 é😀 true true
true
--- no_error_log
[error]



=== TEST 2: cjson errors and cjson.safe
--- config
    location = /t {
        content_by_lua_block {
            local cjson = require "cjson"
            local safe = require "cjson.safe"
            for _, s in ipairs({"x", "", "[1,", "{1:2}", '{"a" 1}', "[1 2]", "1 2", '"\\q"'}) do
                local ok, err = pcall(cjson.decode, s)
                ngx.say(err)
            end
            ngx.say(select(2, pcall(cjson.encode, {f = print})))
            ngx.say(select(2, pcall(cjson.encode, {[1] = 1, [100] = 2})))
            local v, err = safe.decode("{")
            ngx.say(tostring(v), " ", err)
            v, err = safe.encode(print)
            ngx.say(tostring(v), " ", err)
        }
    }
--- request
GET /t
--- response_body
Expected value but found invalid token at character 1
Expected value but found T_END at character 1
Expected value but found T_END at character 4
Expected object key string but found T_NUMBER at character 2
Expected colon but found T_NUMBER at character 6
Expected comma or array end but found T_NUMBER at character 4
Expected the end but found T_NUMBER at character 3
Expected value but found invalid escape code at character 2
Cannot serialise function: type not supported
Cannot serialise table: excessively sparse array
nil Expected object key string but found T_END at character 2
nil Cannot serialise function: type not supported
--- no_error_log
[error]



=== TEST 3: cjson settings: depth limits and sparse arrays
--- config
    location = /t {
        content_by_lua_block {
            local cjson = require("cjson").new()
            ngx.say(cjson.encode_max_depth(2), " ", cjson.decode_max_depth(2))
            ngx.say(select(2, pcall(cjson.encode, {{{1}}})))
            ngx.say(select(2, pcall(cjson.decode, "[[[1]]]")))
            ngx.say(table.concat({tostring(cjson.encode_sparse_array(true))}, ","))
            ngx.say(cjson.encode({[5] = "x"}), " ", cjson.encode({[30] = "x"}))
        }
    }
--- request
GET /t
--- response_body
2 2
Cannot serialise, excessive nesting (3)
Found too many nested data structures (3) at character 3
true
[null,null,null,null,"x"] {"30":"x"}
--- no_error_log
[error]



=== TEST 4: ngx.re.match: captures, named captures, ctx.pos, options
--- config
    location = /t {
        content_by_lua_block {
            local m = ngx.re.match("hello, 1234", "(?<word>[a-z]+), (\\d)(\\d+)(x)?")
            ngx.say(m[0], "|", m[1], "|", m.word, "|", m[2], "|", m[3], "|", tostring(m[4]))
            local ctx = {}
            local out = {}
            while true do
                local m = ngx.re.match("a1b22c333", "\\d+", "jo", ctx)
                if not m then break end
                out[#out + 1] = m[0] .. "@" .. ctx.pos
            end
            ngx.say(table.concat(out, " "))
            ngx.say(ngx.re.match("HeLLo", "hello", "i")[0], " ", tostring(ngx.re.match("xab", "ab", "a")))
            ngx.say(#ngx.re.match("é", ".")[0], " ", #ngx.re.match("é", ".", "u")[0])
            ngx.say(ngx.re.match("abc\n", "c$")[0], " ", tostring(ngx.re.match("ab", "^b", nil, {pos = 2})))
            ngx.say(ngx.re.match("a\nb", "^b$", "m")[0], " ", ngx.re.match("ab1", [[ (?<l> [a-z]+ ) # letters
                \d ]], "x").l)
        }
    }
--- request
GET /t
--- response_body
hello, 1234|hello|hello|1|234|false
1@3 22@6 333@10
HeLLo nil
1 2
c nil
b ab
--- no_error_log
[error]



=== TEST 5: "$" before a final newline and "^" after one, as PCRE
--- config
    location = /t {
        content_by_lua_block {
            ngx.say((ngx.re.gsub("a\nb\n", "$", "X")))
            ngx.say(ngx.re.match("a\nb\n", "b$")[0], " ", tostring(ngx.re.match("a\nb\n", "a$")))
            ngx.say((ngx.re.gsub("a\nb\n", "^", "> ", "m")))
            ngx.say(tostring(ngx.re.match("a\n", "\n(?m:^)")))
        }
    }
--- request
GET /t
--- response_body
a
bX
X
b nil
> a
> b

nil
--- no_error_log
[error]



=== TEST 6: ngx.re errors: bad regex, unknown flag
--- config
    location = /t {
        content_by_lua_block {
            local m, err = ngx.re.match("abc", "(abc")
            ngx.say(tostring(m), " ", err ~= nil and err:find("(abc", 1, true) ~= nil)
            local ok, err = pcall(ngx.re.match, "abc", "a", "Z")
            ngx.say(err:match('unknown flag "Z"'))
        }
    }
--- request
GET /t
--- response_body
nil true
unknown flag "Z"
--- no_error_log
[error]



=== TEST 7: ngx.re.find, gmatch, sub, gsub
--- config
    location = /t {
        content_by_lua_block {
            local from, to = ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 2)
            ngx.say(from, "-", to)
            local words = {}
            for m in ngx.re.gmatch("hello, world!", "([a-z]+)") do words[#words + 1] = m[1] end
            ngx.say(table.concat(words, ","))
            ngx.say(ngx.re.sub("a b c d", "(b) (c)", "[$0] [$1] [${2}] $$"))
            ngx.say(ngx.re.gsub("hello, world", "([a-z])[a-z]+", "[$1]"))
            ngx.say(ngx.re.gsub("hello, world", "[a-z]+", function(m) return m[0]:upper() end))
            ngx.say(ngx.re.gsub("baaac", "a*", "-"))
            ngx.say(ngx.re.gsub("a\nb\n", "^", "> ", "m"))
        }
    }
--- request
GET /t
--- response_body
9-11
hello,world
a [b c] [b] [c] $ d1
[h], [w]2
HELLO, WORLD2
-b--c-4
> a
> b
2
--- no_error_log
[error]



=== TEST 8: a named variable in a replacement template
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(select(3, ngx.re.sub("a b", "(b)", "[$1] [$hello]")))
        }
    }
--- request
GET /t
--- response_body
failed to compile the replacement template
--- error_log
attempt to use named capturing variable "hello" (named captures not supported yet)



=== TEST 9: ngx.re.split
--- config
    location = /t {
        content_by_lua_block {
            local ngx_re = require "ngx.re"
            ngx.say(table.concat(ngx_re.split("a,b,c,d", ","), "|"))
            ngx.say(table.concat(ngx_re.split("a,b,c,d", "(,)"), "|"))
            ngx.say(table.concat(ngx_re.split("a,b,c,d", ",", nil, nil, 2), "|"))
            ngx.say(table.concat(ngx_re.split("abcd", ""), "|"))
        }
    }
--- request
GET /t
--- response_body
a|b|c|d
a|,|b|,|c|,|d
a|b,c,d
a|b|c|d
--- no_error_log
[error]



=== TEST 10: base64, digests, crc32
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.encode_base64("hello"), " ", ngx.encode_base64("hell", true), " [", ngx.encode_base64(nil), "]")
            ngx.say(ngx.decode_base64("aGVsbG8="), " ", ngx.decode_base64("aGVsbA"), " ", tostring(ngx.decode_base64("a")))
            ngx.say(ngx.md5("hello"), " ", #ngx.md5_bin("hello"))
            ngx.say(ngx.encode_base64(ngx.sha1_bin("hello")))
            ngx.say(ngx.encode_base64(ngx.hmac_sha1("key", "The quick brown fox jumps over the lazy dog")))
            ngx.say(ngx.crc32_short("hello"), " ", ngx.crc32_long("hello"))
        }
    }
--- request
GET /t
--- response_body
aGVsbG8= aGVsbA []
hello hell nil
5d41402abc4b2a76b9719d911017c592 16
qvTGHdzF6KLavt4PO0gs2a6pQ00=
3nybhbi3iqa8ino29wqQcBydtNk=
907060870 907060870
--- no_error_log
[error]



=== TEST 11: escape_uri, unescape_uri, encode_args, decode_args, quote_sql_str
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.escape_uri("a 你+/?"), " ", ngx.escape_uri("-_.!~*'()"), " ", ngx.escape_uri("a b?#%/", 0))
            ngx.say(ngx.unescape_uri("a%20%e4%bd%a0+b"))
            ngx.say(ngx.encode_args({baz = {32, "hello"}}), " ", ngx.encode_args({a = true, b = false}))
            local args = ngx.decode_args("a=1&b=%20x+y&c&a=2")
            ngx.say(args.a[1], args.a[2], "|", args.b, "|", tostring(args.c))
            local t, err = ngx.decode_args("a=1&b=2&c=3", 2)
            ngx.say(tostring(t.c), " ", tostring(err))
            ngx.say(ngx.quote_sql_str("it's \"x\"\n"))
        }
    }
--- request
GET /t
--- response_body
a%20%E4%BD%A0%2B%2F%3F -_.!~*'() a%20b%3F%23%25/
a 你 b
baz=32&baz=hello a
12| x y|true
nil truncated
'it\'s \"x\"\n'
--- no_error_log
[error]



=== TEST 12: resty.lrucache
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = assert(lrucache.new(2))
            c:set("a", 1)
            c:set("b", 2, nil, 5)
            local v, stale, flags = c:get("b")
            ngx.say(v, " ", tostring(stale), " ", flags)
            c:get("a")
            c:set("c", 3)
            ngx.say(tostring(c:get("b")), " ", c:get("a"), " ", c:count(), " ", c:capacity())
            ngx.say(table.concat(c:get_keys(), ","))
            c:set("t", "x", 0.001)
            ngx.sleep(0.01)
            local v, stale = c:get("t")
            ngx.say(tostring(v), " ", stale)
            ngx.say(tostring(c:delete("t")), " ", tostring(c:delete("t")))
            c:flush_all()
            ngx.say(c:count())
            ngx.say(select(2, lrucache.new(0)))
        }
    }
--- request
GET /t
--- response_body
2 nil 5
nil 1 2 2
a,c
nil x
true false
0
size too small
--- no_error_log
[error]
