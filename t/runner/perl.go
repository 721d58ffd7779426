package runner

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the type of a section value.
type Kind int

const (
	KindStr Kind = iota
	KindRegex
	KindList
	KindUndef
)

func (k Kind) String() string {
	switch k {
	case KindStr:
		return "string"
	case KindRegex:
		return "regex"
	case KindList:
		return "list"
	}
	return "undef"
}

// Value is a section value: a string, a qr// regex or a [ ... ] list.
type Value struct {
	Kind Kind
	Str  string // KindStr; for KindRegex the Perl source of the pattern
	Re   *regexp.Regexp
	List []Value
}

func (v Value) String() string {
	switch v.Kind {
	case KindRegex:
		return "qr/" + v.Str + "/"
	case KindList:
		parts := make([]string, len(v.List))
		for i, x := range v.List {
			parts[i] = x.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case KindUndef:
		return "undef"
	}
	return v.Str
}

// EvalPerl evaluates the plain-data subset of Perl used in .t files:
// '...', "..." (with escapes and $ENV{X} / $::Var interpolation), q{}, qq{},
// qr/.../flags, heredocs (<<_EOC_, <<"X", <<'X'), numbers, [ list ],
// the operators . and x, $::Var / $Var (preamble variables) and $ENV{X}.
// Anything else is an error.
//
// env is what $ENV{X} reads (the runner's view of the environment, which
// differs per file: ports); html_dir(), server_root(), server_port() read
// TEST_NGINX_HTML_DIR, TEST_NGINX_SERVER_ROOT, TEST_NGINX_SERVER_PORT.
func EvalPerl(src string, vars map[string]Value, env map[string]string) (Value, error) {
	p := &perlParser{src: src, vars: vars, env: env}
	v, err := p.expr()
	if err != nil {
		return Value{}, err
	}
	p.ws()
	for p.i < len(p.src) && p.src[p.i] == ';' {
		p.i++
		p.ws()
	}
	if p.i < len(p.src) {
		return Value{}, fmt.Errorf("unsupported Perl expression near %q", snippet(p.src[p.i:]))
	}
	return v, nil
}

func snippet(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

type perlParser struct {
	src  string
	i    int
	vars map[string]Value
	env  map[string]string
	// heredoc bodies already consumed: [start, end) ranges to skip
	skips [][2]int
}

func (p *perlParser) ws() {
	for p.i < len(p.src) {
		for _, s := range p.skips {
			if p.i == s[0] {
				p.i = s[1]
			}
		}
		if p.i >= len(p.src) {
			return
		}
		c := p.src[p.i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			p.i++
			continue
		}
		if c == '#' {
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
			continue
		}
		return
	}
}

// expr := concat
// concat := repeat ('.' repeat)*
// repeat := term ('x' number)*
func (p *perlParser) expr() (Value, error) {
	v, err := p.repeat()
	if err != nil {
		return v, err
	}
	for {
		p.ws()
		if p.i < len(p.src) && p.src[p.i] == '.' && !(p.i+1 < len(p.src) && p.src[p.i+1] == '.') {
			p.i++
			r, err := p.repeat()
			if err != nil {
				return v, err
			}
			if v.Kind != KindStr || r.Kind != KindStr {
				return v, fmt.Errorf("'.' needs strings")
			}
			v.Str += r.Str
			continue
		}
		return v, nil
	}
}

func (p *perlParser) repeat() (Value, error) {
	v, err := p.term()
	if err != nil {
		return v, err
	}
	for {
		p.ws()
		if p.i+1 < len(p.src) && p.src[p.i] == 'x' && !isWord(p.src[p.i+1]) || p.i+1 < len(p.src) && p.src[p.i] == 'x' && p.src[p.i+1] >= '0' && p.src[p.i+1] <= '9' {
			p.i++
			n, err := p.term()
			if err != nil {
				return v, err
			}
			cnt, err := strconv.Atoi(n.Str)
			if n.Kind != KindStr || err != nil {
				return v, fmt.Errorf("'x' needs a number")
			}
			if v.Kind != KindStr {
				return v, fmt.Errorf("'x' needs a string")
			}
			v.Str = strings.Repeat(v.Str, cnt)
			continue
		}
		return v, nil
	}
}

func (p *perlParser) term() (Value, error) {
	p.ws()
	if p.i >= len(p.src) {
		return Value{}, fmt.Errorf("unexpected end of Perl expression")
	}
	c := p.src[p.i]
	switch {
	case c == '\'':
		j, err := skipQuoted(p.src, p.i+1, '\'', '\'')
		if err != nil {
			return Value{}, err
		}
		s := singleQuoted(p.src[p.i+1 : j-1])
		p.i = j
		return Value{Kind: KindStr, Str: s}, nil
	case c == '"':
		j, err := skipQuoted(p.src, p.i+1, '"', '"')
		if err != nil {
			return Value{}, err
		}
		s, err := p.interpolate(p.src[p.i+1:j-1], true)
		p.i = j
		return Value{Kind: KindStr, Str: s}, err
	case c == '[':
		p.i++
		var list []Value
		for {
			p.ws()
			if p.i < len(p.src) && p.src[p.i] == ']' {
				p.i++
				return Value{Kind: KindList, List: list}, nil
			}
			v, err := p.expr()
			if err != nil {
				return v, err
			}
			list = append(list, v)
			p.ws()
			if p.i < len(p.src) && (p.src[p.i] == ',' || strings.HasPrefix(p.src[p.i:], "=>")) {
				if p.src[p.i] == '=' {
					p.i++
				}
				p.i++
				continue
			}
			if p.i < len(p.src) && p.src[p.i] == ']' {
				continue
			}
			return Value{}, fmt.Errorf("expected ',' or ']' in list near %q", snippet(p.src[p.i:]))
		}
	case c == '(':
		p.i++
		v, err := p.expr()
		if err != nil {
			return v, err
		}
		p.ws()
		if p.i >= len(p.src) || p.src[p.i] != ')' {
			return v, fmt.Errorf("expected ')'")
		}
		p.i++
		return v, nil
	case c >= '0' && c <= '9' || c == '-' && p.i+1 < len(p.src) && p.src[p.i+1] >= '0' && p.src[p.i+1] <= '9':
		j := p.i + 1
		for j < len(p.src) && (p.src[j] >= '0' && p.src[j] <= '9' || p.src[j] == '.' && j+1 < len(p.src) && p.src[j+1] != '.' || p.src[j] == '_') {
			j++
		}
		s := strings.ReplaceAll(p.src[p.i:j], "_", "")
		p.i = j
		return Value{Kind: KindStr, Str: s}, nil
	case c == '$':
		s, n, err := p.variable(p.src[p.i:])
		if err != nil {
			return Value{}, err
		}
		if n == 0 {
			return Value{}, fmt.Errorf("unsupported Perl expression near %q", snippet(p.src[p.i:]))
		}
		p.i += n
		return s, nil
	case c == '<' && strings.HasPrefix(p.src[p.i:], "<<"):
		return p.heredoc()
	case isQuoteOp(p.src, p.i):
		return p.quoteOp()
	case isWordStart(c):
		m := funcCallRe.FindStringSubmatch(p.src[p.i:])
		if m != nil {
			if env, ok := builtinFuncs[m[1]]; ok {
				v, ok := p.env[env]
				if !ok {
					return Value{}, fmt.Errorf("%s(): $ENV{%s} is not set", m[1], env)
				}
				p.i += len(m[0])
				return Value{Kind: KindStr, Str: v}, nil
			}
		}
		if strings.HasPrefix(p.src[p.i:], "undef") && (p.i+5 == len(p.src) || !isWord(p.src[p.i+5])) {
			p.i += 5
			return Value{Kind: KindUndef}, nil
		}
	}
	return Value{}, fmt.Errorf("unsupported Perl expression near %q", snippet(p.src[p.i:]))
}

var builtinFuncs = map[string]string{
	"html_dir":               "TEST_NGINX_HTML_DIR",
	"server_root":            "TEST_NGINX_SERVER_ROOT",
	"server_port":            "TEST_NGINX_SERVER_PORT",
	"server_port_for_client": "TEST_NGINX_SERVER_PORT",
}

var (
	funcCallRe = regexp.MustCompile(`^(\w+)(?:\s*\(\s*\))?`)
	envRefRe   = regexp.MustCompile(`^\$ENV\{\s*['"]?(\w+)['"]?\s*\}`)
	varRefRe   = regexp.MustCompile(`^\$(?:::|main::)?(\w+)\b|^\$\{(?:::)?(\w+)\}`)
)

// variable resolves $ENV{X}, $::X, $X at the start of s; n is the length
// consumed (0 when s does not start with a supported variable).
func (p *perlParser) variable(s string) (Value, int, error) {
	if m := envRefRe.FindStringSubmatch(s); m != nil {
		v, ok := p.env[m[1]]
		if !ok {
			return Value{}, 0, fmt.Errorf("$ENV{%s} is not set", m[1])
		}
		return Value{Kind: KindStr, Str: v}, len(m[0]), nil
	}
	if m := varRefRe.FindStringSubmatch(s); m != nil {
		name := m[1] + m[2]
		v, ok := p.vars[name]
		if !ok {
			return Value{}, 0, fmt.Errorf("unknown Perl variable $%s", name)
		}
		return v, len(m[0]), nil
	}
	return Value{}, 0, nil
}

func singleQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\'') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// interpolate processes a double-quoted string body: escapes, and, when
// vars is set, $ENV{X} and preamble variables. A '$' not followed by a
// known variable form stays literal only when followed by a non-word char.
func (p *perlParser) interpolate(s string, vars bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'f':
				b.WriteByte('\f')
			case 'a':
				b.WriteByte('\a')
			case 'e':
				b.WriteByte(0x1b)
			case '0':
				j := i + 1
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				n, _ := strconv.ParseUint(s[i:j], 8, 8)
				b.WriteByte(byte(n))
				i = j - 1
			case 'x':
				if i+1 < len(s) && s[i+1] == '{' {
					k := strings.IndexByte(s[i:], '}')
					if k < 0 {
						return "", fmt.Errorf("bad \\x{} escape")
					}
					n, err := strconv.ParseUint(s[i+2:i+k], 16, 32)
					if err != nil {
						return "", fmt.Errorf("bad \\x{} escape")
					}
					if n < 0x100 {
						b.WriteByte(byte(n))
					} else {
						b.WriteRune(rune(n))
					}
					i += k
				} else {
					j := i + 1
					for j < len(s) && j < i+3 && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
						j++
					}
					n, _ := strconv.ParseUint(s[i+1:j], 16, 8)
					b.WriteByte(byte(n))
					i = j - 1
				}
			default:
				b.WriteByte(e)
			}
			continue
		}
		if c == '$' && vars && i+1 < len(s) && (s[i+1] == '{' || s[i+1] == ':' || isWordStart(s[i+1])) {
			v, n, err := p.variable(s[i:])
			if err != nil {
				return "", err
			}
			if n == 0 {
				return "", fmt.Errorf("unsupported interpolation near %q", snippet(s[i:]))
			}
			if v.Kind != KindStr {
				return "", fmt.Errorf("cannot interpolate a %s", v.Kind)
			}
			b.WriteString(v.Str)
			i += n - 1
			continue
		}
		if c == '@' && vars && i+1 < len(s) && isWordStart(s[i+1]) {
			return "", fmt.Errorf("unescaped '@' would interpolate an array in Perl near %q", snippet(s[i:]))
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func (p *perlParser) quoteOp() (Value, error) {
	k := p.i
	for k < len(p.src) && isWord(p.src[k]) {
		k++
	}
	op := p.src[p.i:k]
	for k < len(p.src) && (p.src[k] == ' ' || p.src[k] == '\t') {
		k++
	}
	open := p.src[k]
	close := closingDelim(open)
	j, err := skipQuoted(p.src, k+1, open, close)
	if err != nil {
		return Value{}, err
	}
	body := p.src[k+1 : j-1]
	fl := j
	for fl < len(p.src) && isWord(p.src[fl]) {
		fl++
	}
	flags := p.src[j:fl]
	p.i = fl
	switch op {
	case "q":
		if flags != "" {
			return Value{}, fmt.Errorf("bad q// flags")
		}
		// in q{} only \\ and the delimiters are escapes
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' && i+1 < len(body) && (body[i+1] == '\\' || body[i+1] == open || body[i+1] == close) {
				i++
			}
			b.WriteByte(body[i])
		}
		return Value{Kind: KindStr, Str: b.String()}, nil
	case "qq":
		if flags != "" {
			return Value{}, fmt.Errorf("bad qq// flags")
		}
		s, err := p.interpolate(body, true)
		return Value{Kind: KindStr, Str: s}, err
	case "qw":
		var list []Value
		for _, w := range strings.Fields(body) {
			list = append(list, Value{Kind: KindStr, Str: w})
		}
		return Value{Kind: KindList, List: list}, nil
	case "qr":
		// interpolate only $ENV{X} and $::X; other '$' are anchors
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' && i+1 < len(body) {
				if body[i+1] == open || body[i+1] == close {
					if strings.IndexByte(`/!|#,"'~@%`, body[i+1]) >= 0 {
						b.WriteByte(body[i+1])
					} else {
						b.WriteString(body[i : i+2])
					}
				} else {
					b.WriteString(body[i : i+2])
				}
				i++
				continue
			}
			if body[i] == '$' && (strings.HasPrefix(body[i:], "$ENV{") || strings.HasPrefix(body[i:], "$::")) {
				v, n, err := p.variable(body[i:])
				if err != nil {
					return Value{}, err
				}
				b.WriteString(regexp.QuoteMeta(v.Str))
				i += n - 1
				continue
			}
			b.WriteByte(body[i])
		}
		re, err := PerlRegexp(b.String(), flags)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: KindRegex, Str: b.String(), Re: re}, nil
	}
	return Value{}, fmt.Errorf("unsupported quote operator %q", op)
}

