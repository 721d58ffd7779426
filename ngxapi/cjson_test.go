package ngxapi

import (
	"strings"
	"testing"
)

func TestCJSONEncode(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"scalars", `local c = require "cjson"
			return c.encode(nil) .. c.encode(true) .. c.encode(false) .. c.encode(c.null) .. c.encode(ngx.null)`,
			"nulltruefalsenullnull"},
		{"null is ngx.null", `return tostring(require("cjson").null == ngx.null)`, "true"},
		{"safe null", `return tostring(require("cjson.safe").null == ngx.null)`, "true"},
		{"numbers", `local c = require "cjson"
			return table.concat({c.encode(1), c.encode(-0.5), c.encode(1e20), c.encode(0.1), c.encode(123456789012345678),
				c.encode(1/3), c.encode(1e-5), c.encode(100)}, " ")`,
			"1 -0.5 1e+20 0.1 1.2345678901235e+17 0.33333333333333 1e-05 100"},
		{"precision", `local c = require("cjson").new()
			c.encode_number_precision(16)
			return c.encode(1/3) .. " " .. c.encode(2^53)`, "0.3333333333333333 9007199254740992"},
		{"precision range", `local c = require("cjson").new()
			local ok, err = pcall(c.encode_number_precision, 17)
			return err`, "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 16)"},
		{"strings", `local c = require "cjson"
			return c.encode("a\"b\\c/d\n\r\t\b\f\1\127é")`,
			`"a\"b\\c\/d\n\r\t\b\f\u0001\u007fé"`},
		{"no slash escape", `local c = require("cjson").new()
			c.encode_escape_forward_slash(false)
			return c.encode("a/b")`, `"a/b"`},
		{"array", `return require("cjson").encode({1, "two", false, {}})`, `[1,"two",false,{}]`},
		{"holes", `return require("cjson").encode({1, nil, 3})`, `[1,null,3]`},
		{"object", `return require("cjson").encode({a = 1})`, `{"a":1}`},
		{"number key", `return require("cjson").encode({[1.5] = "x"})`, `{"1.5":"x"}`},
		{"empty table", `return require("cjson").encode({})`, `{}`},
		{"empty as array", `local c = require("cjson").new()
			local old = c.encode_empty_table_as_object(false)
			return tostring(old) .. c.encode({}) .. tostring(c.encode_empty_table_as_object())`, `false[]false`},
		{"empty_array", `local c = require "cjson"
			return c.encode({a = c.empty_array})`, `{"a":[]}`},
		{"empty_array_mt", `local c = require "cjson"
			return c.encode(setmetatable({}, c.empty_array_mt)) .. c.encode(setmetatable({1}, c.empty_array_mt))`, `[][1]`},
		{"array_mt", `local c = require "cjson"
			local t = setmetatable({1, 2, x = "ignored"}, c.array_mt)
			return c.encode(t) .. c.encode(setmetatable({}, c.array_mt))`, `[1,2][]`},
		{"sparse error", `local c = require "cjson"
			local ok, err = pcall(c.encode, {[1] = 1, [20] = 2})
			return err`, "Cannot serialise table: excessively sparse array"},
		{"sparse convert", `local c = require("cjson").new()
			local a, b, s = c.encode_sparse_array(true)
			return tostring(a) .. b .. s .. c.encode({[20] = 2})`, `true210{"20":2}`},
		{"sparse safe", `return require("cjson").encode({[5] = 1})`, `[null,null,null,null,1]`},
		{"function", `local ok, err = pcall(require("cjson").encode, {f = print})
			return err`, "Cannot serialise function: type not supported"},
		{"bad key", `local ok, err = pcall(require("cjson").encode, {[true] = 1})
			return err`, "Cannot serialise boolean: table key must be a number or string"},
		{"nan", `local ok, err = pcall(require("cjson").encode, 0/0)
			return err`, "Cannot serialise number: must not be NaN or Infinity"},
		{"invalid numbers on", `local c = require("cjson").new()
			c.encode_invalid_numbers(true)
			return c.encode({1/0, -1/0}) .. tostring(c.encode_invalid_numbers("null")) .. c.encode(1/0)`,
			`[Infinity,-Infinity]nullnull`},
		{"depth", `local c = require("cjson").new()
			c.encode_max_depth(3)
			local ok, err = pcall(c.encode, {{{{1}}}})
			return err`, "Cannot serialise, excessive nesting (4)"},
		{"cycle", `local t = {} t[1] = t
			local ok, err = pcall(require("cjson").encode, t)
			return err`, "Cannot serialise, excessive nesting (1001)"},
		{"safe encode", `local v, err = require("cjson.safe").encode(print)
			return tostring(v) .. "|" .. err`, "nil|Cannot serialise function: type not supported"},
		{"arg count", `local ok, err = pcall(require("cjson").encode)
			return err`, "bad argument #1 to 'encode' (expected 1 argument)"},
		{"module names", `local c, s = require "cjson", require "cjson.safe"
			return c._NAME .. " " .. s._NAME .. " " .. c._VERSION`, "cjson cjson.safe 2.1.0.10"},
		{"options bad", `local ok, err = pcall(require("cjson").new().encode_keep_buffer, "maybe")
			return err`, "bad argument #1 to 'encode_keep_buffer' (invalid option 'maybe')"},
	})
}

