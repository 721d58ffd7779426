// Package runner runs Test::Nginx-format spec files (.t) against a
// goresty (or nginx) binary. See t/README.md for the supported subset.
package runner

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// File is one parsed .t file.
type File struct {
	Path   string
	Name   string // base name, e.g. "000-runner.t"
	Pre    *Preamble
	Blocks []*Block
}

// Block is one "=== TEST N: title" block.
type Block struct {
	Name     string // the text after "=== ", e.g. "TEST 1: sanity"
	Line     int    // line of the "===" line in the file
	Desc     string
	Sections []*Section
	byName   map[string]*Section
}

// Section is one "--- name filters" section of a block.
type Section struct {
	Name    string
	Filters []string
	Raw     string // text after the default filters (norm, trim), before the others
	Value   Value  // value after all filters
	Line    int
}

// Get returns the named section or nil.
func (b *Block) Get(name string) *Section {
	return b.byName[name]
}

// Has reports whether the block has the named section.
func (b *Block) Has(name string) bool { return b.byName[name] != nil }

// Str returns the string value of a section ("" when absent), or an error
// when the section holds a list or a regex.
func (b *Block) Str(name string) (string, bool, error) {
	s := b.byName[name]
	if s == nil {
		return "", false, nil
	}
	if s.Value.Kind != KindStr {
		return "", true, fmt.Errorf("section %q: expected a plain string, got %s", name, s.Value.Kind)
	}
	return s.Value.Str, true, nil
}

var (
	blockLineRe   = regexp.MustCompile(`^===[ \t]+(.*?)[ \t]*$`)
	sectionLineRe = regexp.MustCompile(`^---[ \t]+\(?(\w+)\)?[ \t]*(.*?)$`)
	inlineValueRe = regexp.MustCompile(`\s*:(?:\s+|$)`)
)

// ParseFile reads and parses a .t file.
//
// env is the environment seen by the Perl code ($ENV{X}); the preamble's
// $ENV{X} ||= ... assignments are applied to it.
func ParseFile(path string, env map[string]string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(string(data), env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	i := strings.LastIndexByte(path, '/')
	f.Name = path[i+1:]
	return f, nil
}

// Parse parses the text of a .t file: the Perl preamble, then the blocks
// after __DATA__.
func Parse(text string, env map[string]string) (*File, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.SplitAfter(text, "\n")
	dataAt := -1
	for i, l := range lines {
		if strings.TrimRight(l, " \t\n") == "__DATA__" {
			dataAt = i
			break
		}
	}
	if dataAt < 0 {
		return nil, fmt.Errorf("no __DATA__ line")
	}
	pre, err := ParsePreamble(strings.Join(lines[:dataAt], ""), env)
	if err != nil {
		return nil, err
	}
	f := &File{Pre: pre}
	var cur *Block
	var sec *Section
	var secText strings.Builder
	flush := func() error {
		if sec == nil {
			return nil
		}
		if err := finishSection(sec, secText.String(), pre); err != nil {
			return fmt.Errorf("line %d: %s: %w", sec.Line, cur.Name, err)
		}
		sec = nil
		secText.Reset()
		return nil
	}
	for i := dataAt + 1; i < len(lines); i++ {
		l := lines[i]
		bare := strings.TrimRight(l, "\n")
		if bare == "__END__" {
			break
		}
		if m := blockLineRe.FindStringSubmatch(bare); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			cur = &Block{Name: m[1], Line: i + 1, byName: map[string]*Section{}}
			f.Blocks = append(f.Blocks, cur)
			continue
		}
		if cur == nil {
			continue // text between __DATA__ and the first block is ignored
		}
		if m := sectionLineRe.FindStringSubmatch(bare); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			sec = &Section{Name: m[1], Line: i + 1}
			filters := m[2]
			if loc := inlineValueRe.FindStringIndex(filters); loc != nil {
				val := strings.TrimSpace(filters[loc[1]:])
				filters = filters[:loc[0]]
				sec.Filters = strings.Fields(filters)
				if err := finishSection(sec, val, pre); err != nil {
					return nil, fmt.Errorf("line %d: %s: %w", sec.Line, cur.Name, err)
				}
				if cur.byName[sec.Name] != nil {
					return nil, fmt.Errorf("line %d: %s: duplicate section %q", sec.Line, cur.Name, sec.Name)
				}
				cur.Sections = append(cur.Sections, sec)
				cur.byName[sec.Name] = sec
				sec = nil
				continue
			}
			sec.Filters = strings.Fields(filters)
			if cur.byName[sec.Name] != nil {
				return nil, fmt.Errorf("line %d: %s: duplicate section %q", sec.Line, cur.Name, sec.Name)
			}
			cur.Sections = append(cur.Sections, sec)
			cur.byName[sec.Name] = sec
			continue
		}
		if sec == nil {
			cur.Desc += l
			continue
		}
		secText.WriteString(l)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return f, nil
}

