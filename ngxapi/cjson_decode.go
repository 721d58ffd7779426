package ngxapi

// cjson.decode (cjson.go has the module and its options).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// ---- decoding ----

type cjsonTokType int

const (
	tokObjBegin cjsonTokType = iota
	tokObjEnd
	tokArrBegin
	tokArrEnd
	tokString
	tokNumber
	tokBoolean
	tokNull
	tokColon
	tokComma
	tokEnd
	tokWhitespace
	tokError
	tokUnknown
)

var cjsonTokNames = [...]string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
	"T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
}

type cjsonToken struct {
	typ   cjsonTokType
	index int
	str   string // string value, or error text for tokError
	num   float64
	b     bool
}

type cjsonDecoder struct {
	L       *lua.LState
	cfg     *cjsonConfig
	data    string
	pos     int
	depth   int
	arrayMT *lua.LTable
	steps   int
}

func cjsonDecode(L *lua.LState, cfg *cjsonConfig, text string, arrayMT *lua.LTable) (v lua.LValue, err error) {
	if len(text) >= 2 && (text[0] == 0 || text[1] == 0) {
		return nil, cjsonError("JSON parser does not support UTF-16 or UTF-32")
	}
	// The C parser treats NUL as the end of the input.
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	d := &cjsonDecoder{L: L, cfg: cfg, data: text, arrayMT: arrayMT}
	defer func() {
		if r := recover(); r != nil {
			if ce, ok := r.(cjsonError); ok {
				v, err = nil, ce
				return
			}
			panic(r)
		}
	}()
	var tok cjsonToken
	d.next(&tok)
	v = d.value(&tok)
	d.next(&tok)
	if tok.typ != tokEnd {
		d.parseError("the end", &tok)
	}
	return v, nil
}

func (d *cjsonDecoder) parseError(expected string, tok *cjsonToken) {
	found := cjsonTokNames[tok.typ]
	if tok.typ == tokError {
		found = tok.str
	}
	panic(cjsonError(fmt.Sprintf("Expected %s but found %s at character %d", expected, found, tok.index+1)))
}

func (d *cjsonDecoder) setError(tok *cjsonToken, msg string) {
	tok.typ = tokError
	tok.index = d.pos
	tok.str = msg
}

func (d *cjsonDecoder) next(tok *cjsonToken) {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		d.pos++
	}
	tok.index = d.pos
	if d.pos >= len(d.data) {
		tok.typ = tokEnd
		return
	}
	c := d.data[d.pos]
	single := tokUnknown
	switch c {
	case '{':
		single = tokObjBegin
	case '}':
		single = tokObjEnd
	case '[':
		single = tokArrBegin
	case ']':
		single = tokArrEnd
	case ':':
		single = tokColon
	case ',':
		single = tokComma
	}
	if single != tokUnknown {
		tok.typ = single
		d.pos++
		return
	}
	rest := d.data[d.pos:]
	switch {
	case c == '"':
		d.stringToken(tok)
		return
	case c == '-' || (c >= '0' && c <= '9'):
		if !d.cfg.decodeInvalid && cjsonInvalidNumber(rest) {
			d.setError(tok, "invalid number")
			return
		}
		d.numberToken(tok)
		return
	case strings.HasPrefix(rest, "true"):
		tok.typ, tok.b = tokBoolean, true
		d.pos += 4
		return
	case strings.HasPrefix(rest, "false"):
		tok.typ, tok.b = tokBoolean, false
		d.pos += 5
		return
	case strings.HasPrefix(rest, "null"):
		tok.typ = tokNull
		d.pos += 4
		return
	case strings.IndexByte("iInN+", c) >= 0 && d.cfg.decodeInvalid && cjsonInvalidNumber(rest):
		d.numberToken(tok)
		return
	}
	d.setError(tok, "invalid token")
}

// cjsonInvalidNumber reports numbers that are not valid JSON (leading '+',
// hex, leading zeros, inf, nan) but that strtod would accept.
func cjsonInvalidNumber(p string) bool {
	if p == "" {
		return false
	}
	if p[0] == '+' {
		return true
	}
	if p[0] == '-' {
		p = p[1:]
	}
	if p == "" {
		return false
	}
	if p[0] == '0' {
		if len(p) > 1 && ((p[1]|0x20) == 'x' || (p[1] >= '0' && p[1] <= '9')) {
			return true
		}
		return false
	}
	if p[0] <= '9' {
		return false
	}
	l := strings.ToLower(p[:min(3, len(p))])
	return l == "inf" || l == "nan"
}

func (d *cjsonDecoder) numberToken(tok *cjsonToken) {
	f, n := cjsonStrtod(d.data[d.pos:])
	if n == 0 {
		d.setError(tok, "invalid number")
		return
	}
	tok.typ = tokNumber
	tok.num = f
	d.pos += n
}

