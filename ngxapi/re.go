package ngxapi

// ngx.re.match / find / gmatch / sub / gsub (and `require "ngx.re"`'s split)
// on Go's regexp (RE2). PCRE patterns are translated to RE2 syntax; a
// feature RE2 cannot express exactly (lookaround, backreferences, atomic
// groups, possessive quantifiers, \K, \G, recursion, conditionals, verbs,
// captures inside loops that can match the empty string) is refused with a
// "pcre_compile() failed: ..." error instead of being matched differently.
//
// Semantics kept from PCRE / lua-resty-core (checked against perl and
// nginx + lua-nginx-module, see re_perl_test.go):
//   - without "u" the subject and pattern are byte strings: each byte >= 0x80
//     is one character (mapped to a private-use rune for RE2);
//   - "$" (no "m") also matches before a final newline, and "^" with "m"
//     does not match after it (inner newlines, or the final one, are hidden
//     behind a sentinel byte the rewritten pattern treats as a newline);
//   - searches from an offset (ctx.pos, gmatch, gsub) see the text before the
//     offset for \b and ^ ;
//   - after an empty match the next search starts one character later;
//   - compiled patterns are cached process-wide (bounded) and shared by all
//     workers.

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// ---- options ----

type reFlags struct {
	caseless, multiline, dotall, extended, utf8, noUTFCheck bool
	anchored, dfa, dupnames                                 bool
}

func parseReOpts(opts string) (reFlags, error) {
	var f reFlags
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case 'o', 'j', 'J':
			// compile-once and JIT are implicit here; JavaScript
			// compatibility changes nothing RE2 would accept.
		case 'i':
			f.caseless = true
		case 's':
			f.dotall = true
		case 'm':
			f.multiline = true
		case 'u':
			f.utf8 = true
		case 'U':
			f.utf8, f.noUTFCheck = true, true
		case 'x':
			f.extended = true
		case 'd':
			f.dfa = true
		case 'a':
			f.anchored = true
		case 'D':
			f.dupnames = true
		default:
			return f, fmt.Errorf("unknown flag \"%s\" (flags \"%s\")", opts[i:i+1], opts)
		}
	}
	return f, nil
}

// ---- translation PCRE -> RE2 ----

// Markers left in the translated body, replaced per variant.
const (
	markDollar = "\x00$" // "$" without "m" (and \Z)
	markCaret  = "\x00^" // "^" with "m"
)

type reTranslation struct {
	body       string
	ncap       int
	names      []string // by group number; "" = unnamed
	hasDollar  bool
	hasMDollar bool // multi-line $
	hasCaret   bool // multi-line ^
}

// at, when >= 0, is the pattern offset PCRE would report (` at "rest"`).
type pcreOnlyError struct {
	what string
	at   int
}

func (e *pcreOnlyError) Error() string {
	return e.what + " is a PCRE-only feature, not supported by goresty's RE2 engine"
}

type reSyntaxError struct {
	msg string
	at  int
}

func (e *reSyntaxError) Error() string { return e.msg }

type reTranslator struct {
	pat  string
	i    int
	f    reFlags
	out  strings.Builder
	tr   reTranslation
	x, m bool
	// after a quantifier: a following '+' would make it possessive
	afterQuant bool
	// something a quantifier may apply to precedes
	atom bool
}

