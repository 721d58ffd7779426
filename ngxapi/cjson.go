package ngxapi

// A built-in `cjson` / `cjson.safe` module behaving like lua-cjson 2.1 as
// OpenResty ships it (Debian's lua-cjson is a C module that gopher-lua cannot
// load). Written from the lua-cjson manual and its observable behaviour.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// Null is the light-userdata-like sentinel shared by ngx.null and cjson.null.
// It is one value for the whole process: comparisons (`v == ngx.null`) work
// in every worker's LState. Nothing may set a metatable on it.
var Null = &lua.LUserData{Metatable: lua.LNil}

// cjsonEmptyArray is cjson.empty_array: encodes as "[]".
var cjsonEmptyArray = &lua.LUserData{Metatable: lua.LNil}

const (
	cjsonVersion = "2.1.0.10"

	cjsonRegArrayMT      = "goresty.cjson.array_mt"
	cjsonRegEmptyArrayMT = "goresty.cjson.empty_array_mt"

	// Hard ceilings standing in for lua_checkstack failures: whatever the
	// configured depth, recursion never goes deeper than this.
	cjsonHardMaxDepth = 1 << 16
)

type cjsonConfig struct {
	sparseConvert      bool
	sparseRatio        int
	sparseSafe         int
	encodeMaxDepth     int
	decodeMaxDepth     int
	precision          int
	keepBuffer         bool
	encodeInvalid      int // 0 off, 1 on, 2 "null"
	decodeInvalid      bool
	escapeSlash        bool
	emptyTableAsObject bool
	decodeArrayWithMT  bool
}

func newCJSONConfig() *cjsonConfig {
	return &cjsonConfig{
		sparseRatio:        2,
		sparseSafe:         10,
		encodeMaxDepth:     1000,
		decodeMaxDepth:     1000,
		precision:          14,
		keepBuffer:         true,
		decodeInvalid:      true,
		escapeSlash:        true,
		emptyTableAsObject: true,
	}
}

// OpenCJSON registers `cjson` and `cjson.safe` as preloaded modules of L.
func OpenCJSON(L *lua.LState) {
	cjsonMetatables(L)
	L.PreloadModule("cjson", func(L *lua.LState) int {
		L.Push(newCJSONModule(L, false))
		return 1
	})
	L.PreloadModule("cjson.safe", func(L *lua.LState) int {
		L.Push(newCJSONModule(L, true))
		return 1
	})
}

// cjsonMetatables returns the per-LState array_mt and empty_array_mt tables
// (created on first use, kept in the registry like lua-cjson does).
func cjsonMetatables(L *lua.LState) (arrayMT, emptyArrayMT *lua.LTable) {
	reg := L.G.Registry
	if t, ok := reg.RawGetString(cjsonRegArrayMT).(*lua.LTable); ok {
		arrayMT = t
	} else {
		arrayMT = L.NewTable()
		reg.RawSetString(cjsonRegArrayMT, arrayMT)
	}
	if t, ok := reg.RawGetString(cjsonRegEmptyArrayMT).(*lua.LTable); ok {
		emptyArrayMT = t
	} else {
		emptyArrayMT = L.NewTable()
		reg.RawSetString(cjsonRegEmptyArrayMT, emptyArrayMT)
	}
	return
}

