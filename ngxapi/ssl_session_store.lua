-- ngx.ssl.session.store, the Lua half (see ssl_session_store.go). Runs once
-- per worker; `native` holds the Go functions (counters, clock, log).
local native = ...

local ngx = ngx
local tcp = ngx.socket.tcp
local type = type
local tostring = tostring
local tonumber = tonumber
local error = error
local min = math.min
local count = native.count
local clock = native.clock
local fetched = native.fetched
local log = native.log
local ERR = ngx.ERR

local _M = { version = "0.1", log = native.log }

local cfg                  -- set by configure
local ids, vals = {}, {}   -- the queue: ids[head..tail], oldest first
local head, tail = 1, 0
local pending = {}         -- id -> session, queued or being written: fetch finds it here
local running = false      -- the drain timer is scheduled or running
-- After a fetch fails (store down), or DOWN_TIMEOUTS fetches in a row time
-- out (too slow: one timeout alone is more often a burst on a busy
-- machine), fetches of every worker skip the store for DOWN_SKIP seconds
-- (native.down): handshakes do not each wait for the timeout, the store
-- gets a try twice a second. A write that succeeds ends it.
local DOWN_SKIP = 0.5
local DOWN_TIMEOUTS = 5
local timeouts = 0         -- fetches in a row that timed out, this worker

local defaults = {
    backend = "redis", host = "127.0.0.1", prefix = "tls:", ttl = 300,
    timeout = 200, connect_timeout = 1000, keepalive = 60000, pool_size = 32, backlog = 256,
    queue_size = 4096, batch = 128,
}
local default_port = { redis = 6379, memcached = 11211 }

local function positive(opts, name)
    local v = opts[name]
    if v == nil then
        return defaults[name]
    end
    if type(v) ~= "number" or v < 1 then
        error("bad \"" .. name .. "\" option value: " .. tostring(v), 3)
    end
    return v
end

