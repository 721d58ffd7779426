# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua-resty-string's modules, built in (the released ones are FFI): they win
# over the FFI copies Debian's lua-nginx-string puts on lua_package_path
# (as nginx.string, nginx.md5, ...), which is how these blocks also pass on
# nginx + lua with those copies.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: to_hex, atoi and the streaming digests
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local str = require "nginx.string"
            ngx.say(str.to_hex("\0\1\255 az"), " ", str.atoi("42"), " ", str.atoi(" 42"), " ", str.atoi("-4"), " ", str.atoi(""), " ", str.atoi("9223372036854775808"))
            for _, name in ipairs({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}) do
                local mod = require("nginx." .. name)
                local d = mod:new()
                ngx.say(name, " ", tostring(d:update("hel")), " ", tostring(d:update("lo")), " ", str.to_hex(d:final()))
            end
            local d = (require "nginx.sha256"):new()
            d:update("junk")
            ngx.say(tostring(d:reset()), " ", d:update("hello") and str.to_hex(d:final()))
        }
    }
--- request
GET /t
--- response_body
0001ff20617a 42 -1 -1 -1 -1
md5 true true 5d41402abc4b2a76b9719d911017c592
sha1 true true aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d
sha224 true true ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193
sha256 true true 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
sha384 true true 59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f
sha512 true true 9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043
true 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
--- no_error_log
[error]



=== TEST 2: resty.random
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local random = require "nginx.random"
            local a, b = random.bytes(16), random.bytes(16, true)
            ngx.say(#a, " ", #b, " ", a ~= b, " ", #random.bytes(0))
        }
    }
--- request
GET /t
--- response_body
16 16 true 0
--- no_error_log
[error]



=== TEST 3: resty.aes: OpenSSL's key derivation, ciphers and modes
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local aes = require "nginx.aes"
            local str = require "nginx.string"
            local function show(label, a, plain)
                local enc = a:encrypt(plain)
                ngx.say(label, ": ", str.to_hex(enc), " ", a:decrypt(enc))
            end
            show("128 cbc md5", aes:new("secret"), "hello")
            show("256 cbc sha512 x5 salted", aes:new("secret", "Mysalt!!", aes.cipher(256, "cbc"), aes.hash.sha512, 5), "hello world, a longer text")
            for _, mode in ipairs({"ecb", "cfb1", "cfb8", "cfb128", "ofb"}) do
                show("192 " .. mode, aes:new("secret", nil, aes.cipher(192, mode), aes.hash.sha256), "hello")
            end
            show("128 cbc raw key", aes:new("1234567890123456", nil, aes.cipher(128, "cbc"), {iv = "abcdefghijklmnop"}), "hello")
            ngx.say(aes:new("short", nil, aes.cipher(128, "cbc"), {iv = "abcdefghijklmnop"}))
            ngx.say(aes:new("secret", nil, aes.cipher(128, "cbc"), {iv = "short"}))
            local a = aes:new("secret")
            ngx.say(a:decrypt("not a multiple of 16"), " ", a:decrypt(string.rep("x", 16)))
        }
    }
--- request
GET /t
--- response_body
128 cbc md5: 7b47a4dbb11e2cddb2f3740c9e3a552b hello
256 cbc sha512 x5 salted: 1f254d0365d4c4f23659fdbed6a00ab11a0ce6f7ec9fe69fde018dbf623d4619 hello world, a longer text
192 ecb: 19771220cfff24ba4f83ea12e43375f2 hello
192 cfb1: 3bce9f264b hello
192 cfb8: 0d0dd9119f hello
192 cfb128: 0d3ee9ca0c hello
192 ofb: 0d3ee9ca0c hello
128 cbc raw key: 64ce95f8de13ac86e586ba4df857e463 hello
nilbad key length
nilbad iv
nil nil
--- no_error_log
[error]



=== TEST 4: resty.aes under its OpenResty name: ctr and gcm (newer than Debian's copy), no padding; the built-in modules win over the FFI copies
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local aes = require "resty.aes"
            local str = require "resty.string"
            ngx.say(aes == require "nginx.aes", " ", package.loaded["ffi"] == nil)
            local ctr = aes:new("secret", nil, aes.cipher(128, "ctr"), aes.hash.sha1)
            local enc = ctr:encrypt("hello")
            ngx.say("ctr: ", str.to_hex(enc), " ", ctr:decrypt(enc))
            local gcm = aes:new(string.rep("k", 32), nil, aes.cipher(256, "gcm"), {iv = "123456789012"})
            local r = gcm:encrypt("hello")
            -- (checked with openssl enc -aes-128-ctr -md sha1 -nosalt and Python's AESGCM)
            ngx.say("gcm: ", str.to_hex(r[1]), " ", str.to_hex(r[2]), " ", gcm:decrypt(r[1], r[2]), " ", gcm:decrypt(r[1], string.rep("x", 16)))
            local raw = aes:new("secret", nil, aes.cipher(128, "cbc"), aes.hash.md5, 1, nil, false)
            ngx.say(raw:encrypt("short"), " ", #raw:encrypt(string.rep("a", 32)))
            ngx.say(aes:new("secret", "toolongsalt"))
        }
    }
--- request
GET /t
--- response_body
true true
ctr: 71d6a87ef5 hello
gcm: 1a83a94b56 bb5f4b72814850f3aa9bebaf792f0b0b hello nil
nil 32
nilsalt must be 8 characters or nil
--- no_error_log
[error]