func newCJSONModule(L *lua.LState, safe bool) *lua.LTable {
	cfg := newCJSONConfig()
	arrayMT, emptyArrayMT := cjsonMetatables(L)
	m := L.NewTable()

	m.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			cArgError(L, 1, "encode", "expected 1 argument")
		}
		out, err := cjsonEncode(cfg, L.Get(1), arrayMT, emptyArrayMT)
		if err != nil {
			if safe {
				return luaFail(L, err.Error())
			}
			L.Error(lua.LString(err.Error()), 0)
		}
		L.Push(lua.LString(out))
		return 1
	}))
	m.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			cArgError(L, 1, "decode", "expected 1 argument")
		}
		text := cCheckString(L, 1, "decode")
		v, err := cjsonDecode(L, cfg, text, arrayMT)
		if err != nil {
			if safe {
				return luaFail(L, err.Error())
			}
			L.Error(lua.LString(err.Error()), 0)
		}
		L.Push(v)
		return 1
	}))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(newCJSONModule(L, safe))
		return 1
	}))

	boolOpt := func(name string, p *bool) {
		m.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			cjsonBoolOption(L, name, 1, p)
			L.Push(lua.LBool(*p))
			return 1
		}))
	}
	intOpt := func(name string, p *int, lo, hi int) {
		m.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			cjsonIntOption(L, name, 1, p, lo, hi)
			L.Push(lua.LNumber(*p))
			return 1
		}))
	}
	boolOpt("encode_keep_buffer", &cfg.keepBuffer)
	boolOpt("decode_invalid_numbers", &cfg.decodeInvalid)
	boolOpt("encode_escape_forward_slash", &cfg.escapeSlash)
	boolOpt("encode_empty_table_as_object", &cfg.emptyTableAsObject)
	boolOpt("decode_array_with_array_mt", &cfg.decodeArrayWithMT)
	intOpt("encode_max_depth", &cfg.encodeMaxDepth, 1, math.MaxInt32)
	intOpt("decode_max_depth", &cfg.decodeMaxDepth, 1, math.MaxInt32)
	intOpt("encode_number_precision", &cfg.precision, 1, 16)
	m.RawSetString("encode_sparse_array", L.NewFunction(func(L *lua.LState) int {
		const fn = "encode_sparse_array"
		cjsonBoolOption(L, fn, 1, &cfg.sparseConvert)
		cjsonIntOption(L, fn, 2, &cfg.sparseRatio, 0, math.MaxInt32)
		cjsonIntOption(L, fn, 3, &cfg.sparseSafe, 0, math.MaxInt32)
		L.Push(lua.LBool(cfg.sparseConvert))
		L.Push(lua.LNumber(cfg.sparseRatio))
		L.Push(lua.LNumber(cfg.sparseSafe))
		return 3
	}))
	m.RawSetString("encode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		opts := []string{"off", "on", "null"}
		switch v := L.Get(1).(type) {
		case *lua.LNilType:
		case lua.LBool:
			if v {
				cfg.encodeInvalid = 1
			} else {
				cfg.encodeInvalid = 0
			}
		default:
			cfg.encodeInvalid = cjsonCheckOption(L, "encode_invalid_numbers", 1, opts)
		}
		if cfg.encodeInvalid == 2 {
			L.Push(lua.LString("null"))
		} else {
			L.Push(lua.LBool(cfg.encodeInvalid == 1))
		}
		return 1
	}))

	m.RawSetString("null", Null)
	m.RawSetString("empty_array", cjsonEmptyArray)
	m.RawSetString("array_mt", arrayMT)
	m.RawSetString("empty_array_mt", emptyArrayMT)
	m.RawSetString("_NAME", lua.LString(map[bool]string{false: "cjson", true: "cjson.safe"}[safe]))
	m.RawSetString("_VERSION", lua.LString(cjsonVersion))
	return m
}

// argError raises "bad argument #n to 'fname' (msg)" the way luaL_argerror
// does from a C function: without a position prefix.
func cArgError(L *lua.LState, n int, fname, msg string) {
	L.Error(lua.LString(fmt.Sprintf("bad argument #%d to '%s' (%s)", n, fname, msg)), 0)
}

// checkString is luaL_checkstring: strings and numbers, else an argument error.
func cCheckString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		cArgError(L, n, fname, "string expected, got "+cTypeName(L, n))
		return ""
	}
}

// checkInt is luaL_checkinteger.
func cCheckInt(L *lua.LState, n int, fname string) int {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return int(f)
		}
	}
	cArgError(L, n, fname, "number expected, got "+cTypeName(L, n))
	return 0
}

// cTypeName is luaL_typename for argument n ("no value" past the top).
func cTypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

func cjsonCheckOption(L *lua.LState, fname string, n int, opts []string) int {
	s := cCheckString(L, n, fname)
	for i, o := range opts {
		if o == s {
			return i
		}
	}
	cArgError(L, n, fname, fmt.Sprintf("invalid option '%s'", s))
	return 0
}

func cjsonBoolOption(L *lua.LState, fname string, n int, p *bool) {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
	case lua.LBool:
		*p = bool(v)
	default:
		*p = cjsonCheckOption(L, fname, n, []string{"off", "on"}) == 1
	}
}

func cjsonIntOption(L *lua.LState, fname string, n int, p *int, lo, hi int) {
	if L.Get(n) != lua.LNil {
		v := cCheckInt(L, n, fname)
		if v < lo || v > hi {
			cArgError(L, n, fname, fmt.Sprintf("expected integer between %d and %d", lo, hi))
		}
		*p = v
	}
}

// ---- encoding ----

type cjsonError string

func (e cjsonError) Error() string { return string(e) }

type cjsonEncoder struct {
	cfg                   *cjsonConfig
	buf                   []byte
	arrayMT, emptyArrayMT *lua.LTable
}

