package confparse

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types produced by the nginx lexer. The lexer follows nginx's own
// tokenizer (ngx_conf_read_token): it already knows where statements end and
// blocks open and close, so it reports nginx's syntax errors ("unexpected
// "}"", "unexpected end of file, expecting ...") itself. A syntax error does
// not stop the stream with a Go error: it becomes an Error token in place, so
// the directives before it are still checked first, exactly in nginx's order.
const (
	tokEOF    = lexer.EOF
	tokWord   = lexer.TokenType(iota + 1) // bare word, escapes resolved
	tokString                             // quoted string, escapes resolved
	tokSemi                               // ;
	tokLBrace                             // {
	tokRBrace                             // }
	tokLua                                // raw body of a *_by_lua_block; Pos is its "{"
	tokError                              // a syntax error; Value is nginx's message
)

// maxDepth bounds block nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

// symbols is a function, not a map variable: the parsers are package
// variables built during initialisation and reach it only through an
// interface, which Go's initialisation order does not see.
func symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":    tokEOF,
		"Word":   tokWord,
		"String": tokString,
		"Semi":   tokSemi,
		"LBrace": tokLBrace,
		"RBrace": tokRBrace,
		"Lua":    tokLua,
		"Error":  tokError,
	}
}

// lexDef is the participle lexer.Definition for nginx configuration files.
type lexDef struct{ cmdline bool }

func (d lexDef) Symbols() map[string]lexer.TokenType { return symbols() }

func (d lexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, b)
}

func (d lexDef) LexString(filename string, s string) (lexer.Lexer, error) {
	return d.LexBytes(filename, []byte(s))
}

func (d lexDef) LexBytes(filename string, b []byte) (lexer.Lexer, error) {
	s := &scanner{src: b, file: filename, line: 1, cmdline: d.cmdline}
	s.run()
	return &tokenList{toks: s.toks}, nil
}

type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	if l.i >= len(l.toks) {
		return l.toks[len(l.toks)-1], nil // always ends with EOF
	}
	t := l.toks[l.i]
	l.i++
	return t, nil
}

type scanner struct {
	src     []byte
	i       int
	line    int
	file    string
	cmdline bool // -g directives: EOF inside a statement has its own wording
	depth   int
	nargs   int    // words of the statement being read
	first   string // first word of the statement being read
	toks    []lexer.Token
}

func (s *scanner) pos(line int) lexer.Position {
	return lexer.Position{Filename: s.file, Line: line, Column: 1}
}

func (s *scanner) emit(t lexer.TokenType, v string, line int) {
	s.toks = append(s.toks, lexer.Token{Type: t, Value: v, Pos: s.pos(line)})
}

// fail emits an Error token and the final EOF.
func (s *scanner) fail(line int, format string, args ...any) {
	s.emit(tokError, fmt.Sprintf(format, args...), line)
	s.emit(tokEOF, "", s.line)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// badChar reports bytes that never appear in a text configuration file.
func badChar(c byte) bool { return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f }

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string(c)
	}
	return fmt.Sprintf("\\x%02x", c)
}

func (s *scanner) run() {
	for {
		// Skip blanks and comments.
		for s.i < len(s.src) {
			c := s.src[s.i]
			if c == '\n' {
				s.line++
				s.i++
			} else if isSpace(c) {
				s.i++
			} else if c == '#' {
				for s.i < len(s.src) && s.src[s.i] != '\n' {
					s.i++
				}
			} else {
				break
			}
		}
		if s.i >= len(s.src) {
			switch {
			case s.nargs > 0 && s.cmdline:
				s.fail(s.line, `unexpected end of parameter, expecting ";"`)
			case s.nargs > 0:
				s.fail(s.line, `unexpected end of file, expecting ";" or "}"`)
			case s.depth > 0:
				s.fail(s.line, `unexpected end of file, expecting "}"`)
			default:
				s.emit(tokEOF, "", s.line)
			}
			return
		}
		c := s.src[s.i]
		switch {
		case c == ';':
			if s.nargs == 0 {
				s.fail(s.line, `unexpected ";"`)
				return
			}
			s.i++
			s.emit(tokSemi, ";", s.line)
			s.nargs = 0
		case c == '{':
			if s.nargs == 0 {
				s.fail(s.line, `unexpected "{"`)
				return
			}
			s.i++
			if strings.HasSuffix(s.first, "_by_lua_block") {
				if !s.luaBlock() {
					return
				}
				s.nargs = 0
				continue
			}
			if s.depth >= maxDepth {
				s.fail(s.line, "too many nested blocks (more than %d)", maxDepth)
				return
			}
			s.emit(tokLBrace, "{", s.line)
			s.depth++
			s.nargs = 0
		case c == '}':
			if s.nargs > 0 || s.depth == 0 {
				s.fail(s.line, `unexpected "}"`)
				return
			}
			s.i++
			s.emit(tokRBrace, "}", s.line)
			s.depth--
		case badChar(c):
			s.fail(s.line, `unexpected "%s"`, quoteByte(c))
			return
		case c == '"' || c == '\'':
			if !s.quoted(c) {
				return
			}
		default:
			if !s.word() {
				return
			}
		}
	}
}

func (s *scanner) addArg(t lexer.TokenType, v string, line int) {
	if s.nargs == 0 {
		s.first = v
	}
	s.nargs++
	s.emit(t, v, line)
}

