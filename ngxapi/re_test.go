package ngxapi

import (
	"strings"
	"testing"
)

func TestReMatch(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"basic", `local m = ngx.re.match("hello, 1234", "([0-9])[0-9]+")
			return m[0] .. "|" .. m[1]`, "1234|1"},
		{"no match", `return tostring(ngx.re.match("hello", "[0-9]+"))`, "nil"},
		{"named", `local m = ngx.re.match("hello, 1234", "(?<word>[a-z]+), (?P<num>\\d+)")
			return m.word .. m[1] .. m.num .. m[2]`, "hellohello12341234"},
		{"unmatched false", `local m = ngx.re.match("hello", "(h)(x)?(?<n>y)?")
			return tostring(m[2]) .. tostring(m.n) .. tostring(m[3])`, "falsefalsefalse"},
		{"caseless", `return ngx.re.match("HeLLo", "hello", "i")[0]`, "HeLLo"},
		{"jo ignored", `return ngx.re.match("abc", "b", "jo")[0]`, "b"},
		{"anchored", `return tostring(ngx.re.match("xab", "ab", "a")) .. ngx.re.match("abx", "ab", "a")[0]`, "nilab"},
		{"ctx pos", `local ctx = {pos = 3}
			local m = ngx.re.match("a1b2c3", "[a-z]\\d", "", ctx)
			return m[0] .. ctx.pos`, "b25"},
		{"ctx sequence", `local ctx, out = {}, {}
			while true do
				local m = ngx.re.match("a1b2c3", "\\d", "", ctx)
				if not m then break end
				out[#out+1] = m[0] .. "@" .. ctx.pos
			end
			return table.concat(out, ",")`, "1@3,2@5,3@7"},
		{"ctx caret", `return tostring(ngx.re.match("ab", "^b", "", {pos = 2}))`, "nil"},
		{"ctx word boundary", `return tostring(ngx.re.match("ab", "\\bb", "", {pos = 2})) .. ngx.re.match("a b", "\\bb", "", {pos = 3})[0]`, "nilb"},
		{"ctx beyond", `local m, err = ngx.re.match("ab", "b?", "", {pos = 10}) return tostring(m) .. " " .. err`, "nil pcre_exec() failed: -24"},
		{"ctx at end", `return ngx.re.match("ab", "b?", "", {pos = 3})[0]`, ""},
		{"dfa only whole match", `local m = ngx.re.match("ab", "(a)(b)", "d") return tostring(m[1]) .. m[0]`, "nilab"},
		{"error offsets", `local t = {}
			for _, p in ipairs({"abc)", "a**", "*a", "a{2,1}", "(?P<1a>x)", "\\p{Foo}", "[[:foo:]]", "(?i", "a(?=b)"}) do
				t[#t+1] = select(2, ngx.re.match("abc", p))
			end
			return table.concat(t, "\n")`, `pcre_compile() failed: unmatched parentheses in "abc)" at ")"
pcre_compile() failed: nothing to repeat in "a**" at "*"
pcre_compile() failed: nothing to repeat in "*a" at "*a"
pcre_compile() failed: numbers out of order in {} quantifier in "a{2,1}" at "}"
pcre_compile() failed: group name must start with a non-digit in "(?P<1a>x)" at "1a>x)"
pcre_compile() failed: unknown property name after \P or \p in "\p{Foo}" at "}"
pcre_compile() failed: unknown POSIX class name in "[[:foo:]]" at "foo:]]"
pcre_compile() failed: unrecognized character after (? or (?- in "(?i"
pcre_compile() failed: lookahead assertion (?=...) is a PCRE-only feature, not supported by goresty's RE2 engine in "a(?=b)" at "(?=b)"`},
		{"res table", `local res = {}
			local m = ngx.re.match("ab", "(a)(b)", "", nil, res)
			return tostring(m == res) .. res[1] .. res[2]`, "trueab"},
		{"dupnames", `local m = ngx.re.match("ab", "(?<x>a)(?<x>b)(?<x>c)?", "D")
			return #m.x .. m.x[1] .. m.x[2]`, "2ab"},
		{"dup without D", `local m, err = ngx.re.match("ab", "(?<x>a)(?<x>b)")
			return err`, `pcre_compile() failed: two named subpatterns have the same name in "(?<x>a)(?<x>b)" at ">b)"`},
		{"bad regex", `local m, err = ngx.re.match("ab", "(ab")
			return tostring(m) .. "|" .. err`, `nil|pcre_compile() failed: missing ) in "(ab"`},
		{"unknown flag", `local ok, err = pcall(function() return ngx.re.match("ab", "a", "z") end)
			return err`, `<string>:1: unknown flag "z" (flags "z")`},
		{"dollar final newline", `return ngx.re.match("abc\n", "c$")[0] .. tostring(ngx.re.match("abc\n", "c\\z"))`, "cnil"},
		{"dollar Z", `return ngx.re.match("abc\n", "c\\Z")[0]`, "c"},
		{"dollar multi", `return ngx.re.match("a\nb\n", "b$")[0] .. tostring(ngx.re.match("a\nb\n", "a$"))`, "bnil"},
		{"dollar multi gsub", `return (ngx.re.gsub("a\nb\n", "$", "X"))`, "a\nbX\nX"},
		{"dollar multi classes", `local m = ngx.re.match("a\nb\nc\n", "(?s)a.b\\s+c[^x]$")
			return m[0] .. "|" .. tostring(ngx.re.match("a\nb\n", "a.b$")) .. "|" .. tostring(ngx.re.match("a\nb\n", "a[^\\n]b$"))`, "a\nb\nc\n|nil|nil"},
		{"dollar multi with m anchors", `local m, err = ngx.re.match("a\nb\n", "(?m:^a)|b$")
			return tostring(m) .. "|" .. tostring(err ~= nil)`, "nil|true"},
		{"dollar no newline", `return ngx.re.match("a\nb", "b$")[0] .. tostring(ngx.re.match("a\nb", "a$"))`, "bnil"},
		{"multiline", `return ngx.re.match("a\nb", "^b$", "m")[0]`, "b"},
		{"dotall", `return tostring(ngx.re.match("a\nb", "a.b")) .. ngx.re.match("a\nb", "a.b", "s")[0]`, "nila\nb"},
		{"extended", `return ngx.re.match("ab1", [[
			(?<l> [a-z]+ )   # letters
			(\d)             # digit
		]], "x").l`, "ab"},
		{"extended escaped space", `return ngx.re.match("a b", "a\\ b", "x")[0]`, "a b"},
		{"bytes without u", `return #ngx.re.match("é", ".")[0] .. #ngx.re.match("é", ".", "u")[0]`, "12"},
		{"byte class", `return #ngx.re.match("aé", "[\\x80-\\xff]+")[0]`, "2"},
		{"utf8 literal no u", `return ngx.re.match("xéy", "é")[0]`, "é"},
		{"utf8 class u", `return ngx.re.match("xéy", "[é]", "u")[0]`, "é"},
		{"bad utf8 subject", `local m, err = ngx.re.match("\255", ".", "u")
			return err`, "pcre_exec() failed: -10"},
		{"U no check", `return #ngx.re.match("\255", ".", "U")[0]`, "1"},
		{"dfa longest", `return ngx.re.match("abcd", "ab|abcd", "d")[0] .. ngx.re.match("abcd", "ab|abcd")[0]`, "abcdab"},
		{"dfa offset", `return ngx.re.match("xxabcd", "ab|abcd", "d", {pos = 2})[0]`, "abcd"},
		{"subject number", `return ngx.re.match(12345, "3(4)")[1]`, "4"},
		{"escapes", `return ngx.re.match("a\tb\27c", "\\x09b\\ec")[0] == "\tb\27c" and "ok"`, "ok"},
		{"quote", `return ngx.re.match("a.b*c", "\\Q.b*\\E")[0]`, ".b*"},
		{"comment group", `return ngx.re.match("ab", "a(?#comment)b")[0]`, "ab"},
		{"inline flags", `return ngx.re.match("AB", "a(?i)b", "i")[0] .. ngx.re.match("aB", "a(?i:b)")[0]`, "ABaB"},
		{"brace literal", `return ngx.re.match("a{b", "a{b")[0] .. ngx.re.match("aa", "a{2}")[0]`, "a{baa"},
		{"class bracket", `return ngx.re.match("]", "[]]")[0] .. ngx.re.match("x", "[^]]")[0]`, "]x"},
		{"posix class", `return ngx.re.match("ab1", "[[:digit:]]")[0]`, "1"},
		{"s includes VT", `return tostring(ngx.re.match("\v", "\\s") ~= nil)`, "true"},
	})
}