func cjsonEncode(cfg *cjsonConfig, v lua.LValue, arrayMT, emptyArrayMT *lua.LTable) (string, error) {
	e := &cjsonEncoder{cfg: cfg, arrayMT: arrayMT, emptyArrayMT: emptyArrayMT}
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

func cjsonUnsupported(v lua.LValue, reason string) error {
	return cjsonError(fmt.Sprintf("Cannot serialise %s: %s", v.Type().String(), reason))
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) error {
	switch x := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case lua.LNumber:
		return e.number(x)
	case lua.LString:
		e.str(string(x))
	case *lua.LUserData:
		switch x {
		case Null:
			e.buf = append(e.buf, "null"...)
		case cjsonEmptyArray:
			e.buf = append(e.buf, "[]"...)
		default:
			return cjsonUnsupported(v, "type not supported")
		}
	case *lua.LTable:
		return e.table(x, depth+1)
	default:
		return cjsonUnsupported(v, "type not supported")
	}
	return nil
}

func (e *cjsonEncoder) number(x lua.LNumber) error {
	f := float64(x)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch e.cfg.encodeInvalid {
		case 0:
			return cjsonUnsupported(x, "must not be NaN or Infinity")
		case 1:
			switch {
			case math.IsNaN(f):
				e.buf = append(e.buf, "NaN"...)
			case f < 0:
				e.buf = append(e.buf, "-Infinity"...)
			default:
				e.buf = append(e.buf, "Infinity"...)
			}
		default:
			e.buf = append(e.buf, "null"...)
		}
		return nil
	}
	e.buf = cjsonFormatNumber(e.buf, f, e.cfg.precision)
	return nil
}

// cjsonFormatNumber appends f as C's "%.<prec>g" would print it.
func cjsonFormatNumber(buf []byte, f float64, prec int) []byte {
	return strconv.AppendFloat(buf, f, 'g', prec, 64)
}

const hexDigits = "0123456789abcdef"

func (e *cjsonEncoder) str(s string) {
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '/':
			if !e.cfg.escapeSlash {
				continue
			}
			esc = `\/`
		case c == '\b':
			esc = `\b`
		case c == '\f':
			esc = `\f`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		case c < 0x20 || c == 0x7f:
			e.buf = append(e.buf, s[start:i]...)
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
			continue
		default:
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		e.buf = append(e.buf, esc...)
		start = i + 1
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}

// arrayLength returns the array length of t, or -1 when t must be encoded
// as an object.
func (e *cjsonEncoder) arrayLength(t *lua.LTable) (int, error) {
	maxIdx := 0.0
	items := 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		if n, ok := k.(lua.LNumber); ok {
			f := float64(n)
			if f >= 1 && math.Floor(f) == f {
				if f > maxIdx {
					maxIdx = f
				}
				items++
				return
			}
		}
		isArray = false
	})
	if !isArray {
		return -1, nil
	}
	if maxIdx > math.MaxInt32 {
		// lua-cjson stores the index in a C int: such a table is not an array
		return -1, nil
	}
	if e.cfg.sparseRatio > 0 && maxIdx > float64(items)*float64(e.cfg.sparseRatio) &&
		maxIdx > float64(e.cfg.sparseSafe) {
		if !e.cfg.sparseConvert {
			return 0, cjsonError("Cannot serialise table: excessively sparse array")
		}
		return -1, nil
	}
	return int(maxIdx), nil
}

func (e *cjsonEncoder) table(t *lua.LTable, depth int) error {
	if depth > e.cfg.encodeMaxDepth || depth > cjsonHardMaxDepth {
		return cjsonError(fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth))
	}
	mt := t.Metatable
	if mt != lua.LNil && mt == lua.LValue(e.arrayMT) {
		return e.array(t, t.Len(), depth)
	}
	n, err := e.arrayLength(t)
	if err != nil {
		return err
	}
	if n > 0 || (n == 0 && !e.cfg.emptyTableAsObject) {
		return e.array(t, n, depth)
	}
	if mt != lua.LNil && mt == lua.LValue(e.emptyArrayMT) {
		return e.array(t, 0, depth)
	}
	return e.object(t, depth)
}

func (e *cjsonEncoder) array(t *lua.LTable, n, depth int) error {
	e.buf = append(e.buf, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(t.RawGetInt(i), depth); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *cjsonEncoder) object(t *lua.LTable, depth int) error {
	e.buf = append(e.buf, '{')
	first := true
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		switch kk := k.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			if err = e.number(kk); err != nil {
				return
			}
			e.buf = append(e.buf, '"', ':')
		case lua.LString:
			e.str(string(kk))
			e.buf = append(e.buf, ':')
		default:
			err = cjsonUnsupported(k, "table key must be a number or string")
			return
		}
		err = e.value(v, depth)
	})
	if err != nil {
		return err
	}
	e.buf = append(e.buf, '}')
	return nil
}

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
