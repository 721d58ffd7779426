package luavm

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

func runConcat(t testing.TB, src string) string {
	L := lua.NewState()
	defer L.Close()
	p, err := compileProto(src, "c")
	if err != nil {
		t.Fatal(err)
	}
	L.Push(L.NewFunctionFromProto(p))
	if err := L.PCall(0, 1, nil); err != nil {
		return err.Error()
	}
	return L.Get(-1).String()
}

func TestConcat(t *testing.T) {
	for src, want := range map[string]string{
		`return 1/3 .. "|" .. 2^53 .. "|" .. 1/0 .. "|" .. -0.0 .. "|" .. 7`: "0.33333333333333|9.007199254741e+15|inf|-0|7",
		`local mt = {__concat = function(a, b)
		   return (type(a) == "table" and "T" or a) .. "+" .. (type(b) == "table" and "T" or b) end}
		 local t = setmetatable({}, mt)
		 return (t .. "a") .. " " .. ("a" .. t) .. " " .. (1 .. 2 .. t .. 3 .. 4)`: "T+a a+T 12T+34",
		`local y return "a" .. y`:                                               "c:1: attempt to concatenate a nil value",
		"local x = 1\n return {} .. x":                                          "c:2: attempt to concatenate a table value",
		`return select("#", ("a" .. "b"))`:                                      "1",
		`local f = function() return "a" .. "b", 2 end return select("#", f())`: "2",
		`local s = "" for i = 1, 3 do s = s .. i / 2 .. "," end return s`:       "0.5,1,1.5,",
		`setfenv(1, {}) return 1.5 .. ""`:                                       "1.5",
	} {
		if got := runConcat(t, src); !strings.Contains(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", src, got, want)
		}
	}
}

// BenchmarkConcat compares a chain built by gopher-lua's OP_CONCAT with
// the same chain through concatOp (what every compiled chunk runs).
func BenchmarkConcat(b *testing.B) {
	const src = `local s, n = "key:", 42 for i = 1, 1000 do local k = s .. n .. ":" .. i end`
	for _, v := range []struct {
		name    string
		compile func() (*lua.FunctionProto, error)
	}{
		{"opconcat", func() (*lua.FunctionProto, error) {
			stmts, err := parse.Parse(strings.NewReader(src), "c")
			if err != nil {
				return nil, err
			}
			return lua.Compile(stmts, "c")
		}},
		{"luajit", func() (*lua.FunctionProto, error) { return compileProto(src, "c") }},
	} {
		b.Run(v.name, func(b *testing.B) {
			p, err := v.compile()
			if err != nil {
				b.Fatal(err)
			}
			L := lua.NewState()
			defer L.Close()
			fn := L.NewFunctionFromProto(p)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				L.Push(fn)
				if err := L.PCall(0, 0, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The .. operator stops at lua_max_string_size with LuaJIT's "string
// length overflow", before allocating, in every way a chain is built
// (plain, mixed with __concat, inside coroutines and pcall); results up
// to the limit are made.
func TestConcatStringLimit(t *testing.T) {
	p, _ := newTestPool(t, Options{MaxStringSize: 1 << 20})
	w := p.Next()
	for _, tc := range []struct{ name, src, err, out string }{
		{"doubling", "local s = 'x'\nwhile true do s = s .. s end", "c:2: string length overflow", ""},
		{"chain", "local s = string.rep('x', 2^19)\nreturn s .. s .. 'x'", "c:2: string length overflow", ""},
		{"number operand", "local s = string.rep('x', 2^20 - 1)\nreport(#(s .. 7))\nreturn s .. 77", "c:3: string length overflow", "1048576"},
		{"at the limit", "local s = string.rep('x', 2^19)\nreport(#(s .. s))", "", "1048576"},
		{"with __concat", "local t = setmetatable({}, {__concat = function(a, b) return 'T' end})\nlocal s = string.rep('x', 2^19)\nreturn (t .. 'a') .. s .. s", "c:3: string length overflow", ""},
		{"in pcall", "local s = string.rep('x', 2^20)\nreport(pcall(function() return s .. 'x' end))", "", "false c:2: string length overflow"},
		{"in a coroutine", "local s = string.rep('x', 2^20)\nreport(coroutine.wrap(function() return pcall(function() return 'x' .. s end) end)())", "", "false c:2: string length overflow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, out := run(t, w, PhaseContent, "c", tc.src)
			if (r.Err == nil) != (tc.err == "") || r.Err != nil && r.Err.Error() != tc.err || out != tc.out {
				t.Fatalf("got %v %q, want %q %q", r.Err, out, tc.err, tc.out)
			}
		})
	}
}

// TestConcatShared runs one compiled chunk's concatenations on several
// LStates at once: the concatOp constant is shared by every worker.
func TestConcatShared(t *testing.T) {
	p, err := compileProto(`local s = "" for i = 1, 200 do s = s .. i / 2 .. "," end return s`, "c")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			L := lua.NewState()
			defer L.Close()
			L.Push(L.NewFunctionFromProto(p))
			if err := L.PCall(0, 1, nil); err != nil {
				done <- err.Error()
				return
			}
			done <- L.Get(-1).String()
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if got := <-done; got != first || !strings.HasPrefix(got, "0.5,1,1.5,") {
			t.Fatalf("got %.40q, want %.40q", got, first)
		}
	}
}
