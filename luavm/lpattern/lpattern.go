// Package lpattern matches Lua 5.1 patterns (as LuaJIT's string.find,
// match, gmatch and gsub do) with a step budget: every few thousand steps
// the matcher asks its Check function whether to go on, so that a
// backtracking pattern over a long subject can be interrupted at a
// deadline. gopher-lua's own matcher has no such hook.
//
// The algorithm is the classic backtracking one of Lua's lstrlib: a
// recursive match over pattern items, with LuaJIT's bound of 200 nested
// match calls ("pattern too complex") keeping the Go stack small.
package lpattern

// MaxCaptures is Lua's LUA_MAXCAPTURES.
const MaxCaptures = 32

const (
	capUnfinished = -1
	capPosition   = -2
	maxDepth      = 200 // LuaJIT's LJ_MAX_XLEVEL
	checkEvery    = 1 << 12
)

// Error is a pattern error, worded as LuaJIT's; Matcher methods panic with
// it (and with what Check returns), the caller turns it into a Lua error.
type Error string

func (e Error) Error() string { return string(e) }

// Specials are the characters that make a pattern more than plain text
// (string.find does a plain search without them).
const Specials = "^$*+?.([%-"

// Matcher holds one matching state; reuse it across the matches of one
// string function call (gsub, gmatch) so its step count carries on.
type Matcher struct {
	Src, Pat string
	// Check, when set, is called every few thousand steps; a non-nil
	// error stops the match (Matcher panics with it).
	Check func() error

	level int
	caps  [MaxCaptures]struct{ init, len int }
	depth int
	steps int
}

// Capture kinds returned by Capture.
const (
	CapString = iota
	CapPosition
)

// Match tries the pattern starting at pattern offset p against Src at s;
// it returns the end of the match or -1. Call Reset first.
func (m *Matcher) Match(s, p int) int {
	return m.match(s, p)
}

// Reset forgets the captures of a previous attempt.
func (m *Matcher) Reset() { m.level, m.depth = 0, 0 }

// Level is the number of captures of the last successful match.
func (m *Matcher) Level() int { return m.level }

// Capture returns capture i of a match from s to e: its kind, its text
// (CapString) or 1-based position (CapPosition). With no captures, capture
// 0 is the whole match.
func (m *Matcher) Capture(i, s, e int) (kind int, text string, pos int) {
	if i >= m.level {
		if i != 0 {
			panic(Error("invalid capture index"))
		}
		return CapString, m.Src[s:e], 0
	}
	c := m.caps[i]
	switch c.len {
	case capUnfinished:
		panic(Error("unfinished capture"))
	case capPosition:
		return CapPosition, "", c.init + 1
	}
	return CapString, m.Src[c.init : c.init+c.len], 0
}

// NumCaptures is how many values a match pushes: its captures, or 1 (the
// whole match) when it has none.
func (m *Matcher) NumCaptures() int {
	if m.level == 0 {
		return 1
	}
	return m.level
}

func (m *Matcher) pat(p int) byte {
	if p < len(m.Pat) {
		return m.Pat[p]
	}
	return 0
}

func (m *Matcher) step() {
	m.steps++
	if m.steps&(checkEvery-1) == 0 && m.Check != nil {
		if err := m.Check(); err != nil {
			panic(err)
		}
	}
}

func (m *Matcher) match(s, p int) int {
	m.depth++
	if m.depth > maxDepth {
		panic(Error("pattern too complex"))
	}
	r := m.doMatch(s, p)
	m.depth--
	return r
}

