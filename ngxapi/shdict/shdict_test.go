package shdict

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

type clock struct{ t int64 }

func (c *clock) now() int64              { return c.t }
func (c *clock) advance(d time.Duration) { c.t += int64(d) }

func newTest(size int64) (*Dict, *clock) {
	c := &clock{t: 1e9}
	d := New("test", size)
	d.now = c.now
	return d, c
}

func TestSetGetTypes(t *testing.T) {
	d, _ := newTest(1 << 20)
	cases := []struct {
		key   string
		v     Value
		flags uint32
	}{
		{"s", StringValue("hello"), 0},
		{"empty", StringValue(""), 7},
		{"n", NumberValue(3.5), 0},
		{"b", BoolValue(false), 1},
		{"t", BoolValue(true), 0},
	}
	for _, c := range cases {
		if forcible, err := d.Set(c.key, c.v, 0, c.flags); err != nil || forcible {
			t.Fatalf("set %s: %v %v", c.key, forcible, err)
		}
	}
	for _, c := range cases {
		v, fl, err := d.Get(c.key)
		if err != nil || v != c.v || fl != c.flags {
			t.Errorf("get %s = %+v %d %v, want %+v %d", c.key, v, fl, err, c.v, c.flags)
		}
	}
	if v, _, err := d.Get("missing"); err != nil || !v.IsNil() {
		t.Errorf("missing = %+v %v", v, err)
	}
	if _, err := d.Set("s", Value{}, 0, 0); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := d.Get("s"); !v.IsNil() {
		t.Errorf("set nil did not delete: %+v", v)
	}
	if _, _, err := d.Get(""); err != ErrEmptyKey {
		t.Errorf("empty key: %v", err)
	}
	long := string(make([]byte, MaxKeyLen+1))
	if _, err := d.Set(long, NumberValue(1), 0, 0); err != ErrKeyTooLong {
		t.Errorf("long key: %v", err)
	}
	if _, err := d.Set("x", Value{Kind: List}, 0, 0); err != ErrBadValue {
		t.Errorf("list value: %v", err)
	}
}

func TestAddReplaceErrors(t *testing.T) {
	d, c := newTest(1 << 20)
	steps := []struct {
		op   string
		key  string
		want error
	}{
		{"replace", "k", ErrNotFound},
		{"add", "k", nil},
		{"add", "k", ErrExists},
		{"safe_add", "k", ErrExists},
		{"replace", "k", nil},
		{"expire", "k", nil}, // 1s ttl, then clock passes it
		{"advance", "", nil},
		{"replace", "k", ErrNotFound},
		{"add", "k", nil}, // expired counts as absent
		{"safe_add", "k2", nil},
	}
	for i, s := range steps {
		var err error
		switch s.op {
		case "add":
			_, err = d.Add(s.key, StringValue("v"), 0, 0)
		case "safe_add":
			err = d.SafeAdd(s.key, StringValue("v"), 0, 0)
		case "replace":
			_, err = d.Replace(s.key, StringValue("r"), 0, 0)
		case "expire":
			err = d.Expire(s.key, time.Second)
		case "advance":
			c.advance(2 * time.Second)
		}
		if err != s.want {
			t.Errorf("step %d %s %s: err %v, want %v", i, s.op, s.key, err, s.want)
		}
	}
}

