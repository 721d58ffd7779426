package ngxapi

import "testing"

func TestCodec(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"b64", `return ngx.encode_base64("hello") .. " " .. ngx.encode_base64("hell", true) .. " " .. ngx.encode_base64("")`, "aGVsbG8= aGVsbA "},
		{"b64 nil", `return "[" .. ngx.encode_base64(nil) .. "]" .. ngx.encode_base64(32)`, "[]MzI="},
		{"b64 bad pad arg", `local ok, err = pcall(function() return ngx.encode_base64("a", 1) end) return err`, "<string>:1: bad no_padding: boolean expected, got number"},
		{"unb64", `return ngx.decode_base64("aGVsbG8=") .. ngx.decode_base64("aGVsbA") .. "[" .. ngx.decode_base64("") .. "]"`, "hellohell[]"},
		{"unb64 invalid", `return tostring(ngx.decode_base64("a")) .. tostring(ngx.decode_base64("aGVs*G8=")) .. tostring(ngx.decode_base64("aGVsbG8=junk!"))`, "nilnilhello"},
		{"unb64 type", `local ok, err = pcall(function() return ngx.decode_base64(nil) end) return err`, "<string>:1: string argument only"},
		{"unb64 number", `local ok, err = pcall(function() return ngx.decode_base64(12) end) return err`, "<string>:1: string argument only"},
		{"sql nil", `local ok, err = pcall(ngx.quote_sql_str, nil) return err`, "bad argument #1 to 'quote_sql_str' (string expected, got nil)"},
		{"decode_args nil", `local ok, err = pcall(ngx.decode_args) return err`, "bad argument #1 to 'decode_args' (string expected, got no value)"},
		{"md5", `return ngx.md5("hello") .. " " .. ngx.md5(nil)`, "5d41402abc4b2a76b9719d911017c592 d41d8cd98f00b204e9800998ecf8427e"},
		{"md5_bin", `return #ngx.md5_bin("hello") .. ngx.encode_base64(ngx.md5_bin("hello"))`, "16XUFAKrxLKna5cZ2REBfFkg=="},
		{"sha1_bin", `return ngx.encode_base64(ngx.sha1_bin("hello"))`, "qvTGHdzF6KLavt4PO0gs2a6pQ00="},
		{"hmac_sha1", `return ngx.encode_base64(ngx.hmac_sha1("key", "The quick brown fox jumps over the lazy dog"))`, "3nybhbi3iqa8ino29wqQcBydtNk="},
		{"crc32", `return ngx.crc32_short("hello") .. " " .. ngx.crc32_long("hello") .. " " .. ngx.crc32_long("")`, "907060870 907060870 0"},
		{"escape", `return ngx.escape_uri("a 你")`, "a%20%E4%BD%A0"},
		{"escape reserved", `return ngx.escape_uri("\"a/b={}:<>;&[]\\^") .. " " .. ngx.escape_uri("-_.!~*'()") .. " " .. ngx.escape_uri(",$@|` + "`" + `")`,
			"%22a%2Fb%3D%7B%7D%3A%3C%3E%3B%26%5B%5D%5C%5E -_.!~*'() %2C%24%40%7C%60"},
		{"escape plus", `return ngx.escape_uri("a+b")`, "a%2Bb"},
		{"escape nil number", `return "[" .. ngx.escape_uri(nil) .. "]" .. ngx.escape_uri(32)`, "[]32"},
		{"escape type 0", `return ngx.escape_uri("/a b?c#d%e&f=g\1", 0)`, "/a%20b%3Fc%23d%25e&f=g%01"},
		{"escape bad type", `local ok, err = pcall(function() return ngx.escape_uri("a", 9) end) return err`, `<string>:1: "type" 9 out of range`},
		{"escape types", `local s = " \"#%&'+?<a"
			return ngx.escape_uri(s, 1) .. "|" .. ngx.escape_uri(s, 3) .. "|" .. ngx.escape_uri(s, 4) .. "|" .. ngx.escape_uri(s, 5) .. "|" .. ngx.escape_uri("\1\255", 6)`,
			"%20\"%23%25&'%2B%3F<a|%20%22%23%25&%27+?<a|%20%22#%&%27+?<a|%20\"#%25&'+?<a|%01\xff"},
		{"unescape", `return ngx.unescape_uri("a%20%e4%bd%a0+b")`, "a 你 b"},
		{"unescape invalid", `return ngx.unescape_uri("%zz%4") .. "|" .. ngx.unescape_uri("100%") .. "|" .. ngx.unescape_uri("%%41")`, "%zz%4|100%|%A"},
		{"unescape nil", `return "[" .. ngx.unescape_uri(nil) .. "]" .. ngx.unescape_uri(32)`, "[]32"},
		{"encode_args", `local s = ngx.encode_args({foo = 3, ["b r"] = "hello world"})
			return tostring(s == "foo=3&b%20r=hello%20world" or s == "b%20r=hello%20world&foo=3")`, "true"},
		{"encode_args multi", `return ngx.encode_args({baz = {32, "hello"}})`, "baz=32&baz=hello"},
		{"encode_args bool", `return ngx.encode_args({a = true}) .. "|" .. ngx.encode_args({b = false}) .. "|" .. ngx.encode_args({c = {}})`, "a||"},
		{"encode_args list bools", `return ngx.encode_args({a = {true, false, "x"}})`, "a&a=x"},
		{"encode_args bad key", `local ok, err = pcall(ngx.encode_args, {[1] = "a"}) return err`, `attempt to use a non-string key in the "args" option table`},
		{"encode_args bad value", `local ok, err = pcall(ngx.encode_args, {a = print}) return err`, "attempt to use function as query arg value"},
		{"decode_args", `local a = ngx.decode_args("a=1&b=%20x+y&c&=skip&d=&a=2&e=f=g")
			return table.concat({a.a[1], a.a[2], a.b, tostring(a.c), "[" .. a.d .. "]", a.e, tostring(a[""])}, ",")`,
			"1,2, x y,true,[],f=g,nil"},
		{"decode_args max", `local a, err = ngx.decode_args("a=1&b=2&c=3", 2)
			return tostring(a.a) .. tostring(a.b) .. tostring(a.c) .. tostring(err)`, "12niltruncated"},
		{"decode_args unlimited", `local s = {} for i = 1, 150 do s[i] = "k" .. i .. "=v" end
			local a = ngx.decode_args(table.concat(s, "&"), 0)
			local b = ngx.decode_args(table.concat(s, "&"))
			return tostring(a.k150) .. tostring(b.k101) .. tostring(b.k100)`, "vnilv"},
		{"ngx.base64", `local b = require "ngx.base64"
			local d1 = b.decode_base64url("__79aGVsbG8_")
			local d2, err = b.decode_base64url("a+b/")
			local e3, err3 = b.encode_base64url(1)
			return b.encode_base64url("\255\254\253hello?") .. "|" .. tostring(d1 == "\255\254\253hello?") .. "|" ..
				b.decode_base64url("aGk=") .. "|" .. tostring(d2) .. " " .. err .. "|" .. tostring(e3) .. " " .. err3`,
			"__79aGVsbG8_|true|hi|nil invalid input|nil must provide a string"},
		{"quote_sql_str", `return ngx.quote_sql_str("a'b\"c\\d\0e\n\r\t\b\26")`, `'a\'b\"c\\d\0e\n\r\t\b\Z'`},
	})
}

func TestDecodeBase64Table(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true}, {"YQ==", "a", true}, {"YQ", "a", true}, {"YWI=", "ab", true}, {"YWJj", "abc", true},
		{"Y", "", false}, {"YWJjZ", "", false}, {"Y Q==", "", false}, {"YQ=x", "a", true}, {"-_8=", "", false},
	} {
		got, ok := decodeBase64(c.in)
		if ok != c.ok || (ok && string(got) != c.want) {
			t.Errorf("decodeBase64(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