var (
	leadingBlankRe = regexp.MustCompile(`\A(?:[ \t]*\n)+`)
)

// trim is Test::Base's default "trim" filter: drop leading blank lines and
// any whitespace after the last newline that follows the last non-blank
// character (so "foo\n\n  " becomes "foo\n").
func trim(s string) string {
	s = leadingBlankRe.ReplaceAllString(s, "")
	last := strings.LastIndexFunc(s, func(r rune) bool { return !isSpace(r) })
	if nl := strings.IndexByte(s[last+1:], '\n'); nl >= 0 {
		s = s[:last+1+nl+1]
	}
	return s
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
}

func finishSection(sec *Section, text string, pre *Preamble) error {
	// Test::Base default filters: norm then trim.
	text = strings.ReplaceAll(text, "\r", "\n")
	text = trim(text)
	sec.Raw = text
	v := Value{Kind: KindStr, Str: text}
	for _, f := range sec.Filters {
		switch f {
		case "eval":
			if v.Kind != KindStr {
				return fmt.Errorf("section %q: eval on a non-string value", sec.Name)
			}
			ev, err := EvalPerl(v.Str, pre.Vars, pre.Env)
			if err != nil {
				return fmt.Errorf("section %q: eval: %w", sec.Name, err)
			}
			v = ev
		case "chomp":
			if v.Kind != KindStr {
				return fmt.Errorf("section %q: chomp on a non-string value", sec.Name)
			}
			v.Str = strings.TrimSuffix(v.Str, "\n")
		case "chop":
			if v.Kind != KindStr {
				return fmt.Errorf("section %q: chop on a non-string value", sec.Name)
			}
			if len(v.Str) > 0 {
				v.Str = v.Str[:len(v.Str)-1]
			}
		case "norm", "trim":
		default:
			return fmt.Errorf("section %q: unsupported filter %q", sec.Name, f)
		}
	}
	sec.Value = v
	return nil
}

// Preamble is what the runner understands of the Perl code before __DATA__.
// WorkersAuto is workers('auto'): "worker_processes auto;".
const WorkersAuto = -1