// heredoc parses <<TERM, <<"TERM", <<'TERM' whose body starts on the line
// after the current one.
func (p *perlParser) heredoc() (Value, error) {
	j := p.i + 2
	interp := true
	var term string
	if j < len(p.src) && (p.src[j] == '"' || p.src[j] == '\'') {
		q := p.src[j]
		k := strings.IndexByte(p.src[j+1:], q)
		if k < 0 {
			return Value{}, fmt.Errorf("bad heredoc")
		}
		term = p.src[j+1 : j+1+k]
		interp = q == '"'
		j = j + 1 + k + 1
	} else {
		k := j
		for k < len(p.src) && isWord(p.src[k]) {
			k++
		}
		term = p.src[j:k]
		j = k
	}
	if term == "" {
		return Value{}, fmt.Errorf("bad heredoc")
	}
	// body starts after the end of the current line (or after previous skips)
	nl := strings.IndexByte(p.src[j:], '\n')
	if nl < 0 {
		return Value{}, fmt.Errorf("heredoc <<%s without a body", term)
	}
	start := j + nl + 1
	for _, s := range p.skips {
		if s[0] == start {
			start = s[1]
		}
	}
	var body strings.Builder
	pos := start
	for {
		if pos >= len(p.src) {
			return Value{}, fmt.Errorf("unterminated heredoc <<%s", term)
		}
		e := strings.IndexByte(p.src[pos:], '\n')
		var l string
		if e < 0 {
			l = p.src[pos:]
		} else {
			l = p.src[pos : pos+e+1]
		}
		pos += len(l)
		if strings.TrimRight(l, "\n") == term {
			break
		}
		body.WriteString(l)
	}
	p.skips = append(p.skips, [2]int{start, pos})
	p.i = j
	s := body.String()
	if interp {
		var err error
		s, err = p.interpolate(s, true)
		if err != nil {
			return Value{}, err
		}
	}
	return Value{Kind: KindStr, Str: s}, nil
}