func translatePCRE(pat string, f reFlags) (*reTranslation, error) {
	if f.utf8 && !utf8.ValidString(pat) {
		at := 0
		for at < len(pat) {
			r, n := utf8.DecodeRuneInString(pat[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return nil, &reSyntaxError{msg: "invalid UTF-8 string", at: at}
	}
	t := &reTranslator{pat: pat, f: f, x: f.extended, m: f.multiline}
	t.tr.names = []string{""}
	if f.caseless || f.dotall {
		t.out.WriteString("(?")
		if f.caseless {
			t.out.WriteByte('i')
		}
		if f.dotall {
			t.out.WriteByte('s')
		}
		t.out.WriteByte(')')
	}
	if err := t.run(); err != nil {
		// errors found while reading a construct point at its start
		switch e := err.(type) {
		case *reSyntaxError:
			if e.at < 0 && e.msg != "missing )" {
				e.at = t.i
			}
		case *pcreOnlyError:
			if e.at < 0 {
				e.at = t.i
			}
		}
		return nil, err
	}
	t.tr.body = t.out.String()
	return &t.tr, nil
}

type groupState struct{ x, m bool }

func (t *reTranslator) run() error {
	var stack []groupState
	for t.i < len(t.pat) {
		c := t.pat[t.i]
		wasQuant := t.afterQuant
		t.afterQuant = false
		wasAtom := t.atom
		t.atom = true
		if t.x {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				t.i++
				t.afterQuant, t.atom = wasQuant, wasAtom
				continue
			}
			if c == '#' {
				for t.i < len(t.pat) && t.pat[t.i] != '\n' {
					t.i++
				}
				t.afterQuant, t.atom = wasQuant, wasAtom
				continue
			}
		}
		switch c {
		case '\\':
			if err := t.escape(); err != nil {
				return err
			}
		case '[':
			if err := t.class(); err != nil {
				return err
			}
		case '(':
			st, err := t.group()
			if err != nil {
				return err
			}
			if st != nil {
				stack = append(stack, groupState{t.x, t.m})
				t.x, t.m = st.x, st.m
				t.atom = false
			} else {
				t.atom = wasAtom // (?i) and comments are transparent
				t.afterQuant = wasQuant
			}
		case ')':
			if len(stack) == 0 {
				return &reSyntaxError{msg: "unmatched parentheses", at: t.i}
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			t.x, t.m = top.x, top.m
			t.out.WriteByte(')')
			t.i++
		case '^':
			if t.m {
				t.out.WriteString(markCaret)
				t.tr.hasCaret = true
			} else {
				t.out.WriteString(`(?-m:^)`)
			}
			t.i++
		case '$':
			if t.m {
				t.out.WriteString(`(?m:$)`)
				t.tr.hasMDollar = true
			} else {
				t.out.WriteString(markDollar)
				t.tr.hasDollar = true
			}
			t.i++
		case '*', '+', '?':
			t.atom = false
			if c == '+' && wasQuant {
				return &pcreOnlyError{what: "possessive quantifier", at: -1}
			}
			if c == '?' && wasQuant {
				// lazy marker
				t.out.WriteByte(c)
				t.i++
				break
			}
			if !wasAtom {
				return &reSyntaxError{msg: "nothing to repeat", at: t.i}
			}
			t.out.WriteByte(c)
			t.i++
			t.afterQuant = true
		case '{':
			if n := quantLen(t.pat[t.i:]); n > 0 {
				if !wasAtom {
					return &reSyntaxError{msg: "nothing to repeat", at: t.i}
				}
				if err := checkQuantNumbers(t.pat[t.i:t.i+n], t.i); err != nil {
					return err
				}
				t.out.WriteString(t.pat[t.i : t.i+n])
				t.i += n
				t.afterQuant = true
				t.atom = false
			} else {
				t.out.WriteString(`\{`)
				t.i++
			}
		case '|':
			t.out.WriteByte(c)
			t.i++
			t.atom = false
		case '.':
			t.out.WriteByte(c)
			t.i++
		default:
			r, n := t.litRune(t.pat[t.i:])
			t.lit(r)
			t.i += n
		}
	}
	if len(stack) > 0 {
		return &reSyntaxError{msg: "missing )", at: -1}
	}
	return nil
}

// checkQuantNumbers refuses {n,m} with m < n or numbers over 65535, as PCRE.
func checkQuantNumbers(q string, at int) error {
	nums := strings.Split(q[1:len(q)-1], ",")
	var vals []int
	for _, n := range nums {
		if n == "" {
			continue
		}
		v, err := strconv.Atoi(n)
		if err != nil || v > 65535 {
			return &reSyntaxError{msg: "number too big in {} quantifier", at: at + len(q) - 1}
		}
		vals = append(vals, v)
	}
	if len(vals) == 2 && vals[1] < vals[0] {
		return &reSyntaxError{msg: "numbers out of order in {} quantifier", at: at + len(q) - 1}
	}
	return nil
}

// quantLen returns the length of a {n}, {n,}, {n,m} quantifier at s, or 0
// when the brace is a literal (as PCRE treats it).
func quantLen(s string) int {
	i := 1
	d := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		d++
	}
	if d == 0 {
		return 0
	}
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	if i >= len(s) || s[i] != ',' {
		return 0
	}
	i++
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	return 0
}

// litRune reads one pattern character: a UTF-8 rune in "u" mode, a byte
// otherwise (bytes >= 0x80 become private-use runes, like the subject's).
func (t *reTranslator) litRune(s string) (rune, int) {
	if t.f.utf8 {
		return utf8.DecodeRuneInString(s)
	}
	return byteRune(s[0]), 1
}

func byteRune(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return 0xE000 + rune(b)
}

// lit emits rune r as a literal.
func (t *reTranslator) lit(r rune) {
	t.out.WriteString(litText(r))
}

func litText(r rune) string {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0xE000 && r <= 0xE0FF):
		return fmt.Sprintf(`\x{%X}`, r)
	case r < 0x80 && strings.ContainsRune(`\.+*?()|[]{}^$-`, r):
		return `\` + string(r)
	default:
		return string(r)
	}
}

// codepoint turns a numeric escape value into a rune for the current mode.
func (t *reTranslator) codepoint(v int64) (rune, error) {
	if t.f.utf8 {
		if v > 0x10ffff {
			return 0, &reSyntaxError{msg: "character value in \\x{} or \\o{} is too large", at: -1}
		}
		if v >= 0xd800 && v <= 0xdfff {
			return 0, &reSyntaxError{msg: "disallowed Unicode code point (>= 0xd800 && <= 0xdfff)", at: -1}
		}
		return rune(v), nil
	}
	if v > 0xff {
		return 0, &reSyntaxError{msg: "character value in \\x{} or \\o{} is too large", at: -1}
	}
	return byteRune(byte(v)), nil
}

// numericEscape parses the escapes that denote one character: \xhh, \x{h..},
// \0oo, \o{o..}, \cX, \e, \a, \f, \n, \r, \t. s starts after the backslash.
// ok=false: not a character escape.
func (t *reTranslator) numericEscape(s string) (r rune, n int, ok bool, err error) {
	switch s[0] {
	case 'x':
		if len(s) > 1 && s[1] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return 0, 0, true, &reSyntaxError{msg: "missing } after \\x{", at: -1}
			}
			v, perr := strconv.ParseInt(s[2:end], 16, 64)
			if perr != nil || end == 2 {
				if end > 2 && len(s[2:end]) > 8 {
					return 0, 0, true, &reSyntaxError{msg: "character value in \\x{} or \\o{} is too large", at: -1}
				}
				return 0, 0, true, &reSyntaxError{msg: "non-hex character in \\x{} (closing brace missing?)", at: -1}
			}
			r, err = t.codepoint(v)
			if e, ok := err.(*reSyntaxError); ok {
				e.at = t.i + 1 + end
			}
			return r, end + 1, true, err
		}
		j := 1
		v := int64(0)
		for j < 3 && j < len(s) && isHexByte(s[j]) {
			v = v*16 + int64(hexVal(s[j]))
			j++
		}
		r, err = t.codepoint(v)
		return r, j, true, err
	case '0':
		j := 1
		v := int64(0)
		for j < 3 && j < len(s) && s[j] >= '0' && s[j] <= '7' {
			v = v*8 + int64(s[j]-'0')
			j++
		}
		r, err = t.codepoint(v)
		return r, j, true, err
	case 'o':
		if len(s) > 1 && s[1] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return 0, 0, true, &reSyntaxError{msg: "missing } after \\o{", at: -1}
			}
			v, perr := strconv.ParseInt(s[2:end], 8, 64)
			if perr != nil || end == 2 {
				return 0, 0, true, &reSyntaxError{msg: "non-octal character in \\o{} (closing brace missing?)", at: -1}
			}
			r, err = t.codepoint(v)
			return r, end + 1, true, err
		}
		return 0, 0, true, &reSyntaxError{msg: "missing opening brace after \\o", at: -1}
	case 'c':
		if len(s) < 2 || s[1] >= 0x80 {
			return 0, 0, true, &reSyntaxError{msg: "\\c at end of pattern", at: len(t.pat)}
		}
		c := s[1]
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		return rune(c ^ 0x40), 2, true, nil
	case 'e':
		return 0x1b, 1, true, nil
	case 'a':
		return 0x07, 1, true, nil
	case 'f':
		return '\f', 1, true, nil
	case 'n':
		return '\n', 1, true, nil
	case 'r':
		return '\r', 1, true, nil
	case 't':
		return '\t', 1, true, nil
	}
	return 0, 0, false, nil
}

// escape handles a backslash sequence outside a character class.
func (t *reTranslator) escape() error {
	s := t.pat[t.i+1:]
	if s == "" {
		return &reSyntaxError{msg: "\\ at end of pattern", at: len(t.pat)}
	}
	c := s[0]
	if r, n, ok, err := t.numericEscape(s); ok {
		if err != nil {
			return err
		}
		t.lit(r)
		t.i += 1 + n
		return nil
	}
	adv := 2
	switch c {
	case 'd', 'D', 'w', 'W', 'b', 'B', 'A', 'z':
		t.out.WriteString(`\` + string(c))
	case 's':
		t.out.WriteString(`[\t\n\v\f\r ]`)
	case 'S':
		t.out.WriteString(`[^\t\n\v\f\r ]`)
	case 'N':
		t.out.WriteString(`[^\n]`)
	case 'Z':
		t.out.WriteString(markDollar)
		t.tr.hasDollar = true
	case 'p', 'P':
		n, err := t.property(s)
		if err != nil {
			return err
		}
		adv = 1 + n
	case 'Q':
		adv = 1 + t.quote(s)
	case 'E':
		// a stray \E is ignored
	case 'G':
		return &pcreOnlyError{what: `\G (match start assertion)`, at: -1}
	case 'K':
		return &pcreOnlyError{what: `\K (reset match start)`, at: -1}
	case 'g', 'k':
		return &pcreOnlyError{what: `backreference \` + string(c), at: -1}
	case 'h', 'H', 'v', 'V', 'R', 'X', 'C':
		return &pcreOnlyError{what: `\` + string(c) + ` escape`, at: -1}
	default:
		switch {
		case c >= '1' && c <= '9':
			return &pcreOnlyError{what: `backreference \` + string(c), at: -1}
		case c < 0x80 && isAlnumByte(c):
			return &reSyntaxError{msg: "unrecognized character follows \\", at: -1}
		default:
			r, n := t.litRune(s)
			t.lit(r)
			adv = 1 + n
		}
	}
	t.i += adv
	return nil
}

var posixClasses = map[string]bool{"alnum": true, "alpha": true, "ascii": true, "blank": true,
	"cntrl": true, "digit": true, "graph": true, "lower": true, "print": true, "punct": true,
	"space": true, "upper": true, "word": true, "xdigit": true}

// property copies the \p / \P escape at s (starting at the letter), in or
// out of a class, and returns its length from the letter on.
func (t *reTranslator) property(s string) (int, error) {
	n := 2
	if len(s) > 1 && s[1] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, &reSyntaxError{msg: "malformed \\P or \\p sequence", at: -1}
		}
		n = end + 1
	} else if len(s) < 2 {
		return 0, &reSyntaxError{msg: "malformed \\P or \\p sequence", at: -1}
	}
	if _, err := syntax.Parse(`\`+s[:n], syntax.Perl); err != nil {
		return 0, &reSyntaxError{msg: "unknown property name after \\P or \\p", at: t.i + n}
	}
	t.out.WriteString(`\` + s[:n])
	return n, nil
}

// quote copies the literal text of the \Q...\E escape at s (starting at
// the Q; the \E is optional at the end of the pattern) and returns its
// length from the Q on.
func (t *reTranslator) quote(s string) int {
	lit, _, closed := strings.Cut(s[1:], `\E`)
	for j := 0; j < len(lit); {
		r, n := t.litRune(lit[j:])
		t.lit(r)
		j += n
	}
	if !closed {
		return len(s)
	}
	return 1 + len(lit) + 2
}

// class copies a [...] character class.
func (t *reTranslator) class() error {
	t.i++ // '['
	t.out.WriteByte('[')
	if t.i < len(t.pat) && t.pat[t.i] == '^' {
		t.out.WriteByte('^')
		t.i++
	}
	first := true
	for {
		if t.i >= len(t.pat) {
			return &reSyntaxError{msg: "missing terminating ] for character class", at: -1}
		}
		c := t.pat[t.i]
		if c == ']' && !first {
			t.out.WriteByte(']')
			t.i++
			return nil
		}
		first = false
		switch {
		case c == '[' && t.i+1 < len(t.pat) && t.pat[t.i+1] == ':':
			end := strings.Index(t.pat[t.i:], ":]")
			if end < 0 {
				t.out.WriteString(`\[`)
				t.i++
				continue
			}
			name := strings.TrimPrefix(t.pat[t.i+2:t.i+end], "^")
			if !posixClasses[name] {
				return &reSyntaxError{msg: "unknown POSIX class name", at: t.i + 2}
			}
			t.out.WriteString(t.pat[t.i : t.i+end+2])
			t.i += end + 2
		case c == '\\':
			s := t.pat[t.i+1:]
			if s == "" {
				return &reSyntaxError{msg: "\\ at end of pattern", at: len(t.pat)}
			}
			if r, n, ok, err := t.numericEscape(s); ok {
				if err != nil {
					return err
				}
				t.lit(r)
				t.i += 1 + n
				continue
			}
			e := s[0]
			adv := 2
			switch {
			case strings.IndexByte("dDwWS", e) >= 0:
				t.out.WriteString(`\` + string(e))
			case e == 's':
				t.out.WriteString(`\t\n\v\f\r `)
			case e == 'b':
				t.out.WriteString(`\x{8}`)
			case e == 'p' || e == 'P':
				n, err := t.property(s)
				if err != nil {
					return err
				}
				adv = 1 + n
			case e == 'Q':
				adv = 1 + t.quote(s)
			case e == 'E':
			case e >= '1' && e <= '9':
				return &pcreOnlyError{what: `octal escape \` + string(e) + ` in a class`, at: -1}
			case strings.IndexByte("hHvVRXNC", e) >= 0:
				return &pcreOnlyError{what: `\` + string(e) + ` escape`, at: -1}
			case e < 0x80 && isAlnumByte(e):
				return &reSyntaxError{msg: "unrecognized character follows \\", at: -1}
			default:
				r, n := t.litRune(s)
				t.lit(r)
				adv = 1 + n
			}
			t.i += adv
		case c == '[':
			t.out.WriteString(`\[`)
			t.i++
		case c == '-':
			t.out.WriteByte('-')
			t.i++
		default:
			r, n := t.litRune(t.pat[t.i:])
			t.lit(r)
			t.i += n
		}
	}
}

// group handles "(" and its PCRE extensions. It returns the flag state to
// use inside the group (nil for constructs that open no group, like (?i)).
func (t *reTranslator) group() (*groupState, error) {
	s := t.pat[t.i:]
	inner := groupState{t.x, t.m}
	if strings.HasPrefix(s, "(*") {
		return nil, &pcreOnlyError{what: "(*VERB) control", at: -1}
	}
	if !strings.HasPrefix(s, "(?") {
		t.tr.ncap++
		t.tr.names = append(t.tr.names, "")
		t.out.WriteByte('(')
		t.i++
		return &inner, nil
	}
	if len(s) < 3 {
		return nil, &reSyntaxError{msg: "missing )", at: -1}
	}
	switch c := s[2]; c {
	case '#':
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return nil, &reSyntaxError{msg: "missing ) after comment", at: -1}
		}
		t.i += end + 1
		return nil, nil
	case ':':
		t.out.WriteString("(?:")
		t.i += 3
		return &inner, nil
	case '=':
		return nil, &pcreOnlyError{what: "lookahead assertion (?=...)", at: -1}
	case '!':
		return nil, &pcreOnlyError{what: "negative lookahead assertion (?!...)", at: -1}
	case '>':
		return nil, &pcreOnlyError{what: "atomic group (?>...)", at: -1}
	case '|':
		return nil, &pcreOnlyError{what: "branch reset group (?|...)", at: -1}
	case '(':
		return nil, &pcreOnlyError{what: "conditional group (?(...)...)", at: -1}
	case 'R', '+', '&':
		return nil, &pcreOnlyError{what: "recursion or subroutine call", at: -1}
	case 'C':
		return nil, &pcreOnlyError{what: "callout (?C...)", at: -1}
	case '<', '\'', 'P':
		var name string
		var n int
		n0 := 3 // where the name starts
		switch {
		case c == '<' && len(s) > 3 && (s[3] == '=' || s[3] == '!'):
			return nil, &pcreOnlyError{what: "lookbehind assertion (?<" + s[3:4] + "...)", at: -1}
		case c == 'P' && strings.HasPrefix(s[3:], "="):
			return nil, &pcreOnlyError{what: "named backreference (?P=name)", at: -1}
		case c == 'P' && strings.HasPrefix(s[3:], ">"):
			return nil, &pcreOnlyError{what: "recursion or subroutine call", at: -1}
		case c == 'P' && strings.HasPrefix(s[3:], "<"):
			name, n = groupName(s[4:], '>')
			n += 4
			n0 = 4
		case c == 'P':
			return nil, &reSyntaxError{msg: "unrecognized character after (?P", at: -1}
		case c == '<':
			name, n = groupName(s[3:], '>')
			n += 3
		default:
			name, n = groupName(s[3:], '\'')
			n += 3
		}
		if name == "" {
			nameAt := t.i + n0
			if nameAt < len(t.pat) && t.pat[nameAt] >= '0' && t.pat[nameAt] <= '9' {
				return nil, &reSyntaxError{msg: "group name must start with a non-digit", at: nameAt}
			}
			return nil, &reSyntaxError{msg: "syntax error in subpattern name (missing terminator)", at: nameAt}
		}
		if !t.f.dupnames {
			for _, old := range t.tr.names {
				if old == name {
					return nil, &reSyntaxError{msg: "two named subpatterns have the same name", at: t.i + n - 1}
				}
			}
		}
		t.tr.ncap++
		t.tr.names = append(t.tr.names, name)
		t.out.WriteByte('(')
		t.i += n
		return &inner, nil
	}
	if s[2] >= '0' && s[2] <= '9' || s[2] == '-' && len(s) > 3 && s[3] >= '0' && s[3] <= '9' {
		return nil, &pcreOnlyError{what: "recursion or subroutine call", at: -1}
	}
	// option setting: (?flags) or (?flags:...)
	j := 2
	on := true
	goOn, goOff := "", ""
	st := inner
	for ; j < len(s); j++ {
		c := s[j]
		switch c {
		case '-':
			on = false
			continue
		case ')', ':':
		case 'i', 's', 'U':
			if on {
				goOn += string(c)
			} else {
				goOff += string(c)
			}
			continue
		case 'm':
			st.m = on
			continue
		case 'x':
			st.x = on
			continue
		case 'J':
			continue
		case 'n':
			return nil, &pcreOnlyError{what: "no-auto-capture option (?n)", at: -1}
		default:
			return nil, &reSyntaxError{msg: "unrecognized character after (? or (?-", at: t.i + j}
		}
		break
	}
	if j >= len(s) {
		return nil, &reSyntaxError{msg: "unrecognized character after (? or (?-", at: len(t.pat)}
	}
	flags := goOn
	if goOff != "" {
		flags += "-" + goOff
	}
	if s[j] == ')' {
		// applies to the rest of the enclosing group
		if flags != "" {
			t.out.WriteString("(?" + flags + ")")
		}
		t.x, t.m = st.x, st.m
		t.i += j + 1
		return nil, nil
	}
	if flags != "" {
		t.out.WriteString("(?" + flags + ":")
	} else {
		t.out.WriteString("(?:")
	}
	t.i += j + 1
	return &st, nil
}

// groupName reads a group name terminated by term; n counts the terminator.
func groupName(s string, term byte) (string, int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == term {
			if i == 0 {
				return "", 0
			}
			return s[:i], i + 1
		}
		if !(c == '_' || isAlnumByte(c)) || (i == 0 && c >= '0' && c <= '9') {
			return "", 0
		}
	}
	return "", 0
}

// ---- compiled programs and their cache ----

const (
	reKindSearch   = 0 // from the start of the subject
	reKindAnchored = 1 // anchored at the start
	reKindOffset   = 2 // from an offset, one rune of left context
	reKindAnchOff  = 3 // anchored at an offset, one rune of left context
)

type reProg struct {
	pattern string
	flags   reFlags
	tr      *reTranslation
	mu      sync.Mutex
	res     map[int]*regexp.Regexp
}

type reVariant struct {
	kind                       int
	dollarNL, noCaret, longest bool
	// inner newlines of the subject are replaced by nlSentinel bytes, so
	// that "$" (as (?m:$)) only sees the final one
	nlSentinel bool
}

func (v reVariant) id() int {
	id := v.kind
	if v.dollarNL {
		id |= 4
	}
	if v.noCaret {
		id |= 8
	}
	if v.longest {
		id |= 16
	}
	if v.nlSentinel {
		id |= 32
	}
	return id
}

func (p *reProg) source(v reVariant) string {
	body := p.tr.body
	if p.tr.hasDollar {
		if v.dollarNL {
			body = strings.ReplaceAll(body, markDollar, `(?m:$)`)
		} else {
			body = strings.ReplaceAll(body, markDollar, `(?-m:$)`)
		}
	}
	if p.tr.hasCaret {
		if v.noCaret {
			body = strings.ReplaceAll(body, markCaret, `(?-m:^)`)
		} else {
			body = strings.ReplaceAll(body, markCaret, `(?m:^)`)
		}
	}
	// (?: ) keeps a body starting with "?" from merging with the wrapper
	body = "(?:" + body + ")"
	if v.nlSentinel {
		if re, err := syntax.Parse(body, syntax.Perl); err == nil {
			body = "(?:" + sentinelize(re).String() + ")"
		}
	}
	switch v.kind {
	case reKindAnchored:
		return `\A(` + body + `)`
	case reKindOffset:
		return `\A(?s:.)(?s:.*?)(` + body + `)`
	case reKindAnchOff:
		return `\A(?s:.)(` + body + `)`
	}
	return `(` + body + `)`
}

func (p *reProg) get(v reVariant) (*regexp.Regexp, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := v.id()
	if re := p.res[id]; re != nil {
		return re, nil
	}
	re, err := regexp.Compile(p.source(v))
	if err != nil {
		return nil, err
	}
	if v.longest {
		re.Longest()
	}
	if p.res == nil {
		p.res = make(map[int]*regexp.Regexp)
	}
	p.res[id] = re
	return re, nil
}

const reCacheMax = 1024

type reCacheKey struct {
	flags   reFlags
	pattern string
}

var reCache = struct {
	sync.Mutex
	m map[reCacheKey]reCacheEntry
}{m: make(map[reCacheKey]reCacheEntry)}

type reCacheEntry struct {
	p   *reProg
	err string
}

// compileRe returns the compiled form of pattern under flags, or OpenResty's
// compile error text.
func compileRe(pattern string, f reFlags) (*reProg, string) {
	key := reCacheKey{f, pattern}
	reCache.Lock()
	e, ok := reCache.m[key]
	reCache.Unlock()
	if ok {
		return e.p, e.err
	}
	p, errText := compileReUncached(pattern, f)
	reCache.Lock()
	if len(reCache.m) >= reCacheMax {
		for k := range reCache.m { // evict an arbitrary entry
			delete(reCache.m, k)
			break
		}
	}
	reCache.m[key] = reCacheEntry{p, errText}
	reCache.Unlock()
	return p, errText
}

func compileReUncached(pattern string, f reFlags) (*reProg, string) {
	fail := func(msg string) (*reProg, string) {
		return nil, fmt.Sprintf("pcre_compile() failed: %s in \"%s\"", msg, pattern)
	}
	tr, err := translatePCRE(pattern, f)
	if err != nil {
		at := -1
		switch e := err.(type) {
		case *reSyntaxError:
			at = e.at
		case *pcreOnlyError:
			at = e.at
		}
		if at >= 0 && at < len(pattern) {
			return nil, fmt.Sprintf("pcre_compile() failed: %s in \"%s\" at \"%s\"", err.Error(), pattern, pattern[at:])
		}
		return fail(err.Error())
	}
	p := &reProg{pattern: pattern, flags: f, tr: tr}
	if _, err := p.get(reVariant{kind: reKindSearch}); err != nil {
		return fail(re2ErrorText(err))
	}
	if tr.ncap > 0 {
		if re, err := syntax.Parse(p.source(reVariant{}), syntax.Perl); err == nil && emptyLoopCapture(re) {
			return fail((&pcreOnlyError{what: "a repeated group that can match the empty string and holds captures", at: -1}).Error())
		}
	}
	return p, ""
}

// emptyLoopCapture finds a loop like (a*)+ whose body can match the empty
// string and contains a capture: PCRE runs one more empty iteration and
// reports an empty capture, RE2 keeps the last non-empty one.
func emptyLoopCapture(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		if nullable(re.Sub[0]) && hasCapture(re.Sub[0]) {
			return true
		}
	case syntax.OpRepeat:
		if (re.Max < 0 || re.Max > 1) && nullable(re.Sub[0]) && hasCapture(re.Sub[0]) {
			return true
		}
	}
	for _, sub := range re.Sub {
		if emptyLoopCapture(sub) {
			return true
		}
	}
	return false
}

func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCapture, syntax.OpPlus:
		return nullable(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !nullable(sub) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if nullable(sub) {
				return true
			}
		}
	}
	return false
}

func hasCapture(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		return true
	}
	for _, sub := range re.Sub {
		if hasCapture(sub) {
			return true
		}
	}
	return false
}

// re2ErrorText words an RE2 compile error as PCRE would.
func re2ErrorText(err error) string {
	se, ok := err.(*syntax.Error)
	if !ok {
		return err.Error()
	}
	switch se.Code {
	case syntax.ErrMissingParen:
		return "missing )"
	case syntax.ErrUnexpectedParen:
		return "unmatched parentheses"
	case syntax.ErrMissingBracket:
		return "missing terminating ] for character class"
	case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidRepeatOp:
		return "nothing to repeat"
	case syntax.ErrInvalidRepeatSize:
		return "number too big in {} quantifier (goresty's RE2 engine allows repeat counts up to 1000)"
	case syntax.ErrInvalidCharRange:
		return "range out of order in character class"
	case syntax.ErrInvalidEscape:
		return "unrecognized character follows \\"
	case syntax.ErrTrailingBackslash:
		return "\\ at end of pattern"
	case syntax.ErrInvalidCharClass:
		return "unknown property name after \\P or \\p"
	case syntax.ErrLarge, syntax.ErrNestingDepth:
		return "regular expression is too large"
	}
	return string(se.Code)
}

// nlSentinelByte stands for an inner newline of the subject; RE2 reads the
// lone byte as utf8.RuneError.
const nlSentinelByte = 0xff

// sentinelize rewrites a parsed pattern so that everything matching "\n"
// also matches utf8.RuneError and everything else does not.
func sentinelize(re *syntax.Regexp) *syntax.Regexp {
	const nl, sent = '\n', utf8.RuneError
	switch re.Op {
	case syntax.OpLiteral:
		var subs []*syntax.Regexp
		start := 0
		for i, r := range re.Rune {
			if r != nl && r != sent {
				continue
			}
			if r == sent {
				return &syntax.Regexp{Op: syntax.OpNoMatch}
			}
			if i > start {
				subs = append(subs, &syntax.Regexp{Op: syntax.OpLiteral, Flags: re.Flags, Rune: append([]rune(nil), re.Rune[start:i]...)})
			}
			subs = append(subs, &syntax.Regexp{Op: syntax.OpCharClass, Rune: []rune{nl, nl, sent, sent}})
			start = i + 1
		}
		if subs == nil {
			return re
		}
		if start < len(re.Rune) {
			subs = append(subs, &syntax.Regexp{Op: syntax.OpLiteral, Flags: re.Flags, Rune: append([]rune(nil), re.Rune[start:]...)})
		}
		return &syntax.Regexp{Op: syntax.OpConcat, Sub: subs}
	case syntax.OpCharClass:
		hasNL, hasSent := classHas(re.Rune, nl), classHas(re.Rune, sent)
		switch {
		case hasNL && !hasSent:
			re.Rune = append(re.Rune, sent, sent)
		case !hasNL && hasSent:
			var out []rune
			for i := 0; i+1 < len(re.Rune); i += 2 {
				lo, hi := re.Rune[i], re.Rune[i+1]
				if sent < lo || sent > hi {
					out = append(out, lo, hi)
					continue
				}
				if lo < sent {
					out = append(out, lo, sent-1)
				}
				if hi > sent {
					out = append(out, sent+1, hi)
				}
			}
			if len(out) == 0 {
				return &syntax.Regexp{Op: syntax.OpNoMatch}
			}
			re.Rune = out
		}
		return re
	case syntax.OpAnyCharNotNL:
		return &syntax.Regexp{Op: syntax.OpCharClass, Rune: []rune{0, nl - 1, nl + 1, sent - 1, sent + 1, utf8.MaxRune}}
	}
	for i, sub := range re.Sub {
		re.Sub[i] = sentinelize(sub)
	}
	return re
}

func classHas(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= r && r <= ranges[i+1] {
			return true
		}
	}
	return false
}

// ---- subjects ----

// reSubject is a subject prepared for RE2: without "u", bytes >= 0x80 are
// re-encoded as private-use runes so each byte is one character.
type reSubject struct {
	orig string
	work string
	w2o  []int32 // nil when work == orig
	o2w  []int32
}

func newReSubject(s string, utf8Mode bool) *reSubject {
	sub := &reSubject{orig: s, work: s}
	if utf8Mode {
		return sub
	}
	high := false
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			high = true
			break
		}
	}
	if !high {
		return sub
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	sub.o2w = make([]int32, len(s)+1)
	sub.w2o = make([]int32, 0, len(s)*2+1)
	for i := 0; i < len(s); i++ {
		sub.o2w[i] = int32(b.Len())
		start := b.Len()
		if s[i] < 0x80 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(byteRune(s[i]))
		}
		for j := start; j < b.Len(); j++ {
			sub.w2o = append(sub.w2o, int32(i))
		}
	}
	sub.o2w[len(s)] = int32(b.Len())
	sub.w2o = append(sub.w2o, int32(len(s)))
	sub.work = b.String()
	return sub
}

func (s *reSubject) toWork(o int) int {
	if s.o2w == nil {
		return o
	}
	return int(s.o2w[o])
}

func (s *reSubject) toOrig(w int) int {
	if s.w2o == nil || w < 0 {
		return w
	}
	return int(s.w2o[w])
}

// nextPos is where a search resumes after an empty match at o.
func (s *reSubject) nextPos(o int, utf8Mode bool) int {
	if utf8Mode && o < len(s.orig) {
		_, n := utf8.DecodeRuneInString(s.orig[o:])
		return o + n
	}
	return o + 1
}

// exec runs p on subj from byte offset pos. It returns the capture offsets
// (pairs for groups 0..ncap, -1 when unset) in subject bytes, nil for no
// match, or an error text.
func (p *reProg) exec(subj *reSubject, pos int) ([]int, string) {
	if pos > len(subj.orig) {
		return nil, "pcre_exec() failed: -24" // PCRE_ERROR_BADOFFSET
	}
	if p.flags.utf8 && !p.flags.noUTFCheck && !utf8.ValidString(subj.orig) {
		return nil, "pcre_exec() failed: -10"
	}
	w := subj.work
	wpos := subj.toWork(pos)
	v := reVariant{}
	if p.tr.hasDollar && strings.HasSuffix(w, "\n") {
		switch n := strings.Count(w[wpos:], "\n"); {
		case n == 1:
			v.dollarNL = true
		case n > 1:
			// PCRE's "$" may match before the final newline only: hide
			// the inner newlines behind a sentinel the pattern treats as
			// a newline. Not possible with multi-line anchors, or when the
			// sentinel could be confused with the subject's own text.
			if p.tr.hasCaret || p.tr.hasMDollar || p.flags.noUTFCheck ||
				(p.flags.utf8 && strings.ContainsRune(w, utf8.RuneError)) {
				return nil, `pcre_exec() failed: "$" before a final newline of a multi-line subject, together with multi-line anchors, is not supported by goresty's RE2 engine (use \z, or the "m" option)`
			}
			v.dollarNL, v.nlSentinel = true, true
			b := []byte(w)
			for i := 0; i < len(b)-1; i++ {
				if b[i] == '\n' {
					b[i] = nlSentinelByte
				}
			}
			w = string(b)
		}
	}
	// PCRE's multi-line "^" never matches after a final newline; RE2's does.
	// Without "$" in the pattern, the final newline becomes the sentinel,
	// which the rewritten pattern takes for a newline everywhere but in "^".
	if p.tr.hasCaret && !p.tr.hasDollar && !p.tr.hasMDollar && strings.HasSuffix(w, "\n") &&
		!p.flags.noUTFCheck && !(p.flags.utf8 && strings.ContainsRune(w, utf8.RuneError)) {
		v.nlSentinel = true
		w = w[:len(w)-1] + "\xff"
	}
	loc, errText := p.find(w, wpos, v)
	if errText != "" || loc == nil {
		return nil, errText
	}
	if p.tr.hasCaret && !v.nlSentinel && len(w) > 0 && w[len(w)-1] == '\n' && loc[0] == len(w) && loc[1] == len(w) {
		v.noCaret = true
		loc, errText = p.find(w, len(w), reVariant{kind: reKindAnchOff, dollarNL: v.dollarNL, noCaret: true, longest: p.flags.dfa})
		if errText != "" || loc == nil {
			return nil, errText
		}
	}
	ncap := p.tr.ncap
	if p.flags.dfa {
		ncap = 0
	}
	caps := make([]int, 2*(ncap+1))
	for g := 0; g <= ncap; g++ {
		a, b := -1, -1
		if 2*g+1 < len(loc) {
			a, b = loc[2*g], loc[2*g+1]
		}
		caps[2*g], caps[2*g+1] = subj.toOrig(a), subj.toOrig(b)
	}
	return caps, ""
}