func TestCJSONDecode(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"object", `local v = require("cjson").decode('{"a": [1, 2.5, "x", true, false, null], "b": {}}')
			return table.concat({v.a[1], v.a[2], v.a[3], tostring(v.a[4]), tostring(v.a[5]), tostring(v.a[6] == ngx.null), type(v.b)}, ",")`,
			"1,2.5,x,true,false,true,table"},
		{"unicode", `local v = require("cjson").decode('"\\u00e9\\u4f60\\ud83d\\ude00\\u0000x"')
			return v`, "é你😀\x00x"},
		{"escapes", `return require("cjson").decode('"a\\/b\\"c\\\\d\\n\\t\\b\\f\\r"')`, "a/b\"c\\d\n\t\b\f\r"},
		{"lone surrogate", `local ok, err = pcall(require("cjson").decode, '"\\ud800"')
			return err`, "Expected value but found invalid unicode escape code at character 2"},
		{"bad unicode", `local ok, err = pcall(require("cjson").decode, '"\\u12G4"')
			return err`, "Expected value but found invalid unicode escape code at character 2"},
		{"bad escape", `local ok, err = pcall(require("cjson").decode, '["\\q"]')
			return err`, "Expected value but found invalid escape code at character 3"},
		{"invalid token", `local ok, err = pcall(require("cjson").decode, 'x')
			return err`, "Expected value but found invalid token at character 1"},
		{"empty", `local ok, err = pcall(require("cjson").decode, '')
			return err`, "Expected value but found T_END at character 1"},
		{"trailing comma", `local ok, err = pcall(require("cjson").decode, '[1,')
			return err`, "Expected value but found T_END at character 4"},
		{"obj key", `local ok, err = pcall(require("cjson").decode, '{1:2}')
			return err`, "Expected object key string but found T_NUMBER at character 2"},
		{"obj trailing", `local ok, err = pcall(require("cjson").decode, '{"a":1,}')
			return err`, "Expected object key string but found T_OBJ_END at character 8"},
		{"colon", `local ok, err = pcall(require("cjson").decode, '{"a" 1}')
			return err`, "Expected colon but found T_NUMBER at character 6"},
		{"comma arr", `local ok, err = pcall(require("cjson").decode, '[1 2]')
			return err`, "Expected comma or array end but found T_NUMBER at character 4"},
		{"comma obj", `local ok, err = pcall(require("cjson").decode, '{"a":1 "b":2}')
			return err`, "Expected comma or object end but found T_STRING at character 8"},
		{"the end", `local ok, err = pcall(require("cjson").decode, '1 2')
			return err`, "Expected the end but found T_NUMBER at character 3"},
		{"unterminated", `local ok, err = pcall(require("cjson").decode, '"abc')
			return err`, "Expected value but found unexpected end of string at character 5"},
		{"utf16", `local ok, err = pcall(require("cjson").decode, 'a\0b\0')
			return err`, "JSON parser does not support UTF-16 or UTF-32"},
		{"numbers", `local c = require "cjson"
			return table.concat({c.decode("-12"), c.decode("1e3"), c.decode("0.5"), c.decode("0x10"), c.decode("1E-2")}, " ")`,
			"-12 1000 0.5 16 0.01"},
		{"inf nan", `local c = require "cjson"
			local n = c.decode("NaN")
			return tostring(c.decode("Infinity") == 1/0) .. tostring(c.decode("-inf") == -1/0) .. tostring(n ~= n)`, "truetruetrue"},
		{"invalid numbers off", `local c = require("cjson").new()
			c.decode_invalid_numbers(false)
			local ok, err = pcall(c.decode, "0x10")
			local ok2, err2 = pcall(c.decode, "[NaN]")
			return err .. "|" .. err2`, "Expected value but found invalid number at character 1|Expected value but found invalid token at character 2"},
		{"bad number", `local ok, err = pcall(require("cjson").decode, '-')
			return err`, "Expected value but found invalid number at character 1"},
		{"depth", `local c = require("cjson").new()
			c.decode_max_depth(2)
			local ok, err = pcall(c.decode, "[[[1]]]")
			return err`, "Found too many nested data structures (3) at character 3"},
		{"default depth", `local ok, err = pcall(require("cjson").decode, string.rep("[", 1001) .. string.rep("]", 1001))
			return err`, "Found too many nested data structures (1001) at character 1001"},
		{"ok depth", `local v = require("cjson").decode(string.rep("[", 1000) .. string.rep("]", 1000))
			return type(v)`, "table"},
		{"array_mt", `local c = require("cjson").new()
			c.decode_array_with_array_mt(true)
			local v = c.decode('{"a":[]}')
			return tostring(getmetatable(v.a) == c.array_mt) .. c.encode(v)`, `true{"a":[]}`},
		{"safe", `local v, err = require("cjson.safe").decode("{")
			return tostring(v) .. "|" .. err`, "nil|Expected object key string but found T_END at character 2"},
		{"number arg", `return require("cjson").decode(42)`, "42"},
		{"whitespace", `return require("cjson").decode(" \t\r\n[ 1 , 2 ]\n")[2]`, "2"},
		{"roundtrip", `local c = require "cjson"
			local v = c.decode(c.encode({s = "x\0y\1", n = -1.25, l = {1, {2}}}))
			return v.s .. v.n .. v.l[2][1]`, "x\x00y\x01-1.252"},
	})
}

func TestCJSONHugeNesting(t *testing.T) {
	L := newH8State(t)
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	L.SetGlobal("deep", luaString(deep))
	if err := L.DoString(`
		local c = require("cjson").new()
		c.decode_max_depth(2^31 - 1)
		local ok, err = pcall(c.decode, deep)
		assert(not ok and err:find("Found too many nested data structures", 1, true), err)
		c.encode_max_depth(2^31 - 1)
		local t = {} t[1] = t
		local ok, err = pcall(c.encode, t)
		assert(not ok and err:find("excessive nesting", 1, true), err)
	`); err != nil {
		t.Fatal(err)
	}
}
