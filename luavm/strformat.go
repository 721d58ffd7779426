package luavm

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// string.format as LuaJIT 2.1 answers it. gopher-lua hands the format to
// Go's fmt.Sprintf, which differs from C's printf everywhere a library can
// notice: %g without a precision prints the shortest form (0.30000000000000004
// for 0.1+0.2, C: 0.3), %x of a negative number keeps the sign, %u and %a
// are unknown, %q is Go's quoting, %s of a number is Go's, inf/nan are
// +Inf/NaN, and a missing or wrong argument becomes "%!d(MISSING)" instead
// of an error. This is C's conversion for each spec with LuaJIT's own
// choices: numbers for %s in "%.14g", exact ties rounded away from zero
// (2.25 -> "2.3" at %.1f), integer conversions through int64, %q escaping
// control characters in decimal.

// FormatNumber renders a Lua number as LuaJIT's tostring does ("%.14g",
// inf, -inf, nan).
func FormatNumber(f float64) string {
	if f == 0 && math.Signbit(f) {
		return "-0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		return strconv.FormatInt(int64(f), 10)
	}
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f < 0 {
		return "-" + cFloat(-f, 'g', 14, fmtSpec{})
	}
	return cFloat(f, 'g', 14, fmtSpec{})
}

// fmtSpec is one parsed "%[flags][width][.precision]" conversion.
type fmtSpec struct {
	minus, plus, space, alt, zero bool
	width, prec                   int // prec -1: none given
}

func (w *Worker) strFormat(L *lua.LState) int {
	fs := checkString(L, 1)
	top := L.GetTop()
	arg := 1
	b := sizedBuilder{w: w, L: L}
	for i := 0; i < len(fs); {
		j := strings.IndexByte(fs[i:], '%')
		if j < 0 {
			b.add(fs[i:])
			break
		}
		b.add(fs[i : i+j])
		i += j + 1
		if i < len(fs) && fs[i] == '%' {
			b.addByte('%')
			i++
			continue
		}
		start := i - 1
		sp, conv, next := parseSpec(fs, i)
		i = next
		if !strings.ContainsRune("diouxXcsqpaAeEfFgG", rune(conv)) || conv == 0 {
			L.RaiseError("invalid option '%s' to 'format'", fs[start:min(i, len(fs))])
		}
		arg++
		if arg > top {
			fmtArgError(L, arg, "value expected")
		}
		v := L.Get(arg)
		switch conv {
		case 's':
			b.add(sp.pad(stringArg(L, v, sp.prec), false))
		case 'q':
			b.add(sp.pad(QuoteString(stringArg(L, v, -1)), false))
		case 'p':
			b.add(sp.pad(pointerString(v), false))
		default:
			b.add(sp.number(fmtNumberArg(L, arg, v), conv))
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// parseSpec reads flags, at most two digits of width and of precision and
// the conversion letter from fs[i:] (LuaJIT refuses a third digit: the
// digit then stands where the letter should, an invalid option).
func parseSpec(fs string, i int) (sp fmtSpec, conv byte, next int) {
	sp.prec = -1
	for ; i < len(fs); i++ {
		switch fs[i] {
		case '-':
			sp.minus = true
		case '+':
			sp.plus = true
		case ' ':
			sp.space = true
		case '#':
			sp.alt = true
		case '0':
			sp.zero = true
		default:
			goto width
		}
	}
width:
	digits := func(n *int) {
		for k := 0; k < 2 && i < len(fs) && fs[i] >= '0' && fs[i] <= '9'; k++ {
			*n = *n*10 + int(fs[i]-'0')
			i++
		}
	}
	digits(&sp.width)
	if i < len(fs) && fs[i] == '.' {
		i++
		sp.prec = 0
		digits(&sp.prec)
	}
	if i < len(fs) {
		return sp, fs[i], i + 1
	}
	return sp, 0, i
}

func fmtArgError(L *lua.LState, n int, msg string) {
	L.RaiseError("bad argument #%d to 'format' (%s)", n, msg)
}

// fmtNumberArg is luaL_checknumber: a number, or a string that reads as one.
func fmtNumberArg(L *lua.LState, n int, v lua.LValue) float64 {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		t := strings.TrimSpace(string(x))
		if len(t) > 2 && t[0] == '0' && t[1]|0x20 == 'x' {
			if u, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
				return float64(u)
			}
		} else if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f
		}
	}
	fmtArgError(L, n, "number expected, got "+typeName(v))
	return 0
}