// find runs the variant fitting wpos and returns submatch offsets in work
// coordinates, group 0 being the whole match (the wrapper group).
func (p *reProg) find(w string, wpos int, v reVariant) ([]int, string) {
	base := 0
	slice := w
	if v.kind == reKindAnchOff {
		// explicit anchored-at-offset request
	} else if wpos == 0 {
		v.kind = reKindSearch
		if p.flags.anchored {
			v.kind = reKindAnchored
		}
	} else {
		v.kind = reKindOffset
		if p.flags.anchored {
			v.kind = reKindAnchOff
		}
	}
	if v.kind == reKindOffset || v.kind == reKindAnchOff {
		if wpos == 0 {
			v.kind = reKindAnchored
		} else {
			_, n := utf8.DecodeLastRuneInString(w[:wpos])
			base = wpos - n
			slice = w[base:]
		}
	}
	if p.flags.dfa && v.kind == reKindOffset {
		// leftmost start first, then the longest match there
		re, err := p.get(reVariant{kind: reKindOffset, dollarNL: v.dollarNL, noCaret: v.noCaret})
		if err != nil {
			return nil, "pcre_exec() failed: " + err.Error()
		}
		loc := re.FindStringSubmatchIndex(slice)
		if loc == nil {
			return nil, ""
		}
		start := loc[2] + base
		if start == 0 {
			return p.find(w, 0, reVariant{dollarNL: v.dollarNL, noCaret: v.noCaret})
		}
		return p.find(w, start, reVariant{kind: reKindAnchOff, dollarNL: v.dollarNL, noCaret: v.noCaret, longest: true})
	}
	v.longest = p.flags.dfa
	re, err := p.get(v)
	if err != nil {
		return nil, "pcre_exec() failed: " + err.Error()
	}
	loc := re.FindStringSubmatchIndex(slice)
	if loc == nil {
		return nil, ""
	}
	loc = loc[2:] // drop the outer match; group 1 is the pattern's match
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += base
		}
	}
	return loc, ""
}