// workersList parses workers_each's arguments: numbers or 'auto'.
func workersList(name, args string, p *Preamble) ([]int, error) {
	v, err := EvalPerl("["+args+"]", p.Vars, p.Env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var ws []int
	for _, e := range v.List {
		a := strings.TrimSpace(e.Str)
		if a == "auto" {
			ws = append(ws, WorkersAuto)
			continue
		}
		n, err := strconv.Atoi(a)
		if e.Kind != KindStr || err != nil || n < 1 {
			return nil, fmt.Errorf("%s: want numbers or 'auto', got %q", name, a)
		}
		ws = append(ws, n)
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%s: missing argument", name)
	}
	return ws, nil
}

type Preamble struct {
	RepeatEach    int
	RepeatEachSet bool // repeat_each(N) was called
	NoShuffle     bool
	LogLevel      string
	Workers       int // workers(N); WorkersAuto for workers('auto')
	// WorkersEach is workers_each(N, 'auto', ...) (a goresty extension):
	// every block runs once per value, each on a fresh server
	WorkersEach       []int
	MasterOn          bool
	WorkerConnections int
	NoRootLocation    bool
	ServerName        string
	Timeout           float64 // seconds; 0 = default
	CheckAccumErrLog  bool
	EnvToNginx        []string
	Env               map[string]string // the environment, after the preamble's $ENV{X} assignments
	Vars              map[string]Value  // our/my $X = ...;
}

// perlStmtIgnored are statement prefixes with no effect on the runner.
var perlStmtIgnored = []string{
	"use ", "no ", "plan ", "plan(", "run_tests", "no_long_string", "no_diff",
	"master_off", "sub ", "our @EXPORT", "1",
}

var (
	callRe   = regexp.MustCompile(`(?s)^(\w+)\s*(?:\((.*)\)|(.*))$`)
	envSetRe = regexp.MustCompile(`(?s)^\$ENV\{\s*['"]?(\w+)['"]?\s*\}\s*(\|\|=|//=|=)\s*(.*)$`)
	varSetRe = regexp.MustCompile(`(?s)^(?:our|my)?\s*\$(?:::)?(\w+)\s*=\s*(.*)$`)
)

// ParsePreamble reads the Perl preamble statement by statement.
func ParsePreamble(src string, env map[string]string) (*Preamble, error) {
	if env == nil {
		env = map[string]string{}
	}
	p := &Preamble{RepeatEach: 1, Env: env, Vars: map[string]Value{}}
	stmts, err := splitPerlStatements(src)
	if err != nil {
		return nil, err
	}
	for _, st := range stmts {
		s := strings.TrimSpace(st.text)
		if s == "" {
			continue
		}
		if err := p.statement(s); err != nil {
			return nil, fmt.Errorf("preamble line %d: %w", st.line, err)
		}
	}
	return p, nil
}

func (p *Preamble) statement(s string) error {
	for _, ig := range perlStmtIgnored {
		if strings.HasPrefix(s, ig) {
			return nil
		}
	}
	if m := envSetRe.FindStringSubmatch(s); m != nil {
		if old, ok := p.Env[m[1]]; ok && old != "" && old != "0" && m[2] == "||=" {
			return nil
		}
		if _, ok := p.Env[m[1]]; ok && m[2] == "//=" {
			return nil
		}
		v, err := EvalPerl(m[3], p.Vars, p.Env)
		if err != nil {
			return fmt.Errorf("$ENV{%s}: %w", m[1], err)
		}
		if v.Kind != KindStr {
			return fmt.Errorf("$ENV{%s}: value must be a string", m[1])
		}
		p.Env[m[1]] = v.Str
		return nil
	}
	if m := varSetRe.FindStringSubmatch(s); m != nil && (strings.HasPrefix(s, "our") || strings.HasPrefix(s, "my") || strings.HasPrefix(s, "$")) {
		v, err := EvalPerl(m[2], p.Vars, p.Env)
		if err != nil {
			return fmt.Errorf("$%s: %w", m[1], err)
		}
		p.Vars[m[1]] = v
		return nil
	}
	m := callRe.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("unsupported Perl statement: %s", firstLine(s))
	}
	name := m[1]
	args := m[2]
	if args == "" {
		args = m[3]
	}
	arg := func() (string, error) {
		if strings.TrimSpace(args) == "" {
			return "", fmt.Errorf("%s: missing argument", name)
		}
		v, err := EvalPerl(args, p.Vars, p.Env)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if v.Kind != KindStr {
			return "", fmt.Errorf("%s: argument must be a scalar", name)
		}
		return v.Str, nil
	}
	argInt := func() (int, error) {
		a, err := arg()
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil {
			return 0, fmt.Errorf("%s: not an integer: %q", name, a)
		}
		return n, nil
	}
	var err error
	switch name {
	case "repeat_each":
		p.RepeatEach, err = argInt()
		p.RepeatEachSet = true
	case "no_shuffle":
		p.NoShuffle = true
	case "log_level":
		p.LogLevel, err = arg()
	case "workers":
		var a string
		if a, err = arg(); err == nil && strings.TrimSpace(a) == "auto" {
			p.Workers = WorkersAuto
		} else {
			p.Workers, err = argInt()
		}
	case "workers_each":
		p.WorkersEach, err = workersList(name, args, p)
	case "worker_connections":
		p.WorkerConnections, err = argInt()
	case "master_on":
		p.MasterOn = true
	case "master_process_enabled":
		var n int
		n, err = argInt()
		p.MasterOn = n != 0
	case "no_root_location":
		p.NoRootLocation = true
	case "check_accum_error_log":
		p.CheckAccumErrLog = true
	case "server_name":
		p.ServerName, err = arg()
	case "timeout":
		var a string
		a, err = arg()
		if err == nil {
			p.Timeout, err = parseTime(a)
		}
	case "env_to_nginx":
		v, e := EvalPerl("["+args+"]", p.Vars, p.Env)
		if e != nil {
			return fmt.Errorf("env_to_nginx: %w", e)
		}
		for _, x := range v.List {
			p.EnvToNginx = append(p.EnvToNginx, x.Str)
		}
	default:
		return fmt.Errorf("unsupported Perl statement: %s", firstLine(s))
	}
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// parseTime parses Test::Nginx times: "3", "0.5", "100ms", "2s".
func parseTime(s string) (float64, error) {
	s = strings.TrimSpace(s)
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "ms"):
		s, mul = strings.TrimSuffix(s, "ms"), 0.001
	case strings.HasSuffix(s, "s"):
		s = strings.TrimSuffix(s, "s")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return f * mul, nil
}

type perlStmt struct {
	text string
	line int
}

