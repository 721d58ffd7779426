package lpattern

import (
	"errors"
	"testing"
)

// matchAll tries pat at every start of src as string.find does, turning
// the matcher's Error panics into an error.
func matchAll(src, pat string, check func() error) (start, end int, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	m := &Matcher{Src: src, Pat: pat, Check: check}
	for s := 0; s <= len(src); s++ {
		m.Reset()
		if e := m.Match(s, 0); e != -1 {
			for i := 0; i < m.NumCaptures(); i++ {
				m.Capture(i, s, e)
			}
			return s, e, nil
		}
	}
	return -1, -1, nil
}

func TestMatch(t *testing.T) {
	tests := []struct {
		src, pat   string
		start, end int
		err        string
	}{
		{"hello world", "o w", 4, 7, ""},
		{"  x  ", "%s*(.-)%s*$", 0, 5, ""},
		{"ab", "()a%1", -1, -1, ""},
		{"f(a(b)c)d", "%b()", 1, 8, ""},
		{"THE (quick) fox", "%f[%a]%a+", 0, 3, ""},
		{"abab", "(ab)%1", 0, 4, ""},
		{"a", "%", 0, 0, "malformed pattern (ends with '%')"},
		{"a", "[a", 0, 0, "malformed pattern (missing ']')"},
		{"a", "(a", 0, 0, "unfinished capture"},
		{"a", "a)", 0, 0, "invalid pattern capture"},
		{"a", "%1", 0, 0, "invalid capture index"},
	}
	for _, tc := range tests {
		s, e, err := matchAll(tc.src, tc.pat, nil)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q %q: got %v, want %q", tc.src, tc.pat, err, tc.err)
			}
			continue
		}
		if err != nil || s != tc.start || e != tc.end {
			t.Errorf("%q %q: got %d %d %v", tc.src, tc.pat, s, e, err)
		}
	}
}

// A backtracking match asks Check and stops with what it returns.
func TestCheckStops(t *testing.T) {
	stop := Error("stop")
	calls := 0
	_, _, err := matchAll(string(make([]byte, 300)), ".-.-.-.-b", func() error {
		if calls++; calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("got %v after %d checks", err, calls)
	}
}

// FuzzMatch: any pattern on any subject either matches, fails or raises
// an Error; nothing else panics and the recursion stays bounded.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"%b()", "(a)(b)%2", "[^%a-z]+$", "%f[%w]%w+", "((((a))))", ".-.-b", "[]]", "[%]", "(()a)"} {
		f.Add("f(a(b)c)d abab", s)
	}
	f.Fuzz(func(t *testing.T, src, pat string) {
		if len(src) > 64 || len(pat) > 32 {
			return
		}
		steps := 0
		matchAll(src, pat, func() error {
			if steps++; steps > 64 {
				return Error("budget")
			}
			return nil
		})
	})
}