// ---- Lua API ----

// OpenRe installs ngx.re into the ngx table and registers `ngx.re`
// (split, opt) as a preloaded module. logErr, if not nil, receives the
// messages OpenResty writes to the error log at "error" level (a named
// variable in a replacement template).
func OpenRe(L *lua.LState, ngx *lua.LTable, logErr func(msg string)) {
	if logErr == nil {
		logErr = func(string) {}
	}
	re := L.NewTable()
	L.SetFuncs(re, map[string]lua.LGFunction{
		"match":  reMatchAPI,
		"find":   reFindAPI,
		"gmatch": reGmatchAPI,
		"sub":    func(L *lua.LState) int { return reSubAPI(L, false, logErr) },
		"gsub":   func(L *lua.LState) int { return reSubAPI(L, true, logErr) },
	})
	ngx.RawSetString("re", re)
	L.PreloadModule("ngx.re", func(L *lua.LState) int {
		m := L.NewTable()
		L.SetFuncs(m, map[string]lua.LGFunction{
			"split": reSplitAPI,
			"opt":   reOptAPI,
		})
		m.RawSetString("version", lua.LString(restyCoreVersion))
		L.Push(m)
		return 1
	})
}

// reArgs reads (subject, regex, options) and compiles the regex; a compile
// failure returns its text.
func reArgs(L *lua.LState) (*reSubject, *reProg, string) {
	subj := L.ToStringMeta(L.Get(1)).String()
	regex := L.CheckString(2)
	f := reOptsArg(L, 3)
	p, errText := compileRe(regex, f)
	if p == nil {
		return nil, nil, errText
	}
	return newReSubject(subj, f.utf8), p, ""
}

