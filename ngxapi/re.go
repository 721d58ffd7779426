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
	"strconv"
	"strings"

	"github.com/goresty/goresty/luavm"
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
		if count&255 == 255 { // a long subject: let the deadline in
			luavm.CheckInterrupt(L)
		}
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
		if pieces&255 == 255 {
			luavm.CheckInterrupt(L)
		}
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
