// Package shdict is the store behind lua_shared_dict: a thread-safe
// key/value dictionary with OpenResty's semantics (values, user flags,
// expiry, lists, LRU eviction, memory accounted against the zone size).
//
// One Dict is shared by every worker. Memory is accounted the way nginx's
// slab allocator spends a shared memory zone: every item costs a node
// header plus its key and value, rounded up to the slab size class, and a
// size class occupies whole 4 KiB pages. When a store does not fit, the
// least recently used items are evicted (forcible = true), except for the
// safe_* operations, which fail with "no memory" instead.
//
// It imports nothing of goresty's: httpserver/tlssession uses it directly for
// ssl_session_cache shared:NAME:SIZE.
package shdict

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"
)

// Kind is the type of a stored value.
type Kind uint8

const (
	Nil Kind = iota // absent; storing Nil deletes the key
	String
	Number
	Boolean
	List // only through the list operations
)

// Value is one stored value. Only the field matching Kind is meaningful.
type Value struct {
	Kind Kind
	Str  string
	Num  float64
	Bool bool
}

// StringValue, NumberValue and BoolValue build values.
func StringValue(s string) Value  { return Value{Kind: String, Str: s} }
func NumberValue(n float64) Value { return Value{Kind: Number, Num: n} }
func BoolValue(b bool) Value      { return Value{Kind: Boolean, Bool: b} }
func (v Value) IsNil() bool       { return v.Kind == Nil }
func (k Kind) String() string     { return kindNames[k] }

// String renders the value as Lua's tostring would (lists render empty).
func (v Value) String() string {
	switch v.Kind {
	case String:
		return v.Str
	case Number:
		return strconv.FormatFloat(v.Num, 'g', 14, 64)
	case Boolean:
		return strconv.FormatBool(v.Bool)
	}
	return ""
}

var kindNames = [...]string{"nil", "string", "number", "boolean", "list"}

// Errors carry OpenResty's exact strings: bindings return err.Error() to Lua.
var (
	ErrNoMemory   = errors.New("no memory")
	ErrExists     = errors.New("exists")
	ErrNotFound   = errors.New("not found")
	ErrNotNumber  = errors.New("not a number")
	ErrNotList    = errors.New("value not a list")
	ErrIsList     = errors.New("value is a list")
	ErrEmptyKey   = errors.New("empty key")
	ErrKeyTooLong = errors.New("key too long")
	ErrBadValue   = errors.New("bad value type")
)

// MaxKeyLen is the longest key accepted (nginx stores key lengths in 16 bits).
const MaxKeyLen = 65535

const (
	pageSize  = 4096
	pageShift = 12
	minShift  = 3 // smallest slab chunk: 8 bytes
	// Per-item header: the rbtree node, LRU links, lengths, expiry, flags,
	// as in nginx's ngx_http_lua_shdict_node_t on 64-bit.
	nodeOverhead = 72
	// Per-list-element header (LRU-less queue links, type, length).
	listNodeOverhead = 24
	// What nginx's slab pool and the dict's own header take from a zone.
	zoneHeader = 2 * pageSize
	// Size of the page descriptor the slab keeps per page.
	pageDesc = 24
)

type entry struct {
	key        string
	val        Value
	list       []Value // Kind == List; front = left
	flags      uint32
	expires    int64 // monotonic ns; 0 = never
	cost       int   // slab class / page bytes charged for the node
	prev, next *entry
}

// Dict is one shared dictionary. All methods are safe for concurrent use.
type Dict struct {
	name     string
	capacity int64

	mu    sync.Mutex
	items map[string]*entry
	head  entry // LRU sentinel: head.next = most recent, head.prev = least
	slab  slab
	now   func() int64
}

var epoch = time.Now()

func monoNow() int64 { return int64(time.Since(epoch)) }

