package runner

import (
	"fmt"
	"regexp"
	"strings"
)

// PerlRegexp compiles a Perl regex (the body of qr/.../flags) into a Go
// regexp with the same meaning, or fails when the pattern uses a Perl
// feature RE2 lacks (look-around, back-references, atomic groups, \G).
//
// Differences handled: Perl's '$' without /m also matches before a final
// newline (translated to the zero-width (?m:$), slightly more permissive:
// it also matches before inner newlines), '\Z' likewise, \h, \e,
// \Q...\E, and escaped spaces.
func PerlRegexp(pat, flags string) (*regexp.Regexp, error) {
	goFlags := ""
	multi := false
	extended := false
	for _, f := range flags {
		switch f {
		case 'i', 's':
			goFlags += string(f)
		case 'm':
			goFlags += "m"
			multi = true
		case 'x':
			extended = true
		case 'o', 'u', 'a', 'l', 'd':
			// no effect on matching here
		default:
			return nil, fmt.Errorf("qr//: unsupported flag %q", f)
		}
	}
	var b strings.Builder
	if goFlags != "" {
		b.WriteString("(?" + goFlags + ")")
	}
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		if extended && !inClass {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				continue
			}
			if c == '#' {
				for i < len(pat) && pat[i] != '\n' {
					i++
				}
				continue
			}
		}
		switch {
		case c == '\\' && i+1 < len(pat):
			e := pat[i+1]
			i++
			switch {
			case e == 'Q':
				end := strings.Index(pat[i+1:], `\E`)
				var lit string
				if end < 0 {
					lit = pat[i+1:]
					i = len(pat)
				} else {
					lit = pat[i+1 : i+1+end]
					i = i + 1 + end + 1
				}
				b.WriteString(regexp.QuoteMeta(lit))
			case e == 'E':
			case e == 'h':
				if inClass {
					b.WriteString(` \t`)
				} else {
					b.WriteString(`[ \t]`)
				}
			case e == 'e':
				b.WriteString(`\x1b`)
			case e == 'Z':
				b.WriteString(`(?m:$)`)
			case e == 'G' || e == 'K' || (e >= '1' && e <= '9') || e == 'g' || e == 'k':
				return nil, fmt.Errorf("qr/%s/: \\%c is not supported by the Go runner (RE2)", pat, e)
			case e == ' ' || e == '#' || e == '/' || e == '\'' || e == '"' || e == '@' || e == '%' || e == '~' || e == '!' || e == ',' || e == ';' || e == ':' || e == '=' || e == '<' || e == '>' || e == '&' || e == '`':
				b.WriteString(regexp.QuoteMeta(string(e)))
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// a ']' right after '[' or '[^' is literal
			if i+1 < len(pat) && pat[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pat) && pat[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '(' && i+1 < len(pat) && pat[i+1] == '?':
			rest := pat[i+2:]
			switch {
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
				strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
				return nil, fmt.Errorf("qr/%s/: look-around assertions are not supported by the Go runner (RE2)", pat)
			case strings.HasPrefix(rest, ">"):
				return nil, fmt.Errorf("qr/%s/: atomic groups are not supported by the Go runner (RE2)", pat)
			case strings.HasPrefix(rest, "#"):
				end := strings.IndexByte(rest, ')')
				if end < 0 {
					return nil, fmt.Errorf("qr/%s/: unterminated comment", pat)
				}
				i += 2 + end
			default:
				b.WriteByte(c)
			}
		case c == '$' && !multi:
			// Perl: end of string or before a final newline. RE2 has no
			// look-ahead, so this uses the zero-width (?m:$), which also
			// matches before a newline that is not the final one.
			b.WriteString(`(?m:$)`)
		case (c == '+' || c == '?' || c == '*' || c == '}') && i+1 < len(pat) && pat[i+1] == '+':
			return nil, fmt.Errorf("qr/%s/: possessive quantifiers are not supported by the Go runner (RE2)", pat)
		default:
			b.WriteByte(c)
		}
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("qr/%s/: %v", pat, err)
	}
	return re, nil
}