// reOptsArg reads the optional options string at argument i; bad options
// raise an error.
func reOptsArg(L *lua.LState, i int) reFlags {
	opts := ""
	if v := L.Get(i); v != lua.LNil {
		opts = L.CheckString(i)
	}
	f, err := parseReOpts(opts)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	return f
}

// reFail3 returns nil, nil, msg: the failure of ngx.re.find and ngx.re.sub.
func reFail3(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 3
}

// execCtx runs p on subj from ctx.pos (ctx may be nil) and, on a match,
// moves ctx.pos past it: ngx.re.match and ngx.re.find.
func (p *reProg) execCtx(L *lua.LState, subj *reSubject, ctx *lua.LTable) ([]int, string) {
	caps, errText := p.exec(subj, ctxPos(L, ctx))
	if caps != nil && ctx != nil {
		ctx.RawSetString("pos", lua.LNumber(caps[1]+1))
	}
	return caps, errText
}

func ctxPos(L *lua.LState, ctx *lua.LTable) int {
	if ctx == nil {
		return 0
	}
	if n, ok := ctx.RawGetString("pos").(lua.LNumber); ok && n > 0 {
		return int(n) - 1
	}
	return 0
}

// capturesTable builds (or refills res with) the captures table.
func (p *reProg) capturesTable(L *lua.LState, subj string, caps []int, res *lua.LTable) *lua.LTable {
	if res == nil {
		res = L.CreateTable(p.tr.ncap, 0)
	}
	ncap := p.tr.ncap
	if p.flags.dfa {
		ncap = 0 // a DFA match reports the whole match only
	}
	for g := 0; g <= ncap; g++ {
		if 2*g+1 < len(caps) && caps[2*g] >= 0 {
			res.RawSetInt(g, lua.LString(subj[caps[2*g]:caps[2*g+1]]))
		} else {
			res.RawSetInt(g, lua.LFalse)
		}
	}
	for g := 1; g <= ncap; g++ {
		name := p.tr.names[g]
		if name == "" {
			continue
		}
		v := res.RawGetInt(g)
		if !p.flags.dupnames {
			res.RawSetString(name, v)
			continue
		}
		if v == lua.LFalse {
			continue // unmatched captures are not collected
		}
		if lst, ok := res.RawGetString(name).(*lua.LTable); ok {
			lst.Append(v)
		} else {
			lst := L.NewTable()
			lst.Append(v)
			res.RawSetString(name, lst)
		}
	}
	return res
}

