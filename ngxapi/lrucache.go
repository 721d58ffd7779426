package ngxapi

// A built-in `resty.lrucache` (and `resty.lrucache.pureffi`): Debian's
// lua-resty-lrucache needs LuaJIT's FFI, which gopher-lua lacks. Same API:
// new(max_items) → cache | nil, err; cache:get(key) → value, stale, flags;
// set(key, value, ttl, flags); delete(key); count(); capacity();
// get_keys(max_count, res); flush_all(). Each LState (worker) has its own
// caches: nothing here is shared between goroutines.

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

const lruMetaKey = "goresty.lrucache"

// lruNow returns the current time in seconds: the clock of caches made on
// an LState without a worker (OpenLRUCache). In a worker, caches read the
// worker's cached clock instead (ngx.now(), as lua-resty-lrucache does).
var lruNow = func() float64 {
	return float64(time.Now().UnixMicro()) / 1e6
}

type lruNode struct {
	key, value lua.LValue
	expire     float64 // < 0: never
	flags      float64
	prev, next *lruNode
}

type lruCache struct {
	size  int
	items map[lua.LValue]*lruNode
	head  lruNode        // sentinel: head.next is the most recently used
	clock func() float64 // nil: lruNow
}

func newLRU(size int, clock func() float64) *lruCache {
	c := &lruCache{size: size, items: make(map[lua.LValue]*lruNode), clock: clock}
	c.head.next, c.head.prev = &c.head, &c.head
	return c
}

func (c *lruCache) now() float64 {
	if c.clock != nil {
		return c.clock()
	}
	return lruNow()
}

func (c *lruCache) unlink(n *lruNode) {
	n.prev.next, n.next.prev = n.next, n.prev
}

func (c *lruCache) pushFront(n *lruNode) {
	n.prev, n.next = &c.head, c.head.next
	c.head.next.prev = n
	c.head.next = n
}

func (c *lruCache) get(key lua.LValue) (*lruNode, bool) {
	n, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.unlink(n)
	c.pushFront(n)
	return n, true
}

func (c *lruCache) set(key, value lua.LValue, ttl lua.LValue, flags lua.LValue) {
	n, ok := c.items[key]
	if ok {
		c.unlink(n)
	} else {
		if len(c.items) >= c.size {
			old := c.head.prev // least recently used
			c.unlink(old)
			delete(c.items, old.key)
			n = old
		} else {
			n = &lruNode{}
		}
		n.key = key
		c.items[key] = n
	}
	n.value = value
	c.pushFront(n)
	if t, ok := ttl.(lua.LNumber); ok {
		n.expire = c.now() + float64(t)
	} else {
		n.expire = -1
	}
	if f, ok := flags.(lua.LNumber); ok && f >= 0 {
		n.flags = float64(f)
	} else {
		n.flags = 0
	}
}

func (c *lruCache) delete(key lua.LValue) bool {
	n, ok := c.items[key]
	if !ok {
		return false
	}
	c.unlink(n)
	delete(c.items, key)
	return true
}

func (c *lruCache) flush() {
	c.items = make(map[lua.LValue]*lruNode)
	c.head.next, c.head.prev = &c.head, &c.head
}

// OpenLRUCache registers `resty.lrucache` and `resty.lrucache.pureffi` as
// preloaded modules of L; expiry reads the system clock.
func OpenLRUCache(L *lua.LState) { openLRUCache(L, nil) }

// openLRUCache is OpenLRUCache with the clock expiry reads, in seconds
// (nil: lruNow).
func openLRUCache(L *lua.LState, clock func() float64) {
	loader := func(L *lua.LState) int {
		L.Push(lruModule(L, clock))
		return 1
	}
	L.PreloadModule("resty.lrucache", loader)
	L.PreloadModule("resty.lrucache.pureffi", loader)
}

func lruMeta(L *lua.LState) *lua.LTable {
	if mt, ok := L.G.Registry.RawGetString(lruMetaKey).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTable()
	methods := L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"get":       lruGet,
		"set":       lruSet,
		"delete":    lruDelete,
		"count":     lruCount,
		"capacity":  lruCapacity,
		"get_keys":  lruGetKeys,
		"flush_all": lruFlushAll,
	})
	mt.RawSetString("__index", methods)
	mt.RawSetString("__metatable", lua.LString("resty.lrucache"))
	L.G.Registry.RawSetString(lruMetaKey, mt)
	return mt
}

func lruModule(L *lua.LState, clock func() float64) *lua.LTable {
	mt := lruMeta(L)
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString("0.13"))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		size := L.CheckNumber(1)
		if size < 1 {
			return luaFail(L, "size too small")
		}
		ud := L.NewUserData()
		ud.Value = newLRU(int(size), clock)
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	return m
}

func lruSelf(L *lua.LState) *lruCache {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if c, ok := ud.Value.(*lruCache); ok {
			return c
		}
	}
	L.ArgError(1, "lrucache expected (use cache:method())")
	return nil
}

func lruKey(L *lua.LState, n int) lua.LValue {
	k := L.Get(n)
	switch kk := k.(type) {
	case *lua.LNilType:
		L.RaiseError("table index is nil")
	case lua.LNumber:
		if kk != kk {
			L.RaiseError("table index is NaN")
		}
	}
	return k
}

func lruGet(L *lua.LState) int {
	c := lruSelf(L)
	key := lruKey(L, 2)
	if n, ok := c.items[key]; !ok || n.value == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	n, ok := c.get(key)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	if n.expire >= 0 && n.expire < c.now() {
		L.Push(lua.LNil)
		L.Push(n.value)
		L.Push(lua.LNumber(n.flags))
		return 3
	}
	L.Push(n.value)
	L.Push(lua.LNil)
	L.Push(lua.LNumber(n.flags))
	return 3
}

func lruSet(L *lua.LState) int {
	c := lruSelf(L)
	// set(key, nil) keeps the key's slot, as the Lua original: get() then
	// returns nil and count() still counts it.
	c.set(lruKey(L, 2), L.Get(3), L.Get(4), L.Get(5))
	return 0
}

func lruDelete(L *lua.LState) int {
	c := lruSelf(L)
	L.Push(lua.LBool(c.delete(lruKey(L, 2))))
	return 1
}

func lruCount(L *lua.LState) int {
	L.Push(lua.LNumber(len(lruSelf(L).items)))
	return 1
}

func lruCapacity(L *lua.LState) int {
	L.Push(lua.LNumber(lruSelf(L).size))
	return 1
}

func lruGetKeys(L *lua.LState) int {
	c := lruSelf(L)
	max := len(c.items)
	if v, ok := L.Get(2).(lua.LNumber); ok && v > 0 {
		max = int(v)
	}
	res, ok := L.Get(3).(*lua.LTable)
	if !ok {
		res = L.CreateTable(max+1, 0)
	}
	i := 0
	for n := c.head.next; n != &c.head && i < max; n = n.next {
		i++
		res.RawSetInt(i, n.key)
	}
	res.RawSetInt(i+1, lua.LNil)
	L.Push(res)
	return 1
}

func lruFlushAll(L *lua.LState) int {
	lruSelf(L).flush()
	return 0
}