// splitPerlStatements splits Perl source into statements at top-level ';',
// skipping comments, quoted strings, q/qq/qr quotes and heredocs.
func splitPerlStatements(src string) ([]perlStmt, error) {
	var out []perlStmt
	var cur strings.Builder
	line := 1
	startLine := 1
	started := false
	depth := 0
	var pendingHeredocs []string
	endAfterHeredoc := false
	i := 0
	for i < len(src) {
		c := src[i]
		if !started && c != ' ' && c != '\t' && c != '\n' {
			started = true
			startLine = line
		}
		switch {
		case c == '#' && (i == 0 || src[i-1] != '$'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '\n':
			cur.WriteByte(c)
			line++
			i++
			for _, term := range pendingHeredocs {
				// copy heredoc body verbatim up to and including the terminator
				for {
					j := strings.IndexByte(src[i:], '\n')
					var l string
					if j < 0 {
						l = src[i:]
					} else {
						l = src[i : i+j+1]
					}
					if l == "" {
						return nil, fmt.Errorf("line %d: unterminated heredoc %q", line, term)
					}
					cur.WriteString(l)
					i += len(l)
					line++
					if strings.TrimRight(l, "\n") == term {
						break
					}
				}
			}
			pendingHeredocs = nil
			if endAfterHeredoc {
				endAfterHeredoc = false
				out = append(out, perlStmt{cur.String(), startLine})
				cur.Reset()
				started = false
			}
			continue
		case c == '<' && strings.HasPrefix(src[i:], "<<") && i+2 < len(src) && (src[i+2] == '_' || src[i+2] == '"' || src[i+2] == '\'' || isWordStart(src[i+2])):
			j := i + 2
			var term string
			if src[j] == '"' || src[j] == '\'' {
				k := strings.IndexByte(src[j+1:], src[j])
				if k < 0 {
					return nil, fmt.Errorf("line %d: bad heredoc", line)
				}
				term = src[j+1 : j+1+k]
				j = j + 1 + k + 1
			} else {
				k := j
				for k < len(src) && isWord(src[k]) {
					k++
				}
				term = src[j:k]
				j = k
			}
			pendingHeredocs = append(pendingHeredocs, term)
			cur.WriteString(src[i:j])
			i = j
			continue
		case c == '"' || c == '\'':
			j, err := skipQuoted(src, i+1, c, c)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			line += strings.Count(src[i:j], "\n")
			cur.WriteString(src[i:j])
			i = j
			continue
		case isQuoteOp(src, i):
			k := i
			for k < len(src) && isWord(src[k]) {
				k++
			}
			for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
				k++
			}
			open := src[k]
			close := closingDelim(open)
			j, err := skipQuoted(src, k+1, open, close)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			for j < len(src) && isWord(src[j]) { // regex flags
				j++
			}
			line += strings.Count(src[i:j], "\n")
			cur.WriteString(src[i:j])
			i = j
			continue
		case c == '{' || c == '(' || c == '[':
			depth++
		case c == '}' || c == ')' || c == ']':
			depth--
			if depth == 0 && c == '}' && blockStmtRe.MatchString(cur.String()) {
				// a top-level block like "sub foo { ... }" ends a statement
				cur.WriteByte(c)
				i++
				out = append(out, perlStmt{cur.String(), startLine})
				cur.Reset()
				started = false
				continue
			}
		case c == ';' && depth == 0:
			if len(pendingHeredocs) > 0 {
				// the statement ends after the heredoc bodies
				cur.WriteByte(c)
				i++
				endAfterHeredoc = true
				continue
			}
			out = append(out, perlStmt{cur.String(), startLine})
			cur.Reset()
			started = false
			i++
			continue
		}
		cur.WriteByte(c)
		i++
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, perlStmt{cur.String(), startLine})
	}
	return out, nil
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isWord(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9')
}

// isQuoteOp reports whether src[i:] starts a q//, qq//, qr//, qw// operator.
func isQuoteOp(src string, i int) bool {
	if i > 0 && (isWord(src[i-1]) || src[i-1] == '$' || src[i-1] == '@' || src[i-1] == '%') {
		return false
	}
	for _, op := range []string{"qq", "qr", "qw", "q"} {
		if strings.HasPrefix(src[i:], op) {
			k := i + len(op)
			for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
				k++
			}
			if k >= len(src) {
				return false
			}
			d := src[k]
			if isWord(d) || d == ' ' || d == '\n' || d == ',' || d == ';' || d == '=' || d == ')' {
				return false
			}
			return true
		}
	}
	return false
}

func closingDelim(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return open
}

// skipQuoted returns the index just after the closing delimiter, handling
// backslash escapes and nested bracket pairs.
func skipQuoted(src string, i int, open, close byte) (int, error) {
	depth := 1
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c == close:
			depth--
			if depth == 0 || open == close {
				return i + 1, nil
			}
		case c == open && open != close:
			depth++
		}
		i++
	}
	return 0, fmt.Errorf("unterminated quoted string")
}

var blockStmtRe = regexp.MustCompile(`^\s*(sub\b|BEGIN\b|END\b|\{)`)