func reMatchAPI(L *lua.LState) int {
	subj, p, errText := reArgs(L)
	if p == nil {
		return luaFail(L, errText)
	}
	ctx, _ := L.Get(4).(*lua.LTable)
	res, _ := L.Get(5).(*lua.LTable)
	caps, errText := p.execCtx(L, subj, ctx)
	if errText != "" {
		return luaFail(L, errText)
	}
	if caps == nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(p.capturesTable(L, subj.orig, caps, res))
	return 1
}

func reFindAPI(L *lua.LState) int {
	subj, p, errText := reArgs(L)
	if p == nil {
		return reFail3(L, errText)
	}
	ctx, _ := L.Get(4).(*lua.LTable)
	nth := 0
	if n, ok := L.Get(5).(lua.LNumber); ok && n > 0 {
		nth = int(n)
	}
	caps, errText := p.execCtx(L, subj, ctx)
	if errText != "" {
		return reFail3(L, errText)
	}
	if caps == nil {
		L.Push(lua.LNil)
		return 1
	}
	if nth > p.tr.ncap {
		return reFail3(L, "nth out of bound")
	}
	if 2*nth+1 >= len(caps) || caps[2*nth] < 0 {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	L.Push(lua.LNumber(caps[2*nth] + 1))
	L.Push(lua.LNumber(caps[2*nth+1]))
	return 2
}

func reGmatchAPI(L *lua.LState) int {
	subj, p, errText := reArgs(L)
	if p == nil {
		return luaFail(L, errText)
	}
	pos := 0
	done := false
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if done {
			L.Push(lua.LNil)
			return 1
		}
		caps, errText := p.exec(subj, pos)
		if errText != "" {
			done = true
			return luaFail(L, errText)
		}
		if caps == nil {
			done = true
			L.Push(lua.LNil)
			return 1
		}
		next := caps[1]
		if caps[0] == caps[1] {
			next = subj.nextPos(caps[1], p.flags.utf8)
			if next > len(subj.orig) {
				done = true
			}
		}
		pos = next
		L.Push(p.capturesTable(L, subj.orig, caps, nil))
		return 1
	}))
	return 1
}

