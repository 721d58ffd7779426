package ngxapi

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestReAgainstPerl compares ngx.re's matching (translated to RE2) with
// Perl's regex engine, whose semantics PCRE follows: for every pattern,
// subject, start offset and flag set where goresty accepts the pattern, both
// must agree on whether there is a match and on every group's offsets.
func TestReAgainstPerl(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	patterns := []string{
		`a`, `a+`, `a*`, `a*?`, `(a|ab)(c|bcd)(d*)`, `^`, `$`, `^$`, `^a`, `a$`, `\Z`, `\z`, `\A`,
		`\bb`, `b\b`, `\Bb`, `\w+`, `\W`, `\d+`, `\s+`, `\S+`, `.`, `.+`, `(.)(.)?`, `[^a]`, `[a-c]+`,
		`[\w.]+`, `(?<n>b)(?<m>c)?`, `(?i)AB`, `a(?i)b`, `(?i:A)b`, `(?s).`, `(?m)^b`, `(?m)$`,
		`x*`, `(x)?y?`, `a{2}`, `a{1,2}?`, `\x61`, `[\x80-\xff]`, `\xe9`, `\.`, `[]a]`, `[^]a]`,
		`(a)|(b)`, `(?:a|b)+`, `\n`, `\n$`, `$\n?`, `b$|c`, `(?#x)a`, `a\Z`, `^\s*$`,
		`[[:alpha:]]+`, `[[:^digit:]]`, `\N`, `a|`, `|a`, `(?m)^\w`, `(?m)\w$`, `(?s)a.b`, `\e`, `(a*)+`, `(a|b)*c`, `\bcat\b`, `(?m)^$`, `[\s\S]+`, `(?x) a b # c`,
		`(?-i:a)B`, `[a\-z]`, `\141`, `\cA|a`, `(?m)^\n`, `$|a`, `(?m:$)\n`, `\n(?m:^)`, `(?m)\n^`, `(?m)(^|b)\n?`, `(?m)^(\w*)\s*`,
	}
	subjects := []string{"", "a", "ab", "abc", "abcd", "aab", "ba", "a\n", "a\nb", "a\nb\n", "\n", "a\n\nb\n", "\n\n", "b\na\n",
		"ab\n\n", "x y", "cat catalog", "\xe9a\xff", "AbC", "a.b", "]a", "  ", "b"}
	flagSets := []string{"", "i", "m", "s", "ms", "x"}

	var lines []string
	type tc struct {
		pat, subj, fl string
		off           int
	}
	var cases []tc
	for _, p := range patterns {
		for _, s := range subjects {
			for _, fl := range flagSets {
				for off := 0; off <= len(s); off++ {
					cases = append(cases, tc{p, s, fl, off})
					lines = append(lines, strings.Join([]string{hex.EncodeToString([]byte(p)),
						hex.EncodeToString([]byte(s)), hex.EncodeToString([]byte(fmt.Sprint(off))),
						hex.EncodeToString([]byte(fl))}, " "))
				}
			}
		}
	}
	script := `
while (my $line = <STDIN>) {
  chomp $line;
  my ($p, $s, $off, $fl) = map { pack("H*", $_) } split(/ /, $line, -1);
  my $re = eval { length($fl) ? qr/(?$fl)$p/ : qr/$p/ };
  if (!defined $re) { print "ERR\n"; next; }
  pos($s) = $off;
  if ($s =~ /$re/g) {
    print join(",", map { defined $-[$_] ? "$-[$_]-$+[$_]" : "u" } 0..$#-), "\n";
  } else { print "NO\n"; }
}`
	cmd := exec.Command(perl, "-e", script)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	compared, failures := 0, 0
	for i := 0; sc.Scan(); i++ {
		want := sc.Text()
		c := cases[i]
		if want == "ERR" {
			continue
		}
		f, _ := parseReOpts(c.fl)
		p, _ := compileReUncached(c.pat, f)
		if p == nil {
			continue // refused (PCRE-only or unsupported): never a wrong match
		}
		caps, errText := p.exec(newReSubject(c.subj, false), c.off)
		if errText != "" {
			continue
		}
		got := "NO"
		if caps != nil {
			var parts []string
			for g := 0; g+1 < len(caps); g += 2 {
				if caps[g] < 0 {
					parts = append(parts, "u")
				} else {
					parts = append(parts, fmt.Sprintf("%d-%d", caps[g], caps[g+1]))
				}
			}
			// Perl reports only up to the last group that took part
			for len(parts) > 1 && parts[len(parts)-1] == "u" {
				parts = parts[:len(parts)-1]
			}
			got = strings.Join(parts, ",")
		}
		compared++
		if got != want {
			failures++
			if failures <= 30 {
				t.Errorf("pattern %q flags %q subject %q from %d: goresty %s, perl %s", c.pat, c.fl, c.subj, c.off, got, want)
			}
		}
	}
	t.Logf("compared %d cases with perl (%d cases in all)", compared, len(cases))
}
