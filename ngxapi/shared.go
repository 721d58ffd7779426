package ngxapi

import (
	"strconv"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/ngxapi/shdict"
	lua "github.com/yuin/gopher-lua"
)

// ngx.shared.NAME: one table per lua_shared_dict, as OpenResty (a table
// holding the zone at [1], methods through a shared metatable), so
// dict:get(k) works and dict.get(k) fails with 'bad "zone" argument'.
// The dicts come from Env.Dicts (shdict.Default when nil): every worker
// gets the same *shdict.Dict, and a reload with the same name and size
// keeps the contents.

func init() {
	register("ngx.shared", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		reg := shdict.Default
		if env != nil && env.Dicts != nil {
			reg = env.Dicts
		}
		var dicts []*shdict.Dict
		if env != nil && env.Config != nil && env.Config.HTTP != nil {
			for _, sd := range env.Config.HTTP.SharedDicts {
				dicts = append(dicts, reg.Open(sd.Name, sd.Size))
			}
		}
		ngx.RawSetString("shared", NewSharedTable(w.L, dicts, func(L *lua.LState) { check(w, L, "ngx.shared") }))
	})
}

// NewSharedTable builds the ngx.shared table for dicts in L; gate (may be
// nil) runs before every method (the phase check). It needs nothing but
// the LState, so tests and tools can use it directly.
func NewSharedTable(L *lua.LState, dicts []*shdict.Dict, gate func(*lua.LState)) *lua.LTable {
	methods := L.NewTable()
	for name, fn := range sharedMethods {
		fn := fn
		if gate != nil {
			inner := fn
			fn = func(L *lua.LState) int { gate(L); return inner(L) }
		}
		methods.RawSetString(name, L.NewFunction(fn))
	}
	// as OpenResty's: the methods are the metatable's entries, __index
	// the metatable itself
	mt := methods
	mt.RawSetString("__index", mt)
	shared := L.NewTable()
	for _, d := range dicts {
		t := L.NewTable()
		ud := L.NewUserData()
		ud.Value = d
		t.RawSetInt(1, ud)
		L.SetMetatable(t, mt)
		shared.RawSetString(d.Name(), t)
	}
	return shared
}

var sharedMethods = map[string]lua.LGFunction{
	"get":           keyed(shGet),
	"get_stale":     keyed(shGetStale),
	"set":           shStore("set"),
	"safe_set":      shStore("safe_set"),
	"add":           shStore("add"),
	"safe_add":      shStore("safe_add"),
	"replace":       shStore("replace"),
	"delete":        keyed(shDelete),
	"incr":          keyed(shIncr),
	"lpush":         shPush(true),
	"rpush":         shPush(false),
	"lpop":          shPop(true),
	"rpop":          shPop(false),
	"llen":          keyed(shLLen),
	"ttl":           keyed(shTTL),
	"expire":        keyed(shExpire),
	"flush_all":     shFlushAll,
	"flush_expired": shFlushExpired,
	"get_keys":      shGetKeys,
	"capacity":      shCapacity,
	"free_space":    shFreeSpace,
}

// keyed adapts a method on (dict, key): self is checked (bad "zone") and a
// nil key returns nil, "nil key", as resty.core does.
func keyed(f func(L *lua.LState, d *shdict.Dict, key string) int) lua.LGFunction {
	return func(L *lua.LState) int {
		d := shZone(L)
		key, ok := shKey(L)
		if !ok {
			return nilKey(L)
		}
		return f(L, d, key)
	}
}

// shZone returns the dict of the table passed as self (argument 1).
func shZone(L *lua.LState) *shdict.Dict {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			if d, ok := ud.Value.(*shdict.Dict); ok {
				return d
			}
		}
	}
	L.RaiseError("bad \"zone\" argument")
	return nil
}