func (m *Matcher) doMatch(s, p int) int {
	for {
		m.step()
		if p >= len(m.Pat) {
			return s
		}
		switch m.Pat[p] {
		case '(':
			if m.pat(p+1) == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '%':
			switch c := m.pat(p + 1); {
			case c == 'b':
				if s = m.matchBalance(s, p+2); s == -1 {
					return -1
				}
				p += 4
				continue
			case c == 'f':
				p += 2
				if m.pat(p) != '[' {
					panic(Error("missing '[' after '%f' in pattern"))
				}
				ep := m.classEnd(p)
				var prev, cur byte
				if s > 0 {
					prev = m.Src[s-1]
				}
				if s < len(m.Src) {
					cur = m.Src[s]
				}
				if !m.matchBracketClass(prev, p, ep-1) && m.matchBracketClass(cur, p, ep-1) {
					p = ep
					continue
				}
				return -1
			case c >= '0' && c <= '9':
				if s = m.matchCapture(s, c); s == -1 {
					return -1
				}
				p += 2
				continue
			}
		case '$':
			if p+1 == len(m.Pat) {
				if s == len(m.Src) {
					return s
				}
				return -1
			}
		}
		ep := m.classEnd(p)
		ok := s < len(m.Src) && m.singleMatch(m.Src[s], p, ep)
		switch m.pat(ep) {
		case '?':
			if ok {
				if r := m.match(s+1, ep+1); r != -1 {
					return r
				}
			}
			p = ep + 1
			continue
		case '*':
			return m.maxExpand(s, p, ep)
		case '+':
			if !ok {
				return -1
			}
			return m.maxExpand(s+1, p, ep)
		case '-':
			return m.minExpand(s, p, ep)
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
}

func (m *Matcher) classEnd(p int) int {
	c := m.Pat[p]
	p++
	switch c {
	case '%':
		if p >= len(m.Pat) {
			panic(Error("malformed pattern (ends with '%')"))
		}
		return p + 1
	case '[':
		if m.pat(p) == '^' {
			p++
		}
		for { // look for a ']'
			if p >= len(m.Pat) {
				panic(Error("malformed pattern (missing ']')"))
			}
			c := m.Pat[p]
			p++
			if c == '%' && p < len(m.Pat) {
				p++ // skip escapes (e.g. '%]')
			}
			if m.pat(p) == ']' {
				return p + 1
			}
		}
	}
	return p
}

func (m *Matcher) singleMatch(c byte, p, ep int) bool {
	switch m.Pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.Pat[p+1])
	case '[':
		return m.matchBracketClass(c, p, ep-1)
	}
	return m.Pat[p] == c
}

// matchBracketClass matches c against the set [...] from p ('[') to ec
// (']').
func (m *Matcher) matchBracketClass(c byte, p, ec int) bool {
	sig := true
	if m.pat(p+1) == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case m.Pat[p] == '%':
			p++
			if matchClass(c, m.pat(p)) {
				return sig
			}
		case m.pat(p+1) == '-' && p+2 < ec:
			p += 2
			if m.Pat[p-2] <= c && c <= m.Pat[p] {
				return sig
			}
		case m.Pat[p] == c:
			return sig
		}
	}
	return !sig
}

func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = c >= '0' && c <= '9'
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = c == ' ' || (c >= '\t' && c <= '\r')
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = isAlpha(c) || (c >= '0' && c <= '9')
	case 'x':
		res = (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'A' && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isPunct(c byte) bool {
	return c > 32 && c < 127 && !isAlpha(c) && !(c >= '0' && c <= '9')
}

func (m *Matcher) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(m.Src) && m.singleMatch(m.Src[s+i], p, ep) {
		i++
		m.step()
	}
	for ; i >= 0; i-- { // try with the maximum repetitions, then fewer
		if r := m.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (m *Matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r != -1 {
			return r
		}
		if s < len(m.Src) && m.singleMatch(m.Src[s], p, ep) {
			s++
			continue
		}
		return -1
	}
}

func (m *Matcher) startCapture(s, p, what int) int {
	if m.level >= MaxCaptures {
		panic(Error("too many captures"))
	}
	m.caps[m.level].init = s
	m.caps[m.level].len = what
	m.level++
	r := m.match(s, p)
	if r == -1 {
		m.level--
	}
	return r
}

func (m *Matcher) endCapture(s, p int) int {
	l := m.captureToClose()
	m.caps[l].len = s - m.caps[l].init
	r := m.match(s, p)
	if r == -1 {
		m.caps[l].len = capUnfinished
	}
	return r
}

func (m *Matcher) captureToClose() int {
	for l := m.level - 1; l >= 0; l-- {
		if m.caps[l].len == capUnfinished {
			return l
		}
	}
	panic(Error("invalid pattern capture"))
}

func (m *Matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.Pat) {
		panic(Error("unbalanced pattern"))
	}
	if s >= len(m.Src) || m.Src[s] != m.Pat[p] {
		return -1
	}
	b, e := m.Pat[p], m.Pat[p+1]
	cont := 1
	for s++; s < len(m.Src); s++ {
		m.step()
		switch m.Src[s] {
		case e:
			if cont--; cont == 0 {
				return s + 1
			}
		case b:
			cont++
		}
	}
	return -1
}

func (m *Matcher) matchCapture(s int, c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= m.level || m.caps[l].len == capUnfinished {
		panic(Error("invalid capture index"))
	}
	n := m.caps[l].len
	if n < 0 {
		return -1 // a position capture: Lua's size_t compare never matches
	}
	if len(m.Src)-s >= n && m.Src[m.caps[l].init:m.caps[l].init+n] == m.Src[s:s+n] {
		return s + n
	}
	return -1
}
