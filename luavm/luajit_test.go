package luavm

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestLuaJITSource(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"plain", `return "a\n" .. 'b' .. 1`, `return "a\n" .. 'b' .. 1`},
		{"hex", `return "\x41\x7a\xff"`, `return "\065\122\255"`},
		{"hex then digit", `return "\x412"`, `return "\0652"`},
		{"bad hex left alone", `return "\xZZ"`, `return "\xZZ"`},
		{"escaped backslash", `return "\\x41"`, `return "\\x41"`},
		{"unicode", `return '\u{48}\u{e9}\u{20AC}\u{1F600}'`, `return '\072\195\169\226\130\172\240\159\152\128'`},
		{"z keeps lines", "return \"a\\z\n   \n  b\" .. x", "return \"ab\"\n\n .. x"},
		{"LL", `return 1LL + 0x10ULL + 7ull - 2ll`, `return 1 + 0x10 + 7 - 2`},
		{"identifier", `return x1LL, ULL, 1e5`, `return x1LL, ULL, 1e5`},
		{"comments and long strings", "-- \"\\x41\" 1LL\n--[[ \\x41 ]] return [==[\\x41]==], 1",
			"-- \"\\x41\" 1LL\n--[[ \\x41 ]] return [==[\\x41]==], 1"},
	} {
		if got := luajitSource(c.src); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLuaJITSourceRuns(t *testing.T) {
	p, err := compileProto("local s = \"\\x41\\u{e9}\\z\n   B\"\nlocal n = 0xffULL + 1LL\nerror(s .. n)", "=t")
	if err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	L.Push(L.NewFunctionFromProto(p))
	err = L.PCall(0, 0, nil)
	if err == nil || err.(*lua.ApiError).Object.String() != "=t:4: A\u00e9B256" {
		t.Fatalf("got %v", err)
	}
}
