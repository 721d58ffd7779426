package ngxapi

// ngx.re (re.go): compiled programs and their cache, subjects, matching
// with PCRE's semantics on RE2.

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

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