func TestRePCREOnlyRejected(t *testing.T) {
	L := newH8State(t)
	for _, pat := range []string{
		`a(?=b)`, `a(?!b)`, `(?<=a)b`, `(?<!a)b`, `(a)\1`, `(?<n>a)\k<n>`, `(?P=n)`,
		`a*+`, `a++`, `a?+`, `a{2}+`, `(?>a+)`, `a\Kb`, `(?R)`, `(?1)`, `(?(1)a|b)`,
		`\Ga`, `(*SKIP)a`, `(?|a|b)`, `(a*)+`, `(a|)*b`, `(x?){2,}`, `\g{1}`, `\h`, `\R`, `\X`, `(?&name)`, `(?C1)`,
	} {
		L.SetGlobal("pat", luaString(pat))
		if err := L.DoString(`m, err = ngx.re.match("aab", pat)`); err != nil {
			t.Fatalf("%s: %v", pat, err)
		}
		m, e := L.GetGlobal("m"), L.GetGlobal("err").String()
		if m.String() != "nil" || !strings.Contains(e, "pcre_compile() failed:") ||
			(!strings.Contains(e, "PCRE-only") && !strings.Contains(e, "unrecognized")) {
			t.Errorf("%s: m=%v err=%q", pat, m, e)
		}
	}
}