// New makes a dict with the given zone size in bytes.
func New(name string, size int64) *Dict {
	d := &Dict{name: name, capacity: size, items: make(map[string]*entry), now: monoNow}
	d.head.prev, d.head.next = &d.head, &d.head
	usable := size - zoneHeader
	if usable < 0 {
		usable = 0
	}
	d.slab.pages = int(usable / (pageSize + pageDesc))
	return d
}

// Name is the lua_shared_dict name.
func (d *Dict) Name() string { return d.name }

// Capacity is the zone size in bytes (capacity()).
func (d *Dict) Capacity() int64 { return d.capacity }

// FreeSpace is the number of bytes in wholly free pages (free_space()).
// Small items share pages, so the dict may still accept items when it is 0.
func (d *Dict) FreeSpace() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(d.slab.pages-d.slab.used) * pageSize
}

// Len is the number of items held, expired ones included.
func (d *Dict) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.items)
}

func checkKey(key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	if len(key) > MaxKeyLen {
		return ErrKeyTooLong
	}
	return nil
}

func valueSize(v Value) int {
	switch v.Kind {
	case String:
		return len(v.Str)
	case Number:
		return 8
	case Boolean:
		return 1
	}
	return 0
}

// --- LRU ---

func (d *Dict) unlink(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (d *Dict) pushFront(e *entry) {
	e.prev = &d.head
	e.next = d.head.next
	d.head.next.prev = e
	d.head.next = e
}

func (d *Dict) touch(e *entry) {
	if d.head.next != e {
		d.unlink(e)
		d.pushFront(e)
	}
}

func (d *Dict) expired(e *entry, now int64) bool { return e.expires != 0 && e.expires <= now }

func (d *Dict) remove(e *entry) {
	d.unlink(e)
	delete(d.items, e.key)
	d.slab.free(e.cost)
	for _, v := range e.list {
		d.slab.free(listCost(v))
	}
}

// expireTail is nginx's LRU-tail expiry. With force=false it removes up to
// two expired items from the tail; every read (except stale reads) and
// write starts with it. With force=true it removes the tail item whatever
// its state, then up to two more expired ones (flush_all, and each round of
// eviction when memory runs out). It reports how many it removed.
func (d *Dict) expireTail(now int64, force bool) int {
	n := 0
	for i := 0; i < 3 && d.head.prev != &d.head; i++ {
		e := d.head.prev
		if (i > 0 || !force) && !d.expired(e, now) {
			break
		}
		if i == 2 && !force {
			break
		}
		d.remove(e)
		n++
	}
	return n
}

func nodeCost(key string, v Value) int { return nodeOverhead + len(key) + valueSize(v) }
func listCost(v Value) int             { return listNodeOverhead + valueSize(v) }

// alloc charges size bytes to the slab, expiring and (unless safe) evicting
// LRU items to make room. It reports whether anything valid was evicted.
func (d *Dict) alloc(size int, safe bool, now int64, keep *entry) (cost int, forcible bool, err error) {
	if c, ok := d.slab.alloc(size); ok {
		return c, false, nil
	}
	if safe {
		return 0, false, ErrNoMemory
	}
	for i := 0; i < 30; i++ {
		if d.head.prev == &d.head || d.head.prev == keep {
			break
		}
		if d.expireTail(now, true) == 0 {
			break
		}
		forcible = true
		if c, ok := d.slab.alloc(size); ok {
			return c, true, nil
		}
	}
	return 0, forcible, ErrNoMemory
}

// --- reads ---

// Get returns the value and user flags of a live item; a missing or expired
// key gives a Nil value. A list gives ErrIsList.
func (d *Dict) Get(key string) (Value, uint32, error) {
	v, fl, stale, err := d.get(key, false)
	_ = stale
	return v, fl, err
}

// GetStale is Get that also returns expired items not yet removed, with
// stale = true.
func (d *Dict) GetStale(key string) (v Value, flags uint32, stale bool, err error) {
	return d.get(key, true)
}

func (d *Dict) get(key string, allowStale bool) (Value, uint32, bool, error) {
	if err := checkKey(key); err != nil {
		return Value{}, 0, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if !allowStale {
		d.expireTail(now, false)
	}
	e := d.items[key]
	if e == nil {
		return Value{}, 0, false, nil
	}
	stale := d.expired(e, now)
	if stale && !allowStale {
		return Value{}, 0, false, nil
	}
	if e.val.Kind == List {
		return Value{}, 0, false, ErrIsList
	}
	d.touch(e) // stale reads count as a use too, as in nginx
	return e.val, e.flags, stale, nil
}

// GetString is a convenience for Go callers: the string value of a live item.
func (d *Dict) GetString(key string) (string, bool) {
	v, _, err := d.Get(key)
	if err != nil || v.Kind != String {
		return "", false
	}
	return v.Str, true
}

// TTL returns the remaining lifetime of an item; 0 means it never
// expires. As in nginx, an expired item not yet reclaimed gives a negative
// TTL; a missing key gives ErrNotFound.
func (d *Dict) TTL(key string) (time.Duration, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	e := d.items[key]
	if e == nil {
		return 0, ErrNotFound
	}
	if e.expires == 0 {
		return 0, nil
	}
	return time.Duration(e.expires - now), nil
}

// Keys returns up to max live keys, most recently used first; max <= 0
// means all of them. stop, when set, is asked every few thousand entries
// whether to give up (a deadline): Keys then returns nil.
func (d *Dict) Keys(max int, stop func() bool) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	n := len(d.items)
	if max > 0 && max < n {
		n = max
	}
	keys := make([]string, 0, n)
	for e, i := d.head.next, 0; e != &d.head; e, i = e.next, i+1 {
		if max > 0 && len(keys) >= max {
			break
		}
		if i&4095 == 4095 && stop != nil && stop() {
			return nil
		}
		if !d.expired(e, now) {
			keys = append(keys, e.key)
		}
	}
	return keys
}

// --- writes ---

type storeOp uint8

const (
	opSet storeOp = iota
	opAdd
	opReplace
)

func expiresAt(now int64, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now + int64(ttl)
}

func (d *Dict) store(op storeOp, safe bool, key string, v Value, ttl time.Duration, flags uint32) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	switch v.Kind {
	case Nil, String, Number, Boolean:
	default:
		return false, ErrBadValue
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expireTail(now, false)
	e := d.items[key]
	live := e != nil && !d.expired(e, now)
	switch op {
	case opAdd:
		if live {
			return false, ErrExists
		}
	case opReplace:
		if !live {
			return false, ErrNotFound
		}
	}
	if v.Kind == Nil {
		if e != nil {
			d.remove(e)
		}
		return false, nil
	}
	size := nodeCost(key, v)
	if e != nil && e.val.Kind != List && d.slab.class(size) == e.cost {
		// Same slab chunk: update in place, as nginx does for equal sizes.
		e.val, e.flags, e.expires = v, flags, expiresAt(now, ttl)
		d.touch(e)
		return false, nil
	}
	if e != nil {
		d.remove(e)
	}
	cost, forcible, err := d.alloc(size, safe, now, nil)
	if err != nil {
		return forcible, err
	}
	e = &entry{key: key, val: v, flags: flags, expires: expiresAt(now, ttl), cost: cost}
	d.items[key] = e
	d.pushFront(e)
	return forcible, nil
}

// Set stores v (a Nil v deletes key). ttl <= 0 means no expiry. forcible
// reports that valid items were evicted to make room.
func (d *Dict) Set(key string, v Value, ttl time.Duration, flags uint32) (forcible bool, err error) {
	return d.store(opSet, false, key, v, ttl, flags)
}

// SafeSet is Set that never evicts valid items: ErrNoMemory instead.
func (d *Dict) SafeSet(key string, v Value, ttl time.Duration, flags uint32) error {
	_, err := d.store(opSet, true, key, v, ttl, flags)
	return err
}

// Add is Set only when key has no live item (else ErrExists).
func (d *Dict) Add(key string, v Value, ttl time.Duration, flags uint32) (forcible bool, err error) {
	return d.store(opAdd, false, key, v, ttl, flags)
}

// SafeAdd is Add that never evicts valid items.
func (d *Dict) SafeAdd(key string, v Value, ttl time.Duration, flags uint32) error {
	_, err := d.store(opAdd, true, key, v, ttl, flags)
	return err
}

// Replace is Set only when key has a live item (else ErrNotFound).
func (d *Dict) Replace(key string, v Value, ttl time.Duration, flags uint32) (forcible bool, err error) {
	return d.store(opReplace, false, key, v, ttl, flags)
}

// Delete removes key.
func (d *Dict) Delete(key string) error {
	_, err := d.store(opSet, false, key, Value{}, 0, 0)
	return err
}

// Incr adds delta to a live number. When key is missing or expired and
// init is non-nil, it stores *init + delta with initTTL (0 = no expiry);
// otherwise ErrNotFound. A non-number value gives ErrNotNumber. The expiry
// of an existing item is kept.
func (d *Dict) Incr(key string, delta float64, init *float64, initTTL time.Duration) (float64, bool, error) {
	if err := checkKey(key); err != nil {
		return 0, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expireTail(now, false)
	e := d.items[key]
	if e != nil && !d.expired(e, now) {
		if e.val.Kind != Number {
			return 0, false, ErrNotNumber
		}
		e.val.Num += delta
		d.touch(e)
		return e.val.Num, false, nil
	}
	if init == nil {
		return 0, false, ErrNotFound
	}
	if e != nil {
		d.remove(e)
	}
	v := NumberValue(*init + delta)
	cost, forcible, err := d.alloc(nodeCost(key, v), false, now, nil)
	if err != nil {
		return 0, forcible, err
	}
	e = &entry{key: key, val: v, expires: expiresAt(now, initTTL), cost: cost}
	d.items[key] = e
	d.pushFront(e)
	return v.Num, forcible, nil
}

// Expire sets an item's lifetime (ttl <= 0: never). As in nginx it also
// applies to an expired item not yet reclaimed, which lives again.
func (d *Dict) Expire(key string, ttl time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	e := d.items[key]
	if e == nil {
		return ErrNotFound
	}
	e.expires = expiresAt(now, ttl)
	return nil
}

// FlushAll marks every item expired and, as nginx, removes the first few
// from the LRU tail; the rest is reclaimed lazily, by FlushExpired, by the
// tail expiry of later operations, or by eviction (GetStale still sees
// them until then).
func (d *Dict) FlushAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for e := d.head.next; e != &d.head; e = e.next {
		e.expires = now - 1
		if e.expires == 0 {
			e.expires = -1
		}
	}
	d.expireTail(now, true)
}

// FlushExpired removes up to max expired items (max <= 0: all) and returns
// how many it removed.
func (d *Dict) FlushExpired(max int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	n := 0
	for e := d.head.prev; e != &d.head; {
		prev := e.prev
		if d.expired(e, now) {
			d.remove(e)
			n++
			if max > 0 && n >= max {
				break
			}
		}
		e = prev
	}
	return n
}

// --- lists ---

// LPush inserts v at the head of the list at key (creating it) and returns
// the new length. RPush inserts at the tail.
func (d *Dict) LPush(key string, v Value) (int, error) { return d.push(key, v, true) }
func (d *Dict) RPush(key string, v Value) (int, error) { return d.push(key, v, false) }

func (d *Dict) push(key string, v Value, left bool) (int, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if v.Kind != String && v.Kind != Number {
		return 0, ErrBadValue
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expireTail(now, false)
	e := d.items[key]
	if e != nil && d.expired(e, now) {
		d.remove(e)
		e = nil
	}
	if e != nil && e.val.Kind != List {
		return 0, ErrNotList
	}
	if e == nil {
		cost, _, err := d.alloc(nodeCost(key, Value{}), false, now, nil)
		if err != nil {
			return 0, err
		}
		e = &entry{key: key, val: Value{Kind: List}, cost: cost}
		d.items[key] = e
		d.pushFront(e)
	}
	d.touch(e)
	if _, _, err := d.alloc(listCost(v), false, now, e); err != nil {
		if len(e.list) == 0 {
			d.remove(e)
		}
		return 0, err
	}
	if left {
		e.list = append(e.list, Value{})
		copy(e.list[1:], e.list)
		e.list[0] = v
	} else {
		e.list = append(e.list, v)
	}
	return len(e.list), nil
}

// LPop removes and returns the head of the list at key; a missing key gives
// a Nil value. RPop pops the tail.
func (d *Dict) LPop(key string) (Value, error) { return d.pop(key, true) }
func (d *Dict) RPop(key string) (Value, error) { return d.pop(key, false) }

func (d *Dict) pop(key string, left bool) (Value, error) {
	if err := checkKey(key); err != nil {
		return Value{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.items[key]
	if e == nil || d.expired(e, d.now()) {
		return Value{}, nil
	}
	if e.val.Kind != List {
		return Value{}, ErrNotList
	}
	var v Value
	if left {
		v = e.list[0]
		e.list[0] = Value{}
		e.list = e.list[1:]
	} else {
		v = e.list[len(e.list)-1]
		e.list = e.list[:len(e.list)-1]
	}
	d.slab.free(listCost(v))
	if len(e.list) == 0 {
		d.remove(e)
	} else {
		d.touch(e)
	}
	return v, nil
}

// LLen is the length of the list at key (0 when missing).
func (d *Dict) LLen(key string) (int, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.items[key]
	if e == nil || d.expired(e, d.now()) {
		return 0, nil
	}
	if e.val.Kind != List {
		return 0, ErrNotList
	}
	return len(e.list), nil
}

// --- slab accounting ---

// slab approximates nginx's slab allocator: chunks up to half a page come
// from pages dedicated to a power-of-two size class; bigger ones take whole
// pages.
type slab struct {
	pages int            // pages in the zone
	used  int            // pages in use
	inUse [pageShift]int // chunks in use per class (index = shift)
	owned [pageShift]int // pages held per class
}

// class is the number of bytes a request of n bytes is charged.
func (s *slab) class(n int) int {
	if n > pageSize/2 {
		return (n + pageSize - 1) &^ (pageSize - 1)
	}
	c := 1 << minShift
	for c < n {
		c <<= 1
	}
	return c
}

func shiftOf(c int) int {
	sh := 0
	for 1<<sh < c {
		sh++
	}
	return sh
}

func (s *slab) alloc(n int) (int, bool) {
	c := s.class(n)
	if c >= pageSize {
		p := c / pageSize
		if s.used+p > s.pages {
			return 0, false
		}
		s.used += p
		return c, true
	}
	sh := shiftOf(c)
	per := pageSize / c
	if s.inUse[sh]+1 > s.owned[sh]*per {
		if s.used+1 > s.pages {
			return 0, false
		}
		s.used++
		s.owned[sh]++
	}
	s.inUse[sh]++
	return c, true
}

func (s *slab) free(n int) {
	if n <= 0 {
		return
	}
	c := s.class(n)
	if c >= pageSize {
		s.used -= c / pageSize
		return
	}
	sh := shiftOf(c)
	per := pageSize / c
	s.inUse[sh]--
	need := (s.inUse[sh] + per - 1) / per
	if need < s.owned[sh] {
		s.used -= s.owned[sh] - need
		s.owned[sh] = need
	}
}

// TTLSeconds converts a Lua exptime in seconds (millisecond resolution, as
// OpenResty) to a duration.
func TTLSeconds(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) {
		return 0
	}
	ms := int64(s * 1000)
	if ms == 0 {
		ms = 1
	}
	return time.Duration(ms) * time.Millisecond
}
