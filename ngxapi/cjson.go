package ngxapi

// A built-in `cjson` / `cjson.safe` module behaving like lua-cjson 2.1 as
// OpenResty ships it (Debian's lua-cjson is a C module that gopher-lua cannot
// load). Written from the lua-cjson manual and its observable behaviour.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

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
		out, err := cjsonEncode(L, cfg, L.Get(1), arrayMT, emptyArrayMT)
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
