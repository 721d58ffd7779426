package ngxapi

// resty.lock (lua-resty-lock; its released module needs FFI only to unlock
// on garbage collection): a non-blocking lock on a lua_shared_dict key,
// waited for with ngx.sleep steps growing by ratio up to max_step.
//
//	lock, err = resty_lock:new(dict_name, opts)   opts: exptime (30),
//	        timeout (5), step (0.001), ratio (2), max_step (0.5) in seconds
//	elapsed, err = lock:lock(key)   err "timeout", "locked" (already held)
//	ok, err = lock:unlock()         err "unlocked" (nothing held)
//	ok, err = lock:expire(timeout)  resets the held key's expiry
//
// Written in Lua because that is what it is: shdict add/delete and
// ngx.sleep, all yielding through the worker as any handler's code does.
// Unlike the original, a lock object that is garbage collected while held
// is not unlocked: its key expires after exptime.

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

const restyLockSource = `
local shared, sleep, now, update_time = ngx.shared, ngx.sleep, ngx.now, ngx.update_time
local setmetatable, type, error, min, max = setmetatable, type, error, math.min, math.max

local _M = { _VERSION = "0.09" }
local mt = { __index = _M }

local function opt(opts, name, def)
    local v = opts[name]
    if v == nil then
        return def
    end
    if type(v) ~= "number" then
        error('bad "' .. name .. '" option value: number expected, got ' .. type(v), 3)
    end
    return v
end

function _M.new(_, dict_name, opts)
    local dict = shared[dict_name]
    if not dict then
        return nil, "dictionary not found"
    end
    opts = opts or {}
    if type(opts) ~= "table" then
        error("bad argument #2 to 'new' (table expected, got " .. type(opts) .. ")", 2)
    end
    local step = opt(opts, "step", 0.001)
    local ratio = opt(opts, "ratio", 2)
    if ratio < 1 then
        ratio = 1
    end
    return setmetatable({
        dict = dict,
        exptime = opt(opts, "exptime", 30),
        timeout = opt(opts, "timeout", 5),
        step = step,
        ratio = ratio,
        max_step = opt(opts, "max_step", 0.5),
    }, mt)
end

function _M.lock(self, key)
    if not key then
        return nil, "nil key"
    end
    if self.key then
        return nil, "locked"
    end
    local dict, exptime = self.dict, self.exptime
    local ok, err = dict:add(key, true, exptime)
    if ok then
        self.key = key
        return 0
    end
    if err ~= "exists" then
        return nil, err
    end
    local timeout = self.timeout
    if timeout <= 0 then
        return nil, "timeout"
    end
    local step, ratio, max_step = self.step, self.ratio, self.max_step
    local elapsed = 0
    while timeout > 0 do
        step = min(step, timeout)
        sleep(step)
        elapsed = elapsed + step
        timeout = timeout - step
        ok, err = dict:add(key, true, exptime)
        if ok then
            self.key = key
            return elapsed
        end
        if err ~= "exists" then
            return nil, err
        end
        step = min(max(0.001, step * ratio), max_step)
    end
    return nil, "timeout"
end

function _M.unlock(self)
    local key = self.key
    if not key then
        return nil, "unlocked"
    end
    self.key = nil
    self.dict:delete(key)
    return 1
end

function _M.expire(self, time)
    local key = self.key
    if not key then
        return nil, "unlocked"
    end
    local ok, err = self.dict:replace(key, true, time or self.exptime)
    if not ok then
        return nil, err
    end
    return true
end

return _M
`

var restyLockChunk = mustCompile(restyLockSource, "=resty.lock")

func init() {
	register("resty.lock", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		w.L.PreloadModule("resty.lock", func(L *lua.LState) int {
			fn := L.NewFunctionFromProto(restyLockChunk.Proto)
			fn.Env = L.G.Global
			L.Push(fn)
			L.Call(0, 1)
			return 1
		})
	})
}

// mustCompile compiles a built-in module's Lua source once for all workers.
func mustCompile(src, name string) *luavm.Chunk {
	c, err := luavm.CompileString(src, name)
	if err != nil {
		panic(err)
	}
	return c
}
