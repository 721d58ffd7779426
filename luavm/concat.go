package luavm

import (
	"reflect"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// The .. operator as LuaJIT: a number operand is written as tostring
// writes it ("%.14g": 1e+15, 0.33333333333333, inf, nan), where
// gopher-lua's VM writes Go's forms (1000000000000000,
// 0.3333333333333333, +Inf, NaN), and a bad operand is "attempt to
// concatenate a nil value". gopher-lua's OP_CONCAT has no hook, so the
// compiler never sees a concatenation: concatCalls turns each chain
// "a .. b .. c" of the parsed chunk into a call of concatFunc with the
// operands, through a constant the compiler places in the function's
// constant table and setConcatConst replaces by concatFunc itself (a
// constant, unlike a global or an upvalue, cannot be shadowed or
// changed by setfenv). The cost is one Go call per chain.
//
// A result longer than lua_max_string_size is LuaJIT's "string length
// overflow" (what lj_meta_cat raises past LuaJIT's own maximum) before
// anything is allocated: the operands' lengths are added up first.

// concatMarker is the placeholder constant; no Lua source can produce it
// by accident (it names nothing and holds NUL bytes).
const concatMarker = "\x00goresty:concat\x00"

// concatFunc is shared by every compiled chunk and every worker: a Go
// function only uses the LState it is called with.
var concatFunc = &lua.LFunction{IsG: true, GFunction: concatOp, Env: &lua.LTable{Metatable: lua.LNil}}

// concatCalls rewrites every concatenation chain in stmts.
func concatCalls(stmts []ast.Stmt) {
	rewriteExprs(reflect.ValueOf(stmts))
}

var exprType = reflect.TypeOf((*ast.Expr)(nil)).Elem()

// rewriteExprs walks the AST by reflection (statements and expressions
// are pointers to structs whose fields are Expr, []Expr, []Stmt, *Field
// lists...), replacing each *ast.StringConcatOpExpr held in an Expr slot.
func rewriteExprs(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Type() == exprType {
			if c, ok := v.Interface().(*ast.StringConcatOpExpr); ok && v.CanSet() {
				v.Set(reflect.ValueOf(concatCall(c)))
				return
			}
		}
		rewriteExprs(v.Elem())
	case reflect.Pointer:
		if !v.IsNil() {
			rewriteExprs(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			rewriteExprs(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				rewriteExprs(v.Field(i))
			}
		}
	}
}

// concatCall is the call replacing the chain c (right-nested, as the
// parser builds "a .. b .. c"), its operands rewritten in turn.
func concatCall(c *ast.StringConcatOpExpr) ast.Expr {
	first := c
	var args []ast.Expr
	for {
		args = append(args, c.Lhs)
		next, ok := c.Rhs.(*ast.StringConcatOpExpr)
		if !ok {
			args = append(args, c.Rhs)
			break
		}
		c = next
	}
	for i := range args {
		rewriteExprs(reflect.ValueOf(&args[i]).Elem())
	}
	fn := &ast.StringExpr{Value: concatMarker}
	fn.SetLine(first.Line())
	call := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: true}
	call.SetLine(first.Line())
	call.SetLastLine(first.LastLine())
	return call
}

// setConcatConst puts concatFunc where the compiler placed the marker.
func setConcatConst(p *lua.FunctionProto) {
	for i, k := range p.Constants {
		if s, ok := k.(lua.LString); ok && s == concatMarker {
			p.Constants[i] = concatFunc
		}
	}
	for _, c := range p.FunctionPrototypes {
		setConcatConst(c)
	}
}

// concatOp concatenates its arguments as Lua's OP_CONCAT: right to left,
// runs of strings and numbers joined at once, __concat (of the left
// operand, else the right) for any other pair.
func concatOp(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := concatPlain(L, 1, n); ok {
		L.Push(lua.LString(s))
		return 1
	}
	rhs := L.Get(n)
	for i := n - 1; i >= 1; i-- {
		lhs := L.Get(i)
		if _, ok := concatPiece(rhs); ok {
			j := i
			for j > 1 {
				if _, ok := concatPiece(L.Get(j - 1)); !ok {
					break
				}
				j--
			}
			if s, ok := concatPlain(L, j, i); ok {
				r, _ := concatPiece(rhs)
				checkConcatSize(L, int64(len(s))+int64(len(r)))
				rhs, i = lua.LString(s+r), j
				continue
			}
		}
		mm := L.GetMetaField(lhs, "__concat")
		if mm == lua.LNil {
			mm = L.GetMetaField(rhs, "__concat")
		}
		if mm == lua.LNil {
			bad := lhs
			if _, ok := concatPiece(lhs); ok {
				bad = rhs
			}
			L.RaiseError("attempt to concatenate a %s value", typeName(bad))
		}
		L.Push(mm)
		L.Push(lhs)
		L.Push(rhs)
		L.Call(2, 1)
		rhs = L.Get(-1)
		L.Pop(1)
	}
	L.Push(rhs)
	return 1
}

// concatPlain joins arguments i..j when all are strings or numbers.
func concatPlain(L *lua.LState, i, j int) (string, bool) {
	if i == j {
		return concatPiece(L.Get(i))
	}
	var buf [8]string // the pieces of a usual chain, on the stack
	pieces := buf[:0]
	n := int64(0)
	for k := i; k <= j; k++ {
		s, ok := concatPiece(L.Get(k))
		if !ok {
			return "", false
		}
		pieces = append(pieces, s)
		n += int64(len(s))
	}
	checkConcatSize(L, n)
	return strings.Join(pieces, ""), true
}

// checkConcatSize raises LuaJIT's "string length overflow" for a result
// of n bytes past the running worker's lua_max_string_size.
func checkConcatSize(L *lua.LState, n int64) {
	if n > stringLimit(L) {
		L.RaiseError("string length overflow")
	}
}

type stringLimitKey struct{}

// stringLimit is the lua_max_string_size of the worker running L, found
// through the deadline context every run carries (hookCtx); the default
// for an LState without one.
func stringLimit(L *lua.LState) int64 {
	switch c := L.Context().(type) {
	case *hookCtx:
		return c.maxStr
	case nil:
	default:
		if v, ok := c.Value(stringLimitKey{}).(int64); ok {
			return v
		}
	}
	return DefaultMaxStringSize
}

func concatPiece(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return FormatNumber(float64(x)), true
	}
	return "", false
}