// shKey reads the key (argument 2) as resty.core does: nil is an error
// return, anything else goes through tostring.
func shKey(L *lua.LState) (string, bool) {
	v := L.Get(2)
	switch v := v.(type) {
	case *lua.LNilType:
		return "", false
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return L.ToStringMeta(v).String(), true
}

func pushValue(L *lua.LState, v shdict.Value) {
	switch v.Kind {
	case shdict.String:
		L.Push(lua.LString(v.Str))
	case shdict.Number:
		L.Push(lua.LNumber(v.Num))
	case shdict.Boolean:
		L.Push(lua.LBool(v.Bool))
	default:
		L.Push(lua.LNil)
	}
}

func toValue(lv lua.LValue) (shdict.Value, bool) {
	switch v := lv.(type) {
	case *lua.LNilType:
		return shdict.Value{}, true
	case lua.LString:
		return shdict.StringValue(string(v)), true
	case lua.LNumber:
		return shdict.NumberValue(float64(v)), true
	case lua.LBool:
		return shdict.BoolValue(bool(v)), true
	}
	return shdict.Value{}, false
}

func retErr(L *lua.LState, err error) int { return luaFail(L, err.Error()) }

func nilKey(L *lua.LState) int { return luaFail(L, "nil key") }

// optNumber reads an optional numeric argument; a present non-number
// raises err (OpenResty's wording for that argument).
func optNumber(L *lua.LState, n int, err string) (float64, bool) {
	v := L.Get(n)
	if v == lua.LNil {
		return 0, false
	}
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		if f, e := strconv.ParseFloat(string(x), 64); e == nil {
			return f, true
		}
	}
	L.RaiseError("%s", err)
	return 0, false
}

func shGet(L *lua.LState, d *shdict.Dict, key string) int {
	v, flags, err := d.Get(key)
	if err != nil {
		return retErr(L, err)
	}
	pushValue(L, v)
	if v.Kind != shdict.Nil && flags != 0 {
		L.Push(lua.LNumber(flags))
		return 2
	}
	return 1
}

func shGetStale(L *lua.LState, d *shdict.Dict, key string) int {
	v, flags, stale, err := d.GetStale(key)
	if err != nil {
		return retErr(L, err)
	}
	if v.Kind == shdict.Nil {
		L.Push(lua.LNil)
		return 1
	}
	pushValue(L, v)
	if flags != 0 {
		L.Push(lua.LNumber(flags))
	} else {
		L.Push(lua.LNil)
	}
	L.Push(lua.LBool(stale))
	return 3
}

func shStore(op string) lua.LGFunction {
	return keyed(func(L *lua.LState, d *shdict.Dict, key string) int {
		v, ok := toValue(L.Get(3))
		if !ok {
			return retErr(L, shdict.ErrBadValue)
		}
		exptime, _ := optNumber(L, 4, `bad "exptime" argument`)
		if exptime < 0 {
			L.RaiseError(`bad "exptime" argument`)
		}
		fl, _ := optNumber(L, 5, `bad "flags" argument`)
		ttl, flags := shdict.TTLSeconds(exptime), uint32(fl)
		if L.Get(3) == lua.LNil && op != "set" && op != "safe_set" { // set(k, nil) deletes
			L.Push(lua.LFalse)
			L.Push(lua.LString("attempt to add or replace nil values"))
			L.Push(lua.LFalse)
			return 3
		}
		var forcible bool
		var err error
		switch op {
		case "set":
			forcible, err = d.Set(key, v, ttl, flags)
		case "safe_set":
			err = d.SafeSet(key, v, ttl, flags)
		case "add":
			forcible, err = d.Add(key, v, ttl, flags)
		case "safe_add":
			err = d.SafeAdd(key, v, ttl, flags)
		case "replace":
			forcible, err = d.Replace(key, v, ttl, flags)
		}
		return storeResult(L, forcible, err)
	})
}

func storeResult(L *lua.LState, forcible bool, err error) int {
	switch err {
	case nil:
		L.Push(lua.LTrue)
		L.Push(lua.LNil)
	case shdict.ErrEmptyKey, shdict.ErrKeyTooLong, shdict.ErrBadValue:
		return retErr(L, err)
	default:
		L.Push(lua.LFalse)
		L.Push(lua.LString(err.Error()))
	}
	L.Push(lua.LBool(forcible))
	return 3
}

func shDelete(L *lua.LState, d *shdict.Dict, key string) int {
	return storeResult(L, false, d.Delete(key))
}