-- configure(opts) chooses the store; every worker runs it (init_by_lua*).
--   backend   "redis" (Debian's nginx.redis) or "memcached"
--   host, port, password (redis AUTH), database (redis SELECT)
--   prefix    key prefix ("tls:"), ttl (seconds; keep it ssl_session_timeout)
--   timeout   ms per store operation (send, receive)
--   connect_timeout ms a connect may take, waiting in the backlog included
--   keepalive ms an idle connection is kept
--   pool_size fetch connections per worker; backlog: fetches that may wait
--             for one (more fail at once: full handshake)
--   queue_size sessions waiting to be stored per worker; batch: per write
function _M.configure(opts)
    if type(opts) ~= "table" then
        error("bad argument #1 to 'configure' (table expected, got " .. type(opts) .. ")", 2)
    end
    local c = {}
    c.backend = opts.backend or defaults.backend
    if not default_port[c.backend] then
        error("bad \"backend\" option value: " .. tostring(c.backend), 2)
    end
    c.host = opts.host or defaults.host
    c.port = opts.port or default_port[c.backend]
    c.prefix = opts.prefix or defaults.prefix
    c.password, c.database = opts.password, opts.database
    for _, name in ipairs{"ttl", "timeout", "connect_timeout", "keepalive", "pool_size", "queue_size", "batch"} do
        c[name] = positive(opts, name)
    end
    c.backlog = opts.backlog or defaults.backlog
    if type(c.backlog) ~= "number" or c.backlog < 0 then
        error("bad \"backlog\" option value: " .. tostring(c.backlog), 2)
    end
    local peer = c.host .. ":" .. tostring(c.port)
    -- writes have a connection of their own, so that they never wait
    -- behind a burst of fetches
    c.write_opts = { pool = "ngx.ssl.session.store " .. peer }
    c.fetch_opts = { pool_size = c.pool_size, backlog = c.backlog }
    c.peer = c.backend .. " " .. peer
    cfg = c
    native.configured()
end

-- redis

local function redis_connect(opts)
    local redis = require "nginx.redis"
    native.quiet(true)
    local red = redis:new()
    native.quiet(false)
    -- Debian's client has set_timeout only
    red._sock:settimeouts(cfg.connect_timeout, cfg.timeout, cfg.timeout)
    local ok, err = red:connect(cfg.host, cfg.port, opts)
    if not ok then
        return nil, "redis connect: " .. err
    end
    if red:get_reused_times() == 0 then
        if cfg.password then
            ok, err = red:auth(cfg.password)
            if not ok then
                red:close()
                return nil, "redis AUTH: " .. err
            end
        end
        if cfg.database then
            ok, err = red:select(cfg.database)
            if not ok then
                red:close()
                return nil, "redis SELECT: " .. err
            end
        end
    end
    return red
end

local function redis_write(bids, bvals, n)
    local red, err = redis_connect(cfg.write_opts)
    if not red then
        return nil, err
    end
    red:init_pipeline(n)
    for i = 1, n do
        red:setex(cfg.prefix .. bids[i], cfg.ttl, bvals[i])
    end
    local res, err = red:commit_pipeline()
    if not res then
        red:close()
        return nil, "redis SETEX: " .. err
    end
    red:set_keepalive(cfg.keepalive)
    local refused, why = 0
    for i = 1, n do
        local r = res[i]
        if type(r) == "table" and r[1] == false then
            refused, why = refused + 1, r[2]
        end
    end
    return refused, why and "redis SETEX: " .. why
end

local function redis_fetch(key)
    local red, err = redis_connect(cfg.fetch_opts)
    if not red then
        return nil, err
    end
    local data, err = red:get(key)
    if not data then
        red:close()
        return nil, "redis GET: " .. err
    end
    red:set_keepalive(cfg.keepalive)
    if data == ngx.null then
        return nil
    end
    return data
end

-- memcached (its text protocol over a cosocket: the Debian client has no
-- pipelining)

local function memc_connect(opts)
    native.quiet(true)
    local sock = tcp()
    native.quiet(false)
    sock:settimeouts(cfg.connect_timeout, cfg.timeout, cfg.timeout)
    local ok, err = sock:connect(cfg.host, cfg.port, opts)
    if not ok then
        return nil, "memcached connect: " .. err
    end
    return sock
end

local function memc_write(bids, bvals, n)
    local sock, err = memc_connect(cfg.write_opts)
    if not sock then
        return nil, err
    end
    local req, k = {}, 0
    for i = 1, n do
        local v = bvals[i]
        req[k + 1] = "set " .. cfg.prefix .. bids[i] .. " 0 " .. cfg.ttl .. " " .. #v .. "\r\n"
        req[k + 2] = v
        req[k + 3] = "\r\n"
        k = k + 3
    end
    local ok, err = sock:send(req)
    if not ok then
        sock:close()
        return nil, "memcached set: " .. err
    end
    local refused, why = 0
    for _ = 1, n do
        local line, err = sock:receive()
        if not line then
            sock:close()
            return nil, "memcached set: " .. err
        end
        if line ~= "STORED" then
            refused, why = refused + 1, line
        end
    end
    sock:setkeepalive(cfg.keepalive)
    return refused, why and "memcached set: " .. why
end

local function memc_fetch(key)
    local sock, err = memc_connect(cfg.fetch_opts)
    if not sock then
        return nil, err
    end
    local ok, err = sock:send("get " .. key .. "\r\n")
    if not ok then
        sock:close()
        return nil, "memcached get: " .. err
    end
    local line, err = sock:receive()
    if not line then
        sock:close()
        return nil, "memcached get: " .. err
    end
    if line == "END" then
        sock:setkeepalive(cfg.keepalive)
        return nil
    end
    local len = tonumber(line:match("^VALUE %S+ %d+ (%d+)$"))
    if not len then
        sock:close()
        return nil, "memcached get: " .. line
    end
    local data, err = sock:receive(len)
    local trailer, err2 = sock:receive(7) -- "\r\nEND\r\n"
    if not data or trailer ~= "\r\nEND\r\n" then
        sock:close()
        return nil, "memcached get: " .. (err or err2 or "bad reply")
    end
    sock:setkeepalive(cfg.keepalive)
    return data
end

local writers = { redis = redis_write, memcached = memc_write }
local fetchers = { redis = redis_fetch, memcached = memc_fetch }

-- the queue

local function drop_oldest()
    pending[ids[head]] = nil
    ids[head], vals[head] = nil, nil
    head = head + 1
    count("dropped", 1)
end

-- drain is the worker's one store timer: it writes the queue in batches
-- until it is empty. A failed batch goes back to the front (the oldest
-- are dropped if the queue filled meanwhile) and the timer backs off,
-- 50 ms doubling to 0.5 s, so an outage costs two connect attempts a
-- second and the queue is written within half a second of the store's
-- return.
local function drain()
    local backoff = 0
    while head <= tail do
        local n = min(tail - head + 1, cfg.batch)
        local bids, bvals = {}, {}
        for i = 1, n do
            bids[i], bvals[i] = ids[head], vals[head]
            ids[head], vals[head] = nil, nil
            head = head + 1
        end
        -- a Lua error in the client counts as a failed write: the timer
        -- must go on (or the queue would never be written again)
        local ok, refused, err = pcall(writers[cfg.backend], bids, bvals, n)
        if not ok then
            refused, err = nil, refused
        end
        if refused then
            for i = 1, n do
                pending[bids[i]] = nil
            end
            count("written", n - refused)
            if refused > 0 then
                count("dropped", refused)
                count("errors", refused)
                log(ERR, "ngx.ssl.session.store: cannot store sessions: ", err)
            end
            native.down(cfg.peer, 0) -- reachable: fetches ask it again
            backoff = 0
        else
            count("errors", 1)
            log(ERR, "ngx.ssl.session.store: cannot store sessions: ", err)
            for i = n, 1, -1 do
                if tail - head + 1 < cfg.queue_size then
                    head = head - 1
                    ids[head], vals[head] = bids[i], bvals[i]
                else
                    pending[bids[i]] = nil
                    count("dropped", 1)
                end
            end
            if ngx.worker.exiting() then
                count("dropped", tail - head + 1)
                ids, vals, pending, head, tail = {}, {}, {}, 1, 0
                break
            end
            backoff = backoff == 0 and 0.05 or min(backoff * 2, DOWN_SKIP)
            ngx.sleep(backoff)
        end
    end
    running = false
end

-- queue(id, session) hands a new session (the store hook's
-- get_session_id(), get_serialized_session()) to the worker's store timer.
-- It never yields. nil, err only when the module is not configured.
function _M.queue(id, data)
    if type(id) ~= "string" or type(data) ~= "string" then
        error("bad argument to 'queue' (two strings expected)", 2)
    end
    if not cfg then
        return nil, "not configured"
    end
    if tail - head + 1 >= cfg.queue_size then
        drop_oldest()
    end
    tail = tail + 1
    ids[tail], vals[tail] = id, data
    pending[id] = data
    count("queued", 1)
    if not running then
        local ok, err = ngx.timer.at(0, drain)
        if ok then
            running = true
        else -- the next queue tries again
            log(ERR, "ngx.ssl.session.store: cannot start the store timer: ", err)
        end
    end
    return true
end

-- fetch(id) looks the session up (the fetch hook's get_session_id()):
-- the session, or nil (none), or nil and the error, already logged (once
-- a second at most). Sessions still queued on this worker are found too.
-- For DOWN_SKIP after an error it answers nil, "store unreachable" at once.
function _M.fetch(id)
    if type(id) ~= "string" then
        error("bad argument #1 to 'fetch' (string expected, got " .. type(id) .. ")", 2)
    end
    if not cfg then
        return nil, "not configured"
    end
    local t0 = clock()
    local data = pending[id]
    if data then
        fetched(clock() - t0, "hit")
        return data
    end
    if native.isdown(cfg.peer) then
        fetched(0, "skipped")
        return nil, "store unreachable"
    end
    local ok, data, err = pcall(fetchers[cfg.backend], cfg.prefix .. id)
    if not ok then
        data, err = nil, data
    end
    fetched(clock() - t0, data and "hit" or err and "error" or "miss")
    if not err then
        timeouts = 0
        return data
    end
    log(ERR, "ngx.ssl.session.store: cannot fetch sessions: ", err)
    if err:find("timeout", 1, true) then
        timeouts = timeouts + 1
        if timeouts >= DOWN_TIMEOUTS then
            timeouts = 0
            native.down(cfg.peer, DOWN_SKIP)
        end
    elseif not err:find("too many waiting", 1, true) then -- that is a burst
        native.down(cfg.peer, DOWN_SKIP)
    end
    return nil, err
end

return _M