func TestExpiryAndStale(t *testing.T) {
	d, c := newTest(1 << 20)
	d.Set("k", StringValue("v"), 1500*time.Millisecond, 3)
	if ttl, err := d.TTL("k"); err != nil || ttl != 1500*time.Millisecond {
		t.Fatalf("ttl %v %v", ttl, err)
	}
	c.advance(time.Second)
	if v, fl, _ := d.Get("k"); v.Str != "v" || fl != 3 {
		t.Fatalf("before expiry: %+v", v)
	}
	c.advance(time.Second)
	v, fl, stale, err := d.GetStale("k")
	if err != nil || v.Str != "v" || fl != 3 || !stale {
		t.Fatalf("get_stale: %+v %d %v %v", v, fl, stale, err)
	}
	if ttl, err := d.TTL("k"); err != nil || ttl != -500*time.Millisecond {
		t.Fatalf("ttl of an expired item: %v %v", ttl, err)
	}
	if v, _, _ := d.Get("k"); !v.IsNil() {
		t.Fatalf("after expiry: %+v", v)
	}
	// as nginx, a plain get first expires the LRU tail: k is the only item
	if v, _, _, _ := d.GetStale("k"); !v.IsNil() {
		t.Fatalf("get should have reclaimed the expired tail: %+v", v)
	}
	if _, err := d.TTL("k"); err != ErrNotFound {
		t.Fatalf("ttl missing: %v", err)
	}
	if err := d.Expire("k", 0); err != ErrNotFound {
		t.Fatalf("expire missing: %v", err)
	}
	// expire revives an expired item not yet reclaimed
	d.Set("r", StringValue("v"), time.Second, 0)
	d.Set("q", StringValue("v"), 0, 0)
	c.advance(2 * time.Second)
	d.GetStale("r") // r becomes the most recent: q is the tail
	if err := d.Expire("r", time.Second); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := d.Get("r"); v.Str != "v" {
		t.Fatalf("revived: %+v", v)
	}
	d.Set("p", NumberValue(1), 0, 0)
	if ttl, err := d.TTL("p"); err != nil || ttl != 0 {
		t.Fatalf("ttl permanent: %v %v", ttl, err)
	}
	d.Expire("p", time.Second)
	if ttl, _ := d.TTL("p"); ttl != time.Second {
		t.Fatalf("ttl after expire: %v", ttl)
	}
	d.Expire("p", 0)
	c.advance(time.Hour)
	if v, _, _ := d.Get("p"); v.Num != 1 {
		t.Fatalf("expire 0 should make permanent: %+v", v)
	}
}

func TestFlushAllAndExpired(t *testing.T) {
	d, c := newTest(1 << 20)
	for i := 0; i < 10; i++ {
		d.Set(strconv.Itoa(i), NumberValue(float64(i)), 0, 0)
	}
	d.FlushAll() // also reclaims the 3 oldest, as nginx
	if len(d.Keys(0, nil)) != 0 {
		t.Fatal("keys after flush_all")
	}
	if v, _, _, _ := d.GetStale("0"); !v.IsNil() {
		t.Fatalf("the oldest should be gone: %+v", v)
	}
	if v, _, stale, _ := d.GetStale("3"); v.Num != 3 || !stale {
		t.Fatalf("stale after flush_all: %+v %v", v, stale)
	}
	if n := d.FlushExpired(4); n != 4 {
		t.Fatalf("flush_expired(4) = %d", n)
	}
	if n := d.FlushExpired(0); n != 3 {
		t.Fatalf("flush_expired() = %d", n)
	}
	if d.Len() != 0 {
		t.Fatal("items left")
	}
	d.Set("a", NumberValue(1), time.Second, 0)
	d.Set("b", NumberValue(1), 0, 0)
	c.advance(2 * time.Second)
	if n := d.FlushExpired(0); n != 1 {
		t.Fatalf("flush_expired = %d", n)
	}
}

func TestIncr(t *testing.T) {
	d, c := newTest(1 << 20)
	if _, _, err := d.Incr("n", 1, nil, 0); err != ErrNotFound {
		t.Fatalf("incr missing: %v", err)
	}
	init := 10.0
	if v, _, err := d.Incr("n", 2, &init, time.Second); err != nil || v != 12 {
		t.Fatalf("incr init: %v %v", v, err)
	}
	if ttl, _ := d.TTL("n"); ttl != time.Second {
		t.Fatalf("init_ttl: %v", ttl)
	}
	if v, _, _ := d.Incr("n", -0.5, &init, 0); v != 11.5 {
		t.Fatalf("incr existing ignores init: %v", v)
	}
	if ttl, _ := d.TTL("n"); ttl != time.Second {
		t.Fatalf("incr must keep ttl: %v", ttl)
	}
	c.advance(2 * time.Second)
	if v, _, _ := d.Incr("n", 1, &init, 0); v != 11 {
		t.Fatalf("incr on expired uses init: %v", v)
	}
	d.Set("s", StringValue("x"), 0, 0)
	if _, _, err := d.Incr("s", 1, nil, 0); err != ErrNotNumber {
		t.Fatalf("incr string: %v", err)
	}
	d.LPush("l", StringValue("x"))
	if _, _, err := d.Incr("l", 1, nil, 0); err != ErrNotNumber {
		t.Fatalf("incr list: %v", err)
	}
}