// replacement template: literal text and capture references.
type reTplPart struct {
	lit   string
	group int // -1: literal
}

func compileTemplate(s string) (parts []reTplPart, ok bool, name string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, reTplPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, false, ""
		}
		switch n := s[i+1]; {
		case n == '$':
			lit.WriteByte('$')
			i++
		case n >= '0' && n <= '9':
			j := i + 1
			g := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				if g < 1<<20 {
					g = g*10 + int(s[j]-'0')
				}
				j++
			}
			flush()
			parts = append(parts, reTplPart{group: g})
			i = j - 1
		case n == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end <= 0 {
				return nil, false, ""
			}
			num := s[i+2 : i+2+end]
			g, err := strconv.Atoi(num)
			if err != nil || g < 0 || strings.TrimLeft(num, "0123456789") != "" {
				return nil, false, num // named captures are not supported, as OpenResty
			}
			flush()
			parts = append(parts, reTplPart{group: g})
			i += 2 + end
		case n == '_' || isAlnumByte(n):
			j := i + 1
			for j < len(s) && (s[j] == '_' || isAlnumByte(s[j])) {
				j++
			}
			return nil, false, s[i+1 : j]
		default:
			return nil, false, ""
		}
	}
	flush()
	return parts, true, ""
}

func reSubAPI(L *lua.LState, global bool, logErr func(string)) int {
	subjV := L.ToStringMeta(L.Get(1)).String()
	regex := L.CheckString(2)
	repl := L.Get(3)
	f := reOptsArg(L, 4)
	var fn *lua.LFunction
	var tpl []reTplPart
	switch r := repl.(type) {
	case *lua.LFunction:
		fn = r
	default:
		// resty.core uses tostring(replace) as the template
		tpl0, ok, name := compileTemplate(L.ToStringMeta(r).String())
		if !ok {
			if name != "" {
				logErr(fmt.Sprintf("attempt to use named capturing variable \"%s\" (named captures not supported yet)", name))
			}
			p, errText := compileRe(regex, f)
			if p == nil {
				return reFail3(L, errText)
			}
			return reFail3(L, "failed to compile the replacement template")
		}
		tpl = tpl0
	}
	p, errText := compileRe(regex, f)
	if p == nil {
		return reFail3(L, errText)
	}
	subj := newReSubject(subjV, f.utf8)
	s := subj.orig
	var out strings.Builder
	count, pos, cp := 0, 0, 0
	for {
		caps, errText := p.exec(subj, pos)
		if errText != "" {
			return reFail3(L, errText)
		}
		if caps == nil {
			break
		}
		count++
		out.WriteString(s[cp:caps[0]])
		if fn != nil {
			t := p.capturesTable(L, s, caps, nil)
			L.Push(fn)
			L.Push(t)
			L.Call(1, 1)
			piece := L.Get(-1)
			L.Pop(1)
			out.WriteString(L.ToStringMeta(piece).String())
		} else {
			for _, part := range tpl {
				if part.group < 0 {
					out.WriteString(part.lit)
				} else if 2*part.group+1 < len(caps) && caps[2*part.group] >= 0 {
					out.WriteString(s[caps[2*part.group]:caps[2*part.group+1]])
				}
			}
		}
		cp = caps[1]
		pos = cp
		if caps[0] == caps[1] {
			pos = subj.nextPos(cp, p.flags.utf8)
			if pos > len(s) {
				break
			}
		}
		if !global {
			break
		}
	}
	if count == 0 {
		L.Push(lua.LString(s))
		L.Push(lua.LNumber(0))
		return 2
	}
	out.WriteString(s[cp:])
	L.Push(lua.LString(out.String()))
	L.Push(lua.LNumber(count))
	return 2
}

