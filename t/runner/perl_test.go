package runner

import (
	"strings"
	"testing"
)

func TestEvalPerl(t *testing.T) {
	env := map[string]string{"TEST_NGINX_X": "ex", "TEST_NGINX_HTML_DIR": "/html"}
	vars := map[string]Value{"V": {Kind: KindStr, Str: "vee"}}
	for _, tc := range []struct{ src, want string }{
		{`'a\'b\\c\n'`, `a'b\c\n`},
		{`"a\tb\n\x41\x{42}\$x\@y\"z"`, "a\tb\nAB$x@y\"z"},
		{`"port $ENV{TEST_NGINX_X} $::V ${V}"`, "port ex vee vee"},
		{`"ab" x 3 . "c"`, "abababc"},
		{`"-" x 2 x 2`, "----"},
		{`q{a {b} \}}`, "a {b} }"},
		{`qq!a\n$::V!`, "a\nvee"},
		{`12_000`, "12000"},
		{`html_dir() . "/x"`, "/html/x"},
		{`("a" . "b") x 2`, "abab"},
		{"<<_EOC_ . 'tail';\nline $::V\n_EOC_\n", "line vee\ntail"},
		{"<<'EOC';\nraw $x\nEOC\n", "raw $x\n"},
		{`["a", 'b', qr/c/i, ["d"],]`, "[a, b, qr/c/, [d]]"},
		{`qw(a b  c)`, "[a, b, c]"},
		{`undef`, "undef"},
		{`"x"; # comment`, "x"},
	} {
		v, err := EvalPerl(tc.src, vars, env)
		if err != nil {
			t.Errorf("EvalPerl(%q): %v", tc.src, err)
			continue
		}
		if got := v.String(); got != tc.want {
			t.Errorf("EvalPerl(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`foo(1)`, "unsupported Perl expression"},
		{`"a" + 1`, "unsupported Perl expression"},
		{`$ENV{NOPE}`, "$ENV{NOPE} is not set"},
		{`"$x"`, "unknown Perl variable $x"},
		{`"mail\@x.com @list"`, "unescaped '@'"},
		{`[1, 2`, "expected ',' or ']' in list"},
		{`"abc`, "unterminated"},
		{`<<_EOC_;` + "\nno end\n", "unterminated heredoc"},
	} {
		_, err := EvalPerl(tc.src, vars, env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("EvalPerl(%q): err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestEvalPerlRegex(t *testing.T) {
	env := map[string]string{"TEST_NGINX_X": "a.b"}
	v, err := EvalPerl(`qr{^x$ENV{TEST_NGINX_X}\}$}s`, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Re.MatchString("xa.b}") || v.Re.MatchString("xaXb}") {
		t.Errorf("qr with $ENV interpolation (quoted): %v", v.Re)
	}
	v, err = EvalPerl(`qr/a\/b/`, nil, env)
	if err != nil || !v.Re.MatchString("a/b") {
		t.Errorf("escaped delimiter: %v %v", v.Re, err)
	}
}