// stringArg is what %s prints for v: tostring's answer (numbers as
// LuaJIT, __tostring honoured), cut to prec bytes when prec >= 0.
func stringArg(L *lua.LState, v lua.LValue, prec int) string {
	var s string
	switch x := v.(type) {
	case lua.LString:
		s = string(x)
	case lua.LNumber:
		s = FormatNumber(float64(x))
	default:
		if L.GetMetaField(v, "__tostring") != lua.LNil {
			s = L.ToStringMeta(v).String()
		} else {
			s = tostringPlain(v)
		}
	}
	if prec >= 0 && len(s) > prec {
		s = s[:prec]
	}
	return s
}

// tostringPlain is tostring without a metamethod, with OpenResty's
// light userdata NULL for ngx.null's kind.
func tostringPlain(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	return v.String()
}

func pointerString(v lua.LValue) string {
	switch v.(type) {
	case *lua.LTable, *lua.LFunction, *lua.LUserData, *lua.LState:
		return fmt.Sprintf("%p", v)
	}
	return "NULL"
}

// pad applies width and the '-' flag (and '0' when zeros is set) in bytes,
// as C does (Go's fmt counts runes).
func (sp fmtSpec) pad(s string, zeros bool) string {
	if len(s) >= sp.width {
		return s
	}
	fill := strings.Repeat(" ", sp.width-len(s))
	switch {
	case sp.minus:
		return s + fill
	case zeros && sp.zero:
		sign := ""
		if s != "" && strings.ContainsRune("+- ", rune(s[0])) {
			sign, s = s[:1], s[1:]
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			sign, s = sign+s[:2], s[2:]
		}
		return sign + strings.Repeat("0", len(fill)) + s
	}
	return fill + s
}

func (sp fmtSpec) sign(neg bool) string {
	switch {
	case neg:
		return "-"
	case sp.plus:
		return "+"
	case sp.space:
		return " "
	}
	return ""
}

// number formats f for the numeric conversion conv.
func (sp fmtSpec) number(f float64, conv byte) string {
	switch conv {
	case 'd', 'i':
		n := int64(f)
		mag := strconv.FormatUint(absUint(n), 10)
		return sp.pad(sp.sign(n < 0)+sp.intDigits(mag), sp.prec < 0)
	case 'o', 'u', 'x', 'X':
		u := uint64(int64(f))
		base := map[byte]int{'o': 8, 'u': 10, 'x': 16, 'X': 16}[conv]
		mag := sp.intDigits(strconv.FormatUint(u, base))
		if conv == 'X' {
			mag = strings.ToUpper(mag)
		}
		if sp.alt && conv == 'o' && mag[0] != '0' {
			mag = "0" + mag
		}
		if sp.alt && u != 0 && (conv == 'x' || conv == 'X') {
			mag = "0" + string(conv) + mag
		}
		return sp.pad(mag, sp.prec < 0)
	case 'c':
		return sp.pad(string([]byte{byte(int64(f))}), false)
	}
	neg := math.Signbit(f) && !math.IsNaN(f)
	a := math.Abs(f)
	var body string
	if math.IsInf(a, 0) || math.IsNaN(a) {
		body = "inf"
		if math.IsNaN(a) {
			body = "nan"
		}
		if conv >= 'A' && conv <= 'Z' {
			body = strings.ToUpper(body)
		}
		return sp.pad(sp.sign(neg)+body, false)
	}
	if conv == 'a' || conv == 'A' {
		body = hexFloat(a, sp.prec)
		if conv == 'A' {
			body = strings.ToUpper(body)
		}
	} else {
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		body = cFloat(a, conv|0x20, prec, sp)
		if conv == 'E' || conv == 'G' {
			body = strings.ToUpper(body)
		}
	}
	return sp.pad(sp.sign(neg)+body, true)
}

