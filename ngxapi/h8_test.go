package ngxapi

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// newH8State returns a bare LState with H8's modules installed the way the
// worker installer does (ngx global table, preloaded modules).
func newH8State(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	ngx := L.NewTable()
	ngx.RawSetString("null", Null)
	L.SetGlobal("ngx", ngx)
	OpenCJSON(L)
	OpenCodec(L, ngx)
	OpenRe(L, ngx, nil)
	OpenLRUCache(L)
	return L
}

// luaCase is Lua code whose single return value (converted with tostring)
// must equal want.
type luaCase struct {
	name, code, want string
}

func runLuaCases(t *testing.T, cases []luaCase) {
	t.Helper()
	L := newH8State(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn, err := L.LoadString(c.code)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			L.Push(fn)
			if err := L.PCall(0, 1, nil); err != nil {
				t.Fatalf("run: %v", err)
			}
			got := L.ToStringMeta(L.Get(-1)).String()
			L.Pop(1)
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func luaString(s string) lua.LString { return lua.LString(s) }

func benchLua(b *testing.B, setup, body string) {
	L := newH8State(b)
	if err := L.DoString(setup); err != nil {
		b.Fatal(err)
	}
	fn, err := L.LoadString("local n = ... for i = 1, n do " + body + " end")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	L.Push(fn)
	L.Push(lua.LNumber(b.N))
	if err := L.PCall(1, 0, nil); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkCJSONEncode(b *testing.B) {
	benchLua(b, `cjson = require "cjson"; v = {id = 42, name = "session", tags = {"a", "b", "c"}, nested = {ok = true, n = 1.5}}`,
		`cjson.encode(v)`)
}

func BenchmarkCJSONDecode(b *testing.B) {
	benchLua(b, `cjson = require "cjson"; s = '{"id":42,"name":"session","tags":["a","b","c"],"nested":{"ok":true,"n":1.5}}'`,
		`cjson.decode(s)`)
}

func BenchmarkReMatch(b *testing.B) {
	benchLua(b, ``, `ngx.re.match("GET /api/v1/users/12345 HTTP/1.1", [[^(\w+) /api/v(\d+)/(?<res>\w+)/(\d+)]], "jo")`)
}

func BenchmarkReGsub(b *testing.B) {
	benchLua(b, ``, `ngx.re.gsub("hello, world, hello", "hello", "bye", "jo")`)
}

func BenchmarkLRUCacheGetSet(b *testing.B) {
	benchLua(b, `c = require("resty.lrucache").new(100)`, `c:set(i % 200, i) c:get((i + 7) % 200)`)
}