// quoted reads a '...' or "..." argument; nginx wants a blank, ";", "{"
// or ")" right after the closing quote.
func (s *scanner) quoted(q byte) bool {
	line := s.line
	s.i++
	start := s.i
	for {
		if s.i >= len(s.src) {
			s.i = len(s.src)
			if s.cmdline {
				s.fail(s.line, `unexpected end of parameter, expecting ";"`)
			} else {
				s.fail(s.line, `unexpected end of file, expecting ";" or "}"`)
			}
			return false
		}
		c := s.src[s.i]
		if c == 0 {
			s.fail(s.line, `unexpected "%s"`, quoteByte(c))
			return false
		}
		if c == '\n' {
			s.line++
		}
		if c == '\\' && s.i+1 < len(s.src) {
			if s.src[s.i+1] == '\n' {
				s.line++
			}
			s.i += 2
			continue
		}
		if c == q {
			break
		}
		s.i++
	}
	v := unescape(s.src[start:s.i])
	s.i++
	s.addArg(tokString, v, line)
	if s.i < len(s.src) {
		c := s.src[s.i]
		// ")" too: it closes an "if" condition ("... ~ "re")")
		if !isSpace(c) && c != ';' && c != '{' && c != ')' {
			s.fail(s.line, `unexpected "%s"`, quoteByte(c))
			return false
		}
	}
	return true
}

// word reads a bare argument. As in nginx, it ends at a blank, ";" or "{"
// (but "${" continues a variable name); "}" and "#" inside a word are literal.
func (s *scanner) word() bool {
	line := s.line
	start := s.i
	variable := false
	for s.i < len(s.src) {
		c := s.src[s.i]
		if c == '{' && variable {
			s.i++
			continue
		}
		variable = false
		if c == '\\' && s.i+1 < len(s.src) {
			if s.src[s.i+1] == '\n' {
				s.line++
			}
			s.i += 2
			continue
		}
		if c == '$' {
			variable = true
			s.i++
			continue
		}
		if isSpace(c) || c == ';' || c == '{' {
			break
		}
		if badChar(c) {
			s.fail(s.line, `unexpected "%s"`, quoteByte(c))
			return false
		}
		s.i++
	}
	s.addArg(tokWord, unescape(s.src[start:s.i]), line)
	return true
}

// unescape applies nginx's escapes: \" \' \\ \t \r \n; any other backslash
// pair is kept as written.
func unescape(b []byte) string {
	if !strings.ContainsRune(string(b), '\\') {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '"', '\'', '\\':
				sb.WriteByte(b[i+1])
				i++
				continue
			case 't':
				sb.WriteByte('\t')
				i++
				continue
			case 'r':
				sb.WriteByte('\r')
				i++
				continue
			case 'n':
				sb.WriteByte('\n')
				i++
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// luaBlock captures the verbatim Lua source after a *_by_lua_block's "{" up
// to its matching "}". Braces inside Lua strings, comments and long brackets
// do not count. The token keeps the line of the "{".
func (s *scanner) luaBlock() bool {
	open := s.line
	start := s.i
	depth := 1
	eof := func() bool {
		s.fail(open, "unexpected end of file, expecting terminating characters for lua code block")
		return false
	}
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch c {
		case 0:
			s.fail(s.line, `unexpected "%s"`, quoteByte(c))
			return false
		case '\n':
			s.line++
			s.i++
		case '{':
			depth++
			s.i++
		case '}':
			depth--
			if depth == 0 {
				s.emit(tokLua, string(s.src[start:s.i]), open)
				s.i++
				return true
			}
			s.i++
		case '"', '\'':
			s.i++
			for {
				if s.i >= len(s.src) {
					return eof()
				}
				d := s.src[s.i]
				if d == '\\' && s.i+1 < len(s.src) {
					if s.src[s.i+1] == '\n' {
						s.line++
					}
					s.i += 2
					continue
				}
				if d == '\n' {
					s.line++
				}
				s.i++
				if d == c {
					break
				}
			}
		case '-':
			if s.i+1 < len(s.src) && s.src[s.i+1] == '-' {
				s.i += 2
				if lvl, ok := s.longOpen(); ok {
					if !s.longBody(lvl) {
						return false
					}
					continue
				}
				for s.i < len(s.src) && s.src[s.i] != '\n' {
					s.i++
				}
				continue
			}
			s.i++
		case '[':
			if lvl, ok := s.longOpen(); ok {
				if !s.longBody(lvl) {
					return false
				}
				continue
			}
			s.i++
		default:
			s.i++
		}
	}
	return eof()
}

// longOpen recognises "[", "=" * n, "[" at s.i and consumes it.
func (s *scanner) longOpen() (int, bool) {
	j := s.i
	if j >= len(s.src) || s.src[j] != '[' {
		return 0, false
	}
	j++
	lvl := 0
	for j < len(s.src) && s.src[j] == '=' {
		lvl++
		j++
	}
	if j >= len(s.src) || s.src[j] != '[' {
		return 0, false
	}
	s.i = j + 1
	return lvl, true
}

// longBody skips to the "]", "=" * lvl, "]" closing a long bracket.
func (s *scanner) longBody(lvl int) bool {
	line := s.line
	closing := "]" + strings.Repeat("=", lvl) + "]"
	idx := bytes.Index(s.src[s.i:], []byte(closing))
	if idx < 0 {
		s.fail(line, `Lua code block missing the closing long bracket "%s", the inlined Lua code may be too long`, closing)
		return false
	}
	body := s.src[s.i : s.i+idx]
	s.line += bytes.Count(body, []byte{'\n'})
	s.i += idx + len(closing)
	return true
}
