package luavm

import (
	"os"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The replaced pattern functions, string.rep and table.concat answer as
// LuaJIT does (testdata/strlib_peer.txt was written by nginx + lua).
func TestStringLibMatchesPeer(t *testing.T) {
	src, err := os.ReadFile("testdata/strlib_cases.lua")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/strlib_peer.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	p, _ := newTestPool(t, Options{Install: func(w *Worker) {
		testInstall(w)
		ngx := w.L.NewTable()
		ngx.RawSetString("say", w.L.NewFunction(func(L *lua.LState) int {
			var b strings.Builder
			for i := 1; i <= L.GetTop(); i++ {
				b.WriteString(L.ToString(i))
			}
			lines = append(lines, b.String())
			return 0
		}))
		w.L.SetGlobal("ngx", ngx)
	}})
	if r, _ := run(t, p.Next(), PhaseContent, "cases", string(src)); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	got := map[string]string{}
	for _, l := range lines {
		k, _, _ := strings.Cut(l, " => ")
		got[k] = l
	}
	for _, w := range wantLines {
		k, _, _ := strings.Cut(w, " => ")
		if got[k] != w {
			t.Errorf("\n got: %q\nwant: %q", got[k], w)
		}
	}
}

// Long builtins stop at the deadline (with the caller's chunk:line) and
// never build a string over MaxStringSize.
func TestLongBuiltinsInterrupted(t *testing.T) {
	var opts Options
	opts.Timeouts[PhaseContent] = 500 * time.Millisecond // line 1's string.rep must fit in it under -race on a loaded machine
	opts.MaxStringSize = 1 << 20
	p, _ := newTestPool(t, opts)
	sized, _ := newTestPool(t, Options{MaxStringSize: 1 << 20})
	tests := []struct{ name, src, err string }{
		{"find backtracking", `local s = string.rep("a", 300)
return s:find(".-.-.-.-b")`, "c:2: lua_content_timeout exceeded"},
		{"gsub over a long subject", `local s = string.rep("aaaaaaaaaa", 100000)
while true do s:gsub("a", "%0") end`, "c:2: lua_content_timeout exceeded"},
		{"gmatch", `local s = string.rep("a", 300)
for x in s:gmatch(".-.-.-.-b") do end`, "c:2: lua_content_timeout exceeded"},
		{"match", `local s = string.rep("a", 300)
return s:match("^(.-)(.-)(.-)(.-)b")`, "c:2: lua_content_timeout exceeded"},
		{"rep too large", `return string.rep("x", 2^40)`, "c:1: resulting string too large"},
		{"rep with a separator too large", `return string.rep("x", 2^19, "yy")`, "c:1: resulting string too large"},
		{"concat too large", `local t = {} for i = 1, 2^11 do t[i] = string.rep("x", 1024) end return table.concat(t, ",")`, "c:1: resulting string too large"},
		{"gsub too large", `local s = string.rep("x", 2^19) return s:gsub("x", "yyy")`, "c:1: resulting string too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			w := p.Next()
			if strings.HasSuffix(tc.err, "too large") {
				w = sized.Next() // no deadline: a slow (-race) run must not hit it
			}
			r, _ := run(t, w, PhaseContent, "c", tc.src)
			if r.Err == nil || r.Err.Error() != tc.err {
				t.Fatalf("got %v, want %q", r.Err, tc.err)
			}
			// Uninterrupted, the deadline cases run for ever (or for minutes);
			// the bound only has to tell that apart on a loaded -race run.
			if d := time.Since(start); !strings.HasSuffix(tc.err, "too large") && d > 30*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
	// the limits leave ordinary use alone
	if r, out := run(t, sized.Next(), PhaseContent, "c", `report(#string.rep("ab", 1000, ","), (string.rep("a", 1000):gsub("a", "b")):sub(1, 3))`); r.Err != nil || out != "2999 bbb" {
		t.Fatalf("got %v %q", r.Err, out)
	}
}