func TestLists(t *testing.T) {
	d, _ := newTest(1 << 20)
	for i, v := range []Value{StringValue("a"), NumberValue(2), StringValue("c")} {
		n, err := d.RPush("l", v)
		if err != nil || n != i+1 {
			t.Fatalf("rpush: %d %v", n, err)
		}
	}
	if n, _ := d.LPush("l", StringValue("z")); n != 4 {
		t.Fatalf("lpush len %d", n)
	}
	if n, _ := d.LLen("l"); n != 4 {
		t.Fatalf("llen %d", n)
	}
	want := []Value{StringValue("z"), StringValue("a"), NumberValue(2)}
	for _, w := range want {
		if v, err := d.LPop("l"); err != nil || v != w {
			t.Fatalf("lpop %+v %v want %+v", v, err, w)
		}
	}
	if v, _ := d.RPop("l"); v.Str != "c" {
		t.Fatalf("rpop %+v", v)
	}
	if v, err := d.LPop("l"); err != nil || !v.IsNil() {
		t.Fatalf("pop empty: %+v %v", v, err)
	}
	if d.Len() != 0 {
		t.Fatal("empty list must be removed")
	}
	if n, err := d.LLen("none"); n != 0 || err != nil {
		t.Fatalf("llen missing %d %v", n, err)
	}
	d.Set("s", StringValue("x"), 0, 0)
	for name, f := range map[string]func() error{
		"lpush": func() error { _, err := d.LPush("s", StringValue("y")); return err },
		"rpush": func() error { _, err := d.RPush("s", StringValue("y")); return err },
		"lpop":  func() error { _, err := d.LPop("s"); return err },
		"rpop":  func() error { _, err := d.RPop("s"); return err },
		"llen":  func() error { _, err := d.LLen("s"); return err },
	} {
		if err := f(); err != ErrNotList {
			t.Errorf("%s on string: %v", name, err)
		}
	}
	d.RPush("l2", StringValue("x"))
	if _, _, err := d.Get("l2"); err != ErrIsList {
		t.Errorf("get list: %v", err)
	}
	if _, err := d.RPush("l2", BoolValue(true)); err != ErrBadValue {
		t.Errorf("push bool: %v", err)
	}
	// set replaces a list
	if _, err := d.Set("l2", NumberValue(1), 0, 0); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := d.Get("l2"); v.Num != 1 {
		t.Fatalf("set over list: %+v", v)
	}
}

func TestKeysOrderAndMax(t *testing.T) {
	d, _ := newTest(1 << 20)
	for i := 0; i < 2000; i++ {
		d.Set(fmt.Sprint("k", i), NumberValue(1), 0, 0)
	}
	if n := len(d.Keys(1024, nil)); n != 1024 {
		t.Fatalf("keys(1024) = %d", n)
	}
	if n := len(d.Keys(0, nil)); n != 2000 {
		t.Fatalf("keys(0) = %d", n)
	}
	d.Get("k5")
	if k := d.Keys(1, nil); k[0] != "k5" {
		t.Fatalf("most recent first: %v", k)
	}
}

func TestMemoryEvictionLRU(t *testing.T) {
	d, _ := newTest(64 * 1024)
	if d.Capacity() != 64*1024 {
		t.Fatal("capacity")
	}
	free0 := d.FreeSpace()
	if free0 <= 0 || free0 > 64*1024 || free0%pageSize != 0 {
		t.Fatalf("free_space %d", free0)
	}
	val := StringValue(string(make([]byte, 900))) // ~1 KiB chunk each
	var firstForcible int = -1
	for i := 0; i < 200; i++ {
		forcible, err := d.Set(fmt.Sprint("k", i), val, 0, 0)
		if err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
		if forcible && firstForcible < 0 {
			firstForcible = i
		}
		if i == 3 {
			d.Get("k0") // keep k0 hot
		}
	}
	if firstForcible < 40 || firstForcible > 64 {
		t.Fatalf("first eviction at %d items", firstForcible)
	}
	if d.FreeSpace() != 0 {
		t.Fatalf("free_space when full: %d", d.FreeSpace())
	}
	if v, _, _ := d.Get("k1"); !v.IsNil() {
		t.Fatal("LRU item k1 should have been evicted")
	}
	if v, _, _ := d.Get("k199"); v.IsNil() {
		t.Fatal("newest item missing")
	}
	if err := d.SafeSet("new", val, 0, 0); err != ErrNoMemory {
		t.Fatalf("safe_set when full: %v", err)
	}
	if err := d.SafeAdd("new", val, 0, 0); err != ErrNoMemory {
		t.Fatalf("safe_add when full: %v", err)
	}
	// safe_set may reuse expired space
	d.FlushAll()
	if err := d.SafeSet("new", val, 0, 0); err != nil {
		t.Fatalf("safe_set after flush_all: %v", err)
	}
	d.FlushExpired(0)
	if d.FreeSpace() < free0-2*pageSize {
		t.Fatalf("memory not returned: %d of %d", d.FreeSpace(), free0)
	}
	// A value bigger than the zone never fits.
	huge := StringValue(string(make([]byte, 128*1024)))
	if _, err := d.Set("huge", huge, 0, 0); err != ErrNoMemory {
		t.Fatalf("huge: %v", err)
	}
}

