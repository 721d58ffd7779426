package runner

import (
	"strings"
	"testing"
)

func TestPerlRegexp(t *testing.T) {
	for _, tc := range []struct {
		pat, flags, text string
		match            bool
	}{
		{`^foo$`, "", "foo\n", true}, // $ before a final newline
		{`^foo$`, "", "foo", true},   //
		{`^now: \d+$\n`, "s", "now: 1\n", true},
		{`^foo\Z`, "", "foo\n", true},
		{`^foo\z`, "", "foo\n", false},
		{`^a.b$`, "", "a\nb", false}, // no /s: . does not match \n
		{`^a.b$`, "s", "a\nb", true},
		{`^A`, "i", "abc", true},
		{`^b$`, "m", "a\nb\nc", true},
		{`^b$`, "", "a\nb\nc", false},
		{`a b # comment` + "\n" + ` c`, "x", "abc", true},
		{`\Qa.b\E.`, "", "a.bc", true},
		{`\Qa.b\E`, "", "axb", false},
		{`x\h+y`, "", "x \ty", true},
		{`a\/b`, "", "a/b", true},
		{`[$]x`, "", "$x", true},
		{`\$x`, "", "$x", true},
		{`(?i)foo`, "", "FOO", true},
		{`[]a]+`, "", "]a", true},
		{`(?<n>x)`, "", "x", true},
		{`a(?# comment )b`, "", "ab", true},
	} {
		re, err := PerlRegexp(tc.pat, tc.flags)
		if err != nil {
			t.Errorf("qr/%s/%s: %v", tc.pat, tc.flags, err)
			continue
		}
		if got := re.MatchString(tc.text); got != tc.match {
			t.Errorf("qr/%s/%s on %q = %v, want %v (go: %s)", tc.pat, tc.flags, tc.text, got, tc.match, re)
		}
	}
	for _, tc := range []struct{ pat, want string }{
		{`a(?=b)`, "look-around"},
		{`a(?!b)`, "look-around"},
		{`(?<=a)b`, "look-around"},
		{`(?<!a)b`, "look-around"},
		{`(a)\1`, `\1 is not supported`},
		{`(?>a)`, "atomic"},
		{`a++`, "possessive"},
		{`\Ga`, `\G is not supported`},
		{`a(`, "missing closing )"},
	} {
		_, err := PerlRegexp(tc.pat, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("qr/%s/: err = %v, want %q", tc.pat, err, tc.want)
		}
	}
}
