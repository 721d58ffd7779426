package ngxapi

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzCJSONDecode: decoding never panics, and whatever decodes re-encodes
// and decodes again to the same encoding.
func FuzzCJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`, `[1e400, -0x1F, NaN, Infinity]`,
		`{"a" 1}`, `[[[[[[`, "\"\\u0000\"", `1 2`, "\x00\x01", `{"":{}}`, `[true,false,null,"\/"]`} {
		f.Add(s)
	}
	L := lua.NewState()
	defer L.Close()
	arrayMT, emptyMT := cjsonMetatables(L)
	cfg := newCJSONConfig()
	cfg.encodeInvalid = 1
	f.Fuzz(func(t *testing.T, s string) {
		v, err := cjsonDecode(L, cfg, s, arrayMT)
		if err != nil {
			return
		}
		enc, err := cjsonEncode(L, cfg, v, arrayMT, emptyMT)
		if err != nil {
			// sparse arrays cannot be produced by decode; anything else is a bug
			t.Fatalf("re-encoding %q: %v", s, err)
		}
		v2, err := cjsonDecode(L, cfg, enc, arrayMT)
		if err != nil {
			t.Fatalf("decoding own output %q: %v", enc, err)
		}
		enc2, err := cjsonEncode(L, cfg, v2, arrayMT, emptyMT)
		if err != nil || (enc2 != enc && !mapOrderOnly(enc, enc2)) {
			t.Fatalf("not stable: %q -> %q -> %q (%v)", s, enc, enc2, err)
		}
	})
}

// mapOrderOnly accepts two encodings of equal length that may differ by
// object key order (Lua table iteration order).
func mapOrderOnly(a, b string) bool { return len(a) == len(b) }

// FuzzRePattern: translating and compiling any pattern under any flags and
// running it over a subject (match from every offset, gsub-style iteration)
// never panics.
func FuzzRePattern(f *testing.F) {
	for _, s := range []string{`(?<n>a+)\d*$`, `^\s*(\w+)\s*=`, `a(?=b)`, `[\x80-\xff]+`, `(?x) a # c`,
		`\Qa.b\E`, `(?i:x)|y{2,3}`, `[]a-]`, `(?m)^$`, `\p{L}+`, `(a|b)*?c`, `\`, `(?#`, `\x{110000}`} {
		f.Add(s, "ab\ncd\n", uint16(0))
		f.Add(s, "éa b", uint16(0x1ff))
	}
	f.Fuzz(func(t *testing.T, pattern, subject string, bits uint16) {
		fl := reFlags{
			caseless: bits&1 != 0, multiline: bits&2 != 0, dotall: bits&4 != 0, extended: bits&8 != 0,
			utf8: bits&16 != 0, noUTFCheck: bits&32 != 0, anchored: bits&64 != 0, dfa: bits&128 != 0,
			dupnames: bits&256 != 0,
		}
		if fl.noUTFCheck {
			fl.utf8 = true
		}
		p, errText := compileReUncached(pattern, fl)
		if p == nil {
			if errText == "" {
				t.Fatal("no program and no error")
			}
			return
		}
		subj := newReSubject(subject, fl.utf8)
		pos := 0
		for n := 0; n < 64 && pos <= len(subject); n++ {
			caps, errText := p.exec(subj, pos)
			if errText != "" || caps == nil {
				return
			}
			for i := 0; i+1 < len(caps); i += 2 {
				if caps[i] >= 0 && (caps[i] < pos && i == 0 || caps[i] > caps[i+1] || caps[i+1] > len(subject)) {
					t.Fatalf("bad captures %v at pos %d for %q on %q", caps, pos, pattern, subject)
				}
			}
			if caps[0] == caps[1] {
				pos = subj.nextPos(caps[1], fl.utf8)
			} else {
				pos = caps[1]
			}
		}
	})
}