// cjsonStrtod parses the longest prefix of s that C's strtod accepts and
// returns the value and the number of bytes consumed (0: no number).
func cjsonStrtod(s string) (float64, int) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := strings.ToLower(s[i:min(len(s), i+8)])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign * math.Inf(1), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign * math.Inf(1), i + 3
	case strings.HasPrefix(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isAlnumByte(s[k]) || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j
	}
	if i+1 < len(s) && s[i] == '0' && (s[i+1]|0x20) == 'x' {
		// hexadecimal: 0x<hex>[.<hex>][p[+-]<dec>]
		j := i + 2
		mant := 0.0
		digits := 0
		for j < len(s) && isHexByte(s[j]) {
			mant = mant*16 + float64(hexVal(s[j]))
			j++
			digits++
		}
		scale := 0
		if j < len(s) && s[j] == '.' {
			k := j + 1
			for k < len(s) && isHexByte(s[k]) {
				mant = mant*16 + float64(hexVal(s[k]))
				scale -= 4
				k++
				digits++
			}
			if digits > 0 {
				j = k
			}
		}
		if digits == 0 {
			// "0x" alone: strtod parses the "0".
			return 0, i + 1
		}
		if j < len(s) && (s[j]|0x20) == 'p' {
			k := j + 1
			esign := 1
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				if s[k] == '-' {
					esign = -1
				}
				k++
			}
			if k < len(s) && s[k] >= '0' && s[k] <= '9' {
				e := 0
				for k < len(s) && s[k] >= '0' && s[k] <= '9' {
					if e < 100000 {
						e = e*10 + int(s[k]-'0')
					}
					k++
				}
				scale += esign * e
				j = k
			}
		}
		return sign * math.Ldexp(mant, scale), j
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
			digits++
		}
		j = k
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j]|0x20) == 'e' {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[:j], 64)
	if err != nil {
		// ErrRange: f is ±Inf or 0 as strtod gives; any other error cannot
		// happen for the prefix validated above.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0
		}
	}
	return f, j
}

func isHexByte(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func hexVal(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

func isAlnumByte(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func (d *cjsonDecoder) stringToken(tok *cjsonToken) {
	d.pos++ // opening quote
	var sb []byte
	start := d.pos
	for {
		if d.pos >= len(d.data) {
			d.setError(tok, "unexpected end of string")
			return
		}
		c := d.data[d.pos]
		if c == '"' {
			break
		}
		if c != '\\' {
			d.pos++
			continue
		}
		sb = append(sb, d.data[start:d.pos]...)
		if d.pos+1 >= len(d.data) {
			d.setError(tok, "invalid escape code")
			return
		}
		var out byte
		switch d.data[d.pos+1] {
		case '"':
			out = '"'
		case '\\':
			out = '\\'
		case '/':
			out = '/'
		case 'b':
			out = '\b'
		case 'f':
			out = '\f'
		case 'n':
			out = '\n'
		case 'r':
			out = '\r'
		case 't':
			out = '\t'
		case 'u':
			var ok bool
			sb, ok = d.unicodeEscape(sb)
			if !ok {
				d.setError(tok, "invalid unicode escape code")
				return
			}
			start = d.pos
			continue
		default:
			d.setError(tok, "invalid escape code")
			return
		}
		sb = append(sb, out)
		d.pos += 2
		start = d.pos
	}
	if sb == nil {
		tok.str = d.data[start:d.pos]
	} else {
		tok.str = string(append(sb, d.data[start:d.pos]...))
	}
	tok.typ = tokString
	d.pos++ // closing quote
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		if !isHexByte(s[i]) {
			return 0, false
		}
		r = r<<4 | rune(hexVal(s[i]))
	}
	return r, true
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at d.pos,
// appending UTF-8 to sb and advancing d.pos past the escape(s).
func (d *cjsonDecoder) unicodeEscape(sb []byte) ([]byte, bool) {
	r, ok := hex4(d.data[d.pos+2:])
	if !ok {
		return sb, false
	}
	n := 6
	if r >= 0xdc00 && r <= 0xdfff {
		return sb, false // lone low surrogate
	}
	if r >= 0xd800 && r <= 0xdbff {
		rest := d.data[d.pos+6:]
		if len(rest) < 6 || rest[0] != '\\' || rest[1] != 'u' {
			return sb, false
		}
		lo, ok := hex4(rest[2:])
		if !ok || lo < 0xdc00 || lo > 0xdfff {
			return sb, false
		}
		r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
		n = 12
	}
	sb = utf8.AppendRune(sb, r)
	d.pos += n
	return sb, true
}

func (d *cjsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth || d.depth > cjsonHardMaxDepth {
		panic(cjsonError(fmt.Sprintf("Found too many nested data structures (%d) at character %d", d.depth, d.pos)))
	}
}

func (d *cjsonDecoder) value(tok *cjsonToken) lua.LValue {
	if d.steps++; d.steps&4095 == 0 { // a huge text meets the deadline
		luavm.CheckInterrupt(d.L)
	}
	switch tok.typ {
	case tokString:
		return lua.LString(tok.str)
	case tokNumber:
		return lua.LNumber(tok.num)
	case tokBoolean:
		return lua.LBool(tok.b)
	case tokNull:
		return Null
	case tokObjBegin:
		return d.object()
	case tokArrBegin:
		return d.array()
	}
	d.parseError("value", tok)
	return nil
}

func (d *cjsonDecoder) object() lua.LValue {
	d.descend()
	t := d.L.CreateTable(0, 4)
	var tok cjsonToken
	d.next(&tok)
	if tok.typ == tokObjEnd {
		d.depth--
		return t
	}
	for {
		if tok.typ != tokString {
			d.parseError("object key string", &tok)
		}
		key := tok.str
		d.next(&tok)
		if tok.typ != tokColon {
			d.parseError("colon", &tok)
		}
		d.next(&tok)
		t.RawSetString(key, d.value(&tok))
		d.next(&tok)
		if tok.typ == tokObjEnd {
			d.depth--
			return t
		}
		if tok.typ != tokComma {
			d.parseError("comma or object end", &tok)
		}
		d.next(&tok)
	}
}

func (d *cjsonDecoder) array() lua.LValue {
	d.descend()
	t := d.L.CreateTable(4, 0)
	if d.cfg.decodeArrayWithMT {
		t.Metatable = d.arrayMT
	}
	var tok cjsonToken
	d.next(&tok)
	if tok.typ == tokArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(&tok))
		d.next(&tok)
		if tok.typ == tokArrEnd {
			d.depth--
			return t
		}
		if tok.typ != tokComma {
			d.parseError("comma or array end", &tok)
		}
		d.next(&tok)
	}
}
