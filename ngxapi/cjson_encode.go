package ngxapi

// cjson.encode (cjson.go has the module and its options).

import (
	"fmt"
	"math"
	"strconv"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// ---- encoding ----

type cjsonError string

func (e cjsonError) Error() string { return string(e) }

type cjsonEncoder struct {
	L                     *lua.LState // whose deadline a huge value meets
	cfg                   *cjsonConfig
	buf                   []byte
	arrayMT, emptyArrayMT *lua.LTable
	steps                 int
}

func cjsonEncode(L *lua.LState, cfg *cjsonConfig, v lua.LValue, arrayMT, emptyArrayMT *lua.LTable) (string, error) {
	e := &cjsonEncoder{L: L, cfg: cfg, arrayMT: arrayMT, emptyArrayMT: emptyArrayMT}
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

func cjsonUnsupported(v lua.LValue, reason string) error {
	return cjsonError(fmt.Sprintf("Cannot serialise %s: %s", v.Type().String(), reason))
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) error {
	if e.steps++; e.steps&4095 == 0 {
		luavm.CheckInterrupt(e.L)
	}
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
		if e.steps++; e.steps&4095 == 0 { // a huge table's scan meets the deadline too
			luavm.CheckInterrupt(e.L)
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