// reSplitAPI is ngx.re.split(subject, regex, options?, ctx?, max?, res?)
// from lua-resty-core's ngx.re module: pieces between matches, with the
// first capture of each separator match inserted after the piece before it.
func reSplitAPI(L *lua.LState) int {
	subj, p, errText := reArgs(L)
	if p == nil {
		return luaFail(L, errText)
	}
	ctx, _ := L.Get(4).(*lua.LTable)
	max := 0
	if v := L.Get(5); v != lua.LNil {
		max = L.CheckInt(5)
	}
	res, _ := L.Get(6).(*lua.LTable)
	if res == nil {
		res = L.NewTable()
	}
	s := subj.orig
	pos := ctxPos(L, ctx)
	if pos > len(s) {
		pos = len(s)
	}
	if max == 1 {
		res.RawSetInt(1, lua.LString(s[pos:]))
		res.RawSetInt(2, lua.LNil)
		L.Push(res)
		return 1
	}
	n := 0
	add := func(v lua.LValue) {
		n++
		res.RawSetInt(n, v)
	}
	cp := pos
	search := pos
	pieces := 0
	for search <= len(s) {
		caps, errText := p.exec(subj, search)
		if errText != "" {
			return luaFail(L, errText)
		}
		if caps == nil {
			break
		}
		if caps[0] == caps[1] {
			// an empty separator splits between characters; never an empty
			// piece at the very start or the end
			if caps[0] == cp {
				search = subj.nextPos(caps[0], p.flags.utf8)
				if caps[0] == len(s) || search > len(s) {
					break
				}
				caps, errText = p.exec(subj, search)
				if errText != "" {
					return luaFail(L, errText)
				}
				if caps == nil || caps[0] == len(s) && caps[1] == len(s) {
					break
				}
			}
		}
		add(lua.LString(s[cp:caps[0]]))
		pieces++
		// only the first submatch is inserted between the pieces
		if p.tr.ncap >= 1 && len(caps) >= 4 && caps[2] >= 0 {
			add(lua.LString(s[caps[2]:caps[3]]))
		}
		cp = caps[1]
		search = cp
		if caps[0] == caps[1] {
			search = subj.nextPos(cp, p.flags.utf8)
		}
		if max > 0 && pieces == max-1 {
			break
		}
		if search > len(s) {
			break
		}
	}
	// the remainder; trailing empty pieces are dropped unless max stopped
	// the splitting
	limited := max > 0 && pieces == max-1
	if cp < len(s) || limited {
		add(lua.LString(s[cp:]))
	}
	if !limited {
		for n > 0 && res.RawGetInt(n) == lua.LString("") {
			res.RawSetInt(n, lua.LNil)
			n--
		}
	}
	res.RawSetInt(n+1, lua.LNil)
	L.Push(res)
	return 1
}

func reOptAPI(L *lua.LState) int {
	name := L.CheckString(1)
	if name != "jit_stack_size" {
		L.RaiseError("unrecognized option name")
	}
	// RE2 has no JIT stack: accepted and ignored.
	return 0
}
