package ngxapi

// The `bit` module: LuaJIT's BitOp (global `bit` and require "bit"), with
// its 32-bit semantics: every argument is normalised to a signed 32-bit
// integer as bit.tobit does, every result is a signed 32-bit number, shift
// counts use their low 5 bits.

import (
	"fmt"
	"math"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("bit", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		L := w.L
		m := L.NewTable()
		for name, f := range bitFuncs {
			m.RawSetString(name, L.NewFunction(f))
		}
		L.SetGlobal("bit", m)
		setLoaded(L, "bit", m)
	})
}

// setLoaded makes v what require(name) returns, as LuaJIT does for the
// libraries it opens itself (bit, jit, table.*).
func setLoaded(L *lua.LState, name string, v lua.LValue) {
	if loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		loaded.RawSetString(name, v)
	}
}

var bitFuncs = map[string]lua.LGFunction{
	"tobit":   func(L *lua.LState) int { return bitRet(L, bitArg(L, 1)) },
	"bnot":    func(L *lua.LState) int { return bitRet(L, ^bitArg(L, 1)) },
	"bswap":   bitBswap,
	"band":    bitFold(func(a, b int32) int32 { return a & b }),
	"bor":     bitFold(func(a, b int32) int32 { return a | b }),
	"bxor":    bitFold(func(a, b int32) int32 { return a ^ b }),
	"lshift":  bitShift(func(a int32, n uint) int32 { return a << n }),
	"rshift":  bitShift(func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
	"arshift": bitShift(func(a int32, n uint) int32 { return a >> n }),
	"rol":     bitShift(func(a int32, n uint) int32 { return int32(uint32(a)<<n | uint32(a)>>(32-n)) }),
	"ror":     bitShift(func(a int32, n uint) int32 { return int32(uint32(a)>>n | uint32(a)<<(32-n)) }),
	"tohex":   bitTohex,
}

// tobit is LuaJIT's normalisation, done the way LuaJIT does it: add
// 2^52+2^51 and keep the low 32 bits of the double. In range this rounds
// ties to even and wraps modulo 2^32; out of range it gives LuaJIT's
// values.
func tobit(x float64) int32 {
	return int32(uint32(math.Float64bits(x + 6755399441055744.0)))
}

func bitArg(L *lua.LState, n int) int32 {
	if n > L.GetTop() {
		L.ArgError(n, "number expected, got no value")
	}
	return tobit(float64(L.CheckNumber(n)))
}

func bitRet(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

func bitFold(op func(a, b int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		v := bitArg(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			v = op(v, bitArg(L, i))
		}
		return bitRet(L, v)
	}
}

func bitShift(op func(a int32, n uint) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		a := bitArg(L, 1)
		return bitRet(L, op(a, uint(bitArg(L, 2))&31))
	}
}

func bitBswap(L *lua.LState) int {
	v := uint32(bitArg(L, 1))
	return bitRet(L, int32(v>>24|v>>8&0xff00|v<<8&0xff0000|v<<24))
}

// bitTohex is LuaJIT 2.1's: the unsigned 32-bit value in n hex digits
// (default 8; the value is masked to n digits below 16 and zero-padded
// above, as a printf precision of n); a negative n gives upper case.
func bitTohex(L *lua.LState) int {
	v := uint64(uint32(bitArg(L, 1)))
	n := int32(8)
	if L.GetTop() >= 2 {
		n = bitArg(L, 2)
	}
	verb := "%.*x"
	if n < 0 {
		n = -n
		verb = "%.*X"
	}
	if n < 0 { // -2^31 stays negative
		n = 0
	}
	if n < 16 {
		v &= 1<<(4*uint(n)) - 1
	}
	var s string
	if prec := (n + 1) & 255; prec == 0 { // LuaJIT keeps n+1 in 8 bits
		s = fmt.Sprintf(verb[:1]+verb[3:], v)
	} else {
		s = fmt.Sprintf(verb, int(prec-1), v)
	}
	L.Push(lua.LString(s))
	return 1
}
