package ngxapi

// ngx.re (re.go): the PCRE to RE2 translation of patterns.

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

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