func TestReFind(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"basic", `local f, t = ngx.re.find("hello, 1234", "[0-9]+") return f .. "-" .. t`, "8-11"},
		{"nth", `local f, t = ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 2) return f .. "-" .. t`, "9-11"},
		{"nth out of bound", `local f, t, err = ngx.re.find("ab", "(a)", "", nil, 2) return err`, "nth out of bound"},
		{"nth unmatched", `local f, t, err = ngx.re.find("ab", "(a)(x)?", "", nil, 2) return tostring(f) .. tostring(err)`, "nilnil"},
		{"empty", `local f, t = ngx.re.find("abc", "") return f .. "-" .. t`, "1-0"},
		{"ctx", `local ctx = {pos = 2}
			local f, t = ngx.re.find("abab", "ab", "", ctx) return f .. "-" .. t .. ":" .. ctx.pos`, "3-4:5"},
		{"no match", `return tostring(ngx.re.find("abc", "x"))`, "nil"},
	})
}

func TestReGmatch(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"words", `local out = {}
			for m in ngx.re.gmatch("hello, world!", "([a-z]+)") do out[#out+1] = m[0] .. "/" .. m[1] end
			return table.concat(out, ",")`, "hello/hello,world/world"},
		{"empty matches", `local out = {}
			for m in ngx.re.gmatch("abc", "x*") do out[#out+1] = "[" .. m[0] .. "]" end
			return table.concat(out)`, "[][][][]"},
		{"mixed", `local out = {}
			for m in ngx.re.gmatch("baaac", "a*") do out[#out+1] = "[" .. m[0] .. "]" end
			return table.concat(out)`, "[][aaa][][]"},
		{"iterator call", `local it = ngx.re.gmatch("a1b2", "\\d")
			return it()[0] .. it()[0] .. tostring(it()) .. tostring(it())`, "12nilnil"},
		{"bad regex", `local it, err = ngx.re.gmatch("a", "(") return tostring(it) .. err`, `nilpcre_compile() failed: missing ) in "("`},
		{"utf8 empty", `local n = 0
			for m in ngx.re.gmatch("éé", "", "u") do n = n + 1 end
			return n`, "3"},
		{"multiline caret", `local out = {}
			for m in ngx.re.gmatch("a\nb\n", "^", "m") do out[#out+1] = "x" end
			return #out`, "2"},
	})
}