// intDigits applies a precision (the minimum number of digits) to an
// integer's digits; precision 0 prints 0 as nothing, as C.
func (sp fmtSpec) intDigits(mag string) string {
	if sp.prec == 0 && mag == "0" {
		return ""
	}
	if len(mag) < sp.prec {
		mag = strings.Repeat("0", sp.prec-len(mag)) + mag
	}
	return mag
}

func absUint(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

// cFloat is printf's %e, %f or %g of a non-negative finite a.
func cFloat(a float64, conv byte, prec int, sp fmtSpec) string {
	switch conv {
	case 'e', 'f':
		s := roundAway(a, conv, prec)
		if sp.alt && prec == 0 {
			if conv == 'f' {
				s += "."
			} else {
				s = strings.Replace(s, "e", ".e", 1)
			}
		}
		return s
	}
	if prec == 0 {
		prec = 1
	}
	e := roundAway(a, 'e', prec-1)
	x, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	var s string
	if x < prec && x >= -4 {
		s = roundAway(a, 'f', prec-1-x)
	} else {
		s = e
	}
	if sp.alt {
		if !strings.Contains(s, ".") {
			if k := strings.IndexByte(s, 'e'); k >= 0 {
				s = s[:k] + "." + s[k:]
			} else {
				s += "."
			}
		}
		return s
	}
	return trimZeros(s)
}

// trimZeros drops %g's trailing fraction zeros (and a bare point).
func trimZeros(s string) string {
	mant, exp := s, ""
	if k := strings.IndexByte(s, 'e'); k >= 0 {
		mant, exp = s[:k], s[k:]
	}
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(mant, "0")
		mant = strings.TrimSuffix(mant, ".")
	}
	return mant + exp
}

// roundAway formats a (>= 0) with strconv, except that a value exactly
// halfway between two results rounds up, as LuaJIT's formatter does
// (strconv and glibc round such ties to even). C's exponent has at least
// two digits, as strconv's.
func roundAway(a float64, conv byte, prec int) string {
	s := strconv.FormatFloat(a, conv, prec, 64)
	longer := strconv.FormatFloat(a, conv, prec+1, 64)
	mant := longer
	if k := strings.IndexByte(longer, 'e'); k >= 0 {
		mant = longer[:k]
	}
	if mant[len(mant)-1] != '5' {
		return s
	}
	exact, ok := new(big.Rat).SetString(longer)
	if ok && exact.Cmp(new(big.Rat).SetFloat64(a)) == 0 {
		return strconv.FormatFloat(math.Nextafter(a, math.Inf(1)), conv, prec, 64)
	}
	return s
}

// hexFloat is C's %a of a (>= 0): "0x1.8p+0".
func hexFloat(a float64, prec int) string {
	s := strconv.FormatFloat(a, 'x', prec, 64)
	k := strings.IndexByte(s, 'p')
	exp, _ := strconv.Atoi(s[k+1:])
	if a == 0 {
		exp = 0
	}
	return fmt.Sprintf("%sp%+d", s[:k], exp)
}

// QuoteString is %q as LuaJIT 2.1 writes it: '"' and '\' escaped, a
// newline as backslash-newline, other control characters (and DEL) in
// decimal, three digits when a digit follows, all other bytes as they are.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString("\\\n")
		case c < 32 || c == 127:
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				fmt.Fprintf(&b, "\\%03d", c)
			} else {
				fmt.Fprintf(&b, "\\%d", c)
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