func TestRegistryReuse(t *testing.T) {
	r := NewRegistry()
	a := r.Open("dogs", 1<<20)
	a.Set("x", NumberValue(1), 0, 0)
	if b := r.Open("dogs", 1<<20); b != a {
		t.Fatal("same name and size must reuse the dict")
	}
	if c := r.Open("dogs", 2<<20); c == a || c.Len() != 0 {
		t.Fatal("a new size gets a fresh dict")
	}
	r.Open("cats", 1<<20)
	r.Retain([]string{"cats"})
	if r.Get("dogs") != nil || r.Get("cats") == nil {
		t.Fatal("retain")
	}
}

func TestConcurrent(t *testing.T) {
	d := New("c", 1<<20)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			one := 0.0
			for i := 0; i < 2000; i++ {
				k := strconv.Itoa(i % 300)
				switch i % 5 {
				case 0:
					d.Set(k, StringValue("value"), time.Millisecond, 0)
				case 1:
					d.Get(k)
				case 2:
					d.Incr("ctr", 1, &one, 0)
				case 3:
					d.RPush("list", NumberValue(float64(i)))
				case 4:
					d.LPop("list")
				}
			}
		}(g)
	}
	wg.Wait()
	if _, _, err := d.Incr("ctr", 0, nil, 0); err != nil {
		t.Fatal(err)
	}
	// accounting stays consistent: flushing everything frees all pages
	d.FlushAll()
	d.FlushExpired(0)
	for d.Len() > 0 {
		d.LPop("list")
	}
	if got, want := d.FreeSpace(), int64(d.slab.pages)*pageSize; got != want {
		t.Fatalf("free %d want %d", got, want)
	}
}

func TestErrorsText(t *testing.T) {
	for err, s := range map[error]string{ErrNoMemory: "no memory", ErrExists: "exists", ErrNotFound: "not found",
		ErrNotNumber: "not a number", ErrNotList: "value not a list"} {
		if !errors.Is(err, err) || err.Error() != s {
			t.Errorf("%v != %s", err, s)
		}
	}
}

func BenchmarkGetParallel(b *testing.B) {
	d := New("b", 64<<20)
	for i := 0; i < 10000; i++ {
		d.Set(strconv.Itoa(i), StringValue("some session bytes"), 0, 0)
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Get(keys[i%len(keys)])
			i++
		}
	})
}

func BenchmarkSetParallel(b *testing.B) {
	d := New("b", 64<<20)
	v := StringValue("some session bytes")
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Set(keys[i%len(keys)], v, time.Minute, 0)
			i++
		}
	})
}

func BenchmarkMixedParallel(b *testing.B) {
	d := New("b", 64<<20)
	v := StringValue("some session bytes")
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := keys[i%len(keys)]
			if i%4 == 0 {
				d.Set(k, v, time.Minute, 0)
			} else {
				d.Get(k)
			}
			i++
		}
	})
}

var keys = func() []string {
	k := make([]string, 10000)
	for i := range k {
		k[i] = strconv.Itoa(i)
	}
	return k
}()

// Keys gives up when stop says so (get_keys(0) at its caller's deadline).
func TestKeysStop(t *testing.T) {
	d, _ := newTest(1 << 24)
	for i := 0; i < 10000; i++ {
		if _, err := d.Set(strconv.Itoa(i), Value{Kind: Number, Num: 1}, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	asked := 0
	if keys := d.Keys(0, func() bool { asked++; return asked == 2 }); keys != nil || asked != 2 {
		t.Fatalf("got %d keys, stop asked %d times", len(keys), asked)
	}
	if keys := d.Keys(0, func() bool { return false }); len(keys) != 10000 {
		t.Fatalf("got %d keys", len(keys))
	}
}

// Backable answers as nginx's mapping of the zone: ordinary sizes pass, one
// no machine has is refused with nginx's [alert] text.
func TestBackable(t *testing.T) {
	if err := Backable(1 << 20); err != nil {
		t.Fatal(err)
	}
	err := Backable(1 << 50)
	if err == nil || err.Error() != "mmap(MAP_ANON|MAP_SHARED, 1125899906842624) failed (12: Cannot allocate memory)" || errlog.LevelOf(err) != errlog.Alert {
		t.Fatalf("got %v", err)
	}
}