func TestReSub(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"sub", `local s, n = ngx.re.sub("hello, world", "[a-z]+", "howdy") return s .. n`, "howdy, world1"},
		{"no match", `local s, n = ngx.re.sub("hello", "[0-9]", "x") return s .. n`, "hello0"},
		{"template", `local s, n = ngx.re.sub("a b c d", "(b) (c)", "[$0] [$1] [${2}] [$3] $$") return s .. n`, "a [b c] [b] [c] [] $ d1"},
		{"named template", `local s, n, err = ngx.re.sub("a b", "(b)", "$hello") return tostring(s) .. tostring(n) .. err`, "nilnilfailed to compile the replacement template"},
		{"trailing dollar", `local s, n, err = ngx.re.sub("a b", "(b)", "x$") return err`, "failed to compile the replacement template"},
		{"gsub", `local s, n = ngx.re.gsub("hello, world", "([a-z])[a-z]+", "[$0,$1]") return s .. n`, "[hello,h], [world,w]2"},
		{"gsub function", `local s, n = ngx.re.gsub("hello, world", "[a-z]+", function(m) return m[0]:upper() end) return s .. n`, "HELLO, WORLD2"},
		{"gsub function named", `return (ngx.re.gsub("k=v", "(?<k>\\w+)=(?<v>\\w+)", function(m) return m.v .. "=" .. m.k end))`, "v=k"},
		{"gsub function number", `return (ngx.re.gsub("ab", "b", function() return 42 end))`, "a42"},
		{"gsub empty perl", `return (ngx.re.gsub("baaac", "a*", "-"))`, "-b--c-"},
		{"gsub empty", `return (ngx.re.gsub("abc", "", "-"))`, "-a-b-c-"},
		{"gsub multiline caret", `return (ngx.re.gsub("a\nb\n", "^", "> ", "m"))`, "> a\n> b\n"},
		{"gsub multiline caret no final nl", `return (ngx.re.gsub("a\nb", "^", "> ", "m"))`, "> a\n> b"},
		{"gsub bytes", `return (ngx.re.gsub("é", ".", "x"))`, "xx"},
		{"gsub utf8", `return (ngx.re.gsub("é", ".", "x", "u"))`, "x"},
		{"gsub word boundary", `return (ngx.re.gsub("cat catalog", "\\bcat\\b", "dog"))`, "dog catalog"},
		{"gsub anchored", `return (ngx.re.gsub("aab", "a", "x", "a"))`, "xxb"},
		{"number replacement", `return (ngx.re.sub("ab", "b", 7))`, "a7"},
		{"nil replacement", `return (ngx.re.sub("abc", "b", nil))`, "anilc"},
		{"error in function", `local ok, err = pcall(ngx.re.gsub, "ab", "b", function() error("boom") end)
			return tostring(ok) .. tostring(err:find("boom") ~= nil)`, "falsetrue"},
	})
}

func TestReSplit(t *testing.T) {
	runLuaCases(t, []luaCase{
		{"basic", `local r = require("ngx.re").split("a,b,c,d", ",") return table.concat(r, "|") .. #r`, "a|b|c|d4"},
		{"captures", `local r = require("ngx.re").split("a,b,c", "(,)") return table.concat(r, "|")`, "a|,|b|,|c"},
		{"max", `local r = require("ngx.re").split("a,b,c,d", ",", nil, nil, 2) return table.concat(r, "|")`, "a|b,c,d"},
		{"empty regex", `local r = require("ngx.re").split("abcd", "") return table.concat(r, "|")`, "a|b|c|d"},
		{"leading", `local r = require("ngx.re").split(",a,b", ",") return table.concat(r, "|") .. #r`, "|a|b3"},
		{"trailing dropped", `local r = require("ngx.re").split(",a,,b,,", ",") return table.concat(r, "|") .. #r`, "|a||b4"},
		{"only separators", `return #require("ngx.re").split(",,", ",")`, "0"},
		{"trailing kept with max", `local r = require("ngx.re").split("a,b,c,", ",", nil, nil, 4) return table.concat(r, "|") .. #r`, "a|b|c|4"},
		{"no match", `local r = require("ngx.re").split("abc", ",") return table.concat(r, "|")`, "abc"},
		{"first capture only", `local r = require("ngx.re").split("a,b", "(,)(x)?") return table.concat(r, "|") .. #r`, "a|,|b3"},
	})
}

func TestReCacheBounded(t *testing.T) {
	L := newH8State(t)
	if err := L.DoString(`for i = 1, 3000 do assert(ngx.re.match("x" .. i, "x" .. i)) end`); err != nil {
		t.Fatal(err)
	}
	reCache.Lock()
	n := len(reCache.m)
	reCache.Unlock()
	if n > reCacheMax {
		t.Fatalf("cache holds %d entries", n)
	}
}

func TestTranslateNeverPanics(t *testing.T) {
	for _, p := range []string{"", "\\", "[", "(?", "(?<", "(?P", "\\x{", "\\o", "\\c", "[[:", "\\p", "a{", "(?i", "[\\", "[\\p", "[\\P", "\\Q", "(?#"} {
		for _, f := range []reFlags{{}, {utf8: true}, {extended: true}} {
			compileReUncached(p, f)
		}
	}
}

// Compiled regexes are shared by all workers: use them from several
// goroutines (each with its own LState, as workers) at once.
func TestReConcurrentWorkers(t *testing.T) {
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			L := newH8State(t)
			done <- L.DoString(`
				for i = 1, 300 do
					local ctx = {pos = 2}
					assert(ngx.re.match("xa1b2\n", "[a-z](\\d)$", "", ctx)[1] == "2")
					assert(ngx.re.gsub("a\nb\n", "^", "> ", "m") == "> a\n> b\n")
					assert(ngx.re.find("aaa" .. i, "\\d+$", "d") == 4)
					assert(ngx.re.match("k" .. (i % 50), "(?<n>k)(\\d+)").n == "k")
				end`)
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
