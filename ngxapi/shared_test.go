package ngxapi

import (
	"testing"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/ngxapi/shdict"
	lua "github.com/yuin/gopher-lua"
)

func TestSharedDictLua(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	ngx := L.NewTable()
	ngx.RawSetString("shared", NewSharedTable(L, []*shdict.Dict{shdict.New("dogs", 1<<20), shdict.New("tiny", 12*4096)}, nil))
	L.SetGlobal("ngx", ngx)
	err := L.DoString(`
local d = ngx.shared.dogs
local function eq(a, b, msg) if a ~= b then error(msg .. ": got " .. tostring(a) .. " want " .. tostring(b), 2) end end
local ok, err, forcible = d:set("a", 32, 0, 5)
eq(ok, true, "set ok") eq(err, nil, "set err") eq(forcible, false, "forcible")
local v, f = d:get("a") eq(v, 32, "get") eq(f, 5, "flags")
v, f = d:get("missing") eq(v, nil, "missing") eq(f, nil, "missing flags")
ok, err, forcible = d:add("a", 1) eq(ok, false, "add") eq(err, "exists", "add err") eq(forcible, false, "add forcible")
ok, err = d:replace("zz", 1) eq(err, "not found", "replace")
eq(d:incr("a", 1), 33, "incr")
v, err = d:incr("nope", 1) eq(err, "not found", "incr nf")
v, err, forcible = d:incr("nope", 1, 10) eq(v, 11, "incr init") eq(forcible, false, "incr forcible")
d:set("s", "str")
v, err = d:incr("s", 1) eq(err, "not a number", "incr nan")
eq(d:lpush("l", "x"), 1, "lpush") eq(d:rpush("l", 2), 2, "rpush")
v, err = d:get("l") eq(err, "value is a list", "get list")
v, err = d:lpush("s", "x") eq(err, "value not a list", "push non-list")
eq(d:llen("l"), 2, "llen") eq(d:rpop("l"), 2, "rpop") eq(d:lpop("l"), "x", "lpop") eq(d:lpop("l"), nil, "lpop empty")
v, err = d:get(nil) eq(err, "nil key", "nil key")
v, err = d:get("") eq(err, "empty key", "empty key")
v, err = d:set("t", {}) eq(err, "bad value type", "bad value")
d:set("b", false) eq(d:get("b"), false, "bool")
d:set(1, "numkey") eq(d:get("1"), "numkey", "number key")
eq(d:ttl("a"), 0, "ttl")
d:set("e", 1, 0.5) local t = d:ttl("e") assert(t > 0.4 and t <= 0.5, "ttl " .. t)
eq(d:expire("e", 0), true, "expire")
v, err = d:expire("zz", 1) eq(err, "not found", "expire nf")
v, err = d:ttl("zz") eq(err, "not found", "ttl nf")
eq(d:capacity(), 1048576, "capacity")
assert(d:free_space() > 0)
d:set("z", 33, 0, 5)
d:flush_all()
local v, f, stale = d:get_stale("z") eq(v, 33, "stale v") eq(f, 5, "stale f") eq(stale, true, "stale")
eq(d:get("z"), nil, "flushed")
eq(#d:get_keys(), 0, "keys")
assert(d:flush_expired() > 0)
d:set("k1", 1) d:set("k2", 1)
eq(#d:get_keys(1), 1, "get_keys max")
ok, err = pcall(d.get, "x") assert(not ok and err:find('bad "zone" argument'), err)
ok, err = pcall(d.set, d, "x", 1, -1) assert(not ok and err:find('bad "exptime" argument'), err)
ok, err = pcall(d.incr, d, "x", 1, nil, 1) assert(not ok and err:find('must provide "init"'), err)
eq(d:delete("k1"), true, "delete")
local tiny = ngx.shared.tiny
local sawforcible = false
for i = 1, 100 do
  local ok, err, forcible = tiny:set("k" .. i, string.rep("x", 1000))
  assert(ok, err)
  if forcible then sawforcible = true end
end
assert(sawforcible, "forcible")
ok, err = tiny:safe_set("zz", string.rep("x", 1000)) eq(ok, false, "safe_set") eq(err, "no memory", "safe_set err")
eq(ngx.shared.nothere, nil, "undeclared")
`)
	if err != nil {
		t.Fatal(err)
	}
}

// One dict shared by every worker and usable from every phase, including
// the session store hook where cosockets are refused.
func TestSharedDictAcrossWorkersAndPhases(t *testing.T) {
	http := &confparse.HTTPConf{SharedDicts: []confparse.SharedDict{{Name: "sess", Size: 1 << 20}}}
	vm := newH5VM(t, http, 2)
	for i, w := range vm.pool.Workers() {
		ch, _ := luavm.CompileString(`ngx.shared.sess:incr("n", 1, 0)`, "t")
		if r := w.Run(&luavm.Request{Phase: luavm.PhaseSSLSessionStore, Chunk: ch}); r.Err != nil {
			t.Fatalf("worker %d: %v", i, r.Err)
		}
	}
	for _, ph := range []luavm.Phase{luavm.PhaseSSLSessionFetch, luavm.PhaseTimer, luavm.PhaseInitWorker} {
		vm.expect(ph, `out(ngx.shared.sess:get("n"))`, "2")
	}
}