func shIncr(L *lua.LState, d *shdict.Dict, key string) int {
	var delta float64
	switch x := L.Get(3).(type) {
	case lua.LNumber:
		delta = float64(x)
	default:
		f, err := strconv.ParseFloat(lua.LVAsString(x), 64)
		if err != nil || x == lua.LNil {
			return luaFail(L, "value not a number")
		}
		delta = f
	}
	var initp *float64
	if L.Get(4) != lua.LNil {
		init, _ := optNumber(L, 4, "bad init arg: number expected, got "+L.Get(4).Type().String())
		initp = &init
	}
	var initTTL float64
	if L.Get(5) != lua.LNil {
		initTTL, _ = optNumber(L, 5, "bad init_ttl arg: number expected, got "+L.Get(5).Type().String())
		if initTTL < 0 {
			L.RaiseError(`bad "init_ttl" argument`)
		}
		if initp == nil {
			L.RaiseError(`must provide "init" when providing "init_ttl"`)
		}
	}
	n, forcible, err := d.Incr(key, delta, initp, shdict.TTLSeconds(initTTL))
	if err != nil {
		return retErr(L, err)
	}
	L.Push(lua.LNumber(n))
	if initp == nil {
		return 1
	}
	L.Push(lua.LNil)
	L.Push(lua.LBool(forcible))
	return 3
}

func shPush(left bool) lua.LGFunction {
	return keyed(func(L *lua.LState, d *shdict.Dict, key string) int {
		v, ok := toValue(L.Get(3))
		if !ok || (v.Kind != shdict.String && v.Kind != shdict.Number) {
			return retErr(L, shdict.ErrBadValue)
		}
		var n int
		var err error
		if left {
			n, err = d.LPush(key, v)
		} else {
			n, err = d.RPush(key, v)
		}
		if err != nil {
			return retErr(L, err)
		}
		L.Push(lua.LNumber(n))
		return 1
	})
}

func shPop(left bool) lua.LGFunction {
	return keyed(func(L *lua.LState, d *shdict.Dict, key string) int {
		var v shdict.Value
		var err error
		if left {
			v, err = d.LPop(key)
		} else {
			v, err = d.RPop(key)
		}
		if err != nil {
			return retErr(L, err)
		}
		pushValue(L, v)
		return 1
	})
}

func shLLen(L *lua.LState, d *shdict.Dict, key string) int {
	n, err := d.LLen(key)
	if err != nil {
		return retErr(L, err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

func shTTL(L *lua.LState, d *shdict.Dict, key string) int {
	ttl, err := d.TTL(key)
	if err != nil {
		return retErr(L, err)
	}
	L.Push(lua.LNumber(float64(ttl.Milliseconds()) / 1000))
	return 1
}

func shExpire(L *lua.LState, d *shdict.Dict, key string) int {
	exptime, ok := optNumber(L, 3, `bad "exptime" argument`)
	if !ok || exptime < 0 {
		L.RaiseError(`bad "exptime" argument`)
	}
	if err := d.Expire(key, shdict.TTLSeconds(exptime)); err != nil {
		return retErr(L, err)
	}
	L.Push(lua.LTrue)
	return 1
}

func shFlushAll(L *lua.LState) int {
	shZone(L).FlushAll()
	return 0
}

func shFlushExpired(L *lua.LState) int {
	d := shZone(L)
	max, _ := optNumber(L, 2, `bad "max_count" argument`)
	L.Push(lua.LNumber(d.FlushExpired(int(max))))
	return 1
}

func shGetKeys(L *lua.LState) int {
	d := shZone(L)
	max := 1024.0
	if L.Get(2) != lua.LNil {
		max, _ = optNumber(L, 2, `bad "max_count" argument`)
		if max < 0 {
			L.RaiseError(`bad "max_count" argument`)
		}
	}
	keys := d.Keys(int(max), func() bool { return luavm.Interrupted(L) != nil })
	luavm.CheckInterrupt(L)
	t := L.CreateTable(len(keys), 0)
	for i, k := range keys {
		t.RawSetInt(i+1, lua.LString(k))
	}
	L.Push(t)
	return 1
}

func shCapacity(L *lua.LState) int {
	L.Push(lua.LNumber(shZone(L).Capacity()))
	return 1
}

func shFreeSpace(L *lua.LState) int {
	L.Push(lua.LNumber(shZone(L).FreeSpace()))
	return 1
}
