package ngxapi

// nginx.websocket.protocol (lua-resty-websocket 0.08's frame layer, as
// Debian's lua-nginx-websocket ships it): the released module needs LuaJIT's
// FFI for its char buffers, so it is built in here and found before the file
// on lua_package_path; Debian's unmodified nginx.websocket.server and
// nginx.websocket.client load on top of it.
//
//	data, typ, err = protocol.recv_frame(sock, max_payload_len, force_masking)
//	        typ "text", "binary", "close" (err: the status code), "ping",
//	        "pong", "continuation"; err "again" for a frame without FIN
//	frame, err = protocol.build_frame(fin, opcode, payload_len, payload, masking)
//	bytes, err = protocol.send_frame(sock, fin, opcode, payload, max_payload_len, masking)
//	protocol.new_tab, protocol._VERSION ("0.08")
//
// Written in Lua because it reads and writes through the cosocket, yielding
// as any handler's code does; only the masking XOR, the FFI buffer loop of
// the original, is Go (wsMask).

import (
	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

const websocketProtocolSource = `
local mask = ...
local bit = require "bit"
local byte, char, sub = string.byte, string.char, string.sub
local band, bor, lshift, rshift = bit.band, bit.bor, bit.lshift, bit.rshift
local tostring, type, rand = tostring, type, math.random
local debug, ngx_log, ngx_DEBUG = ngx.config.debug, ngx.log, ngx.DEBUG

local ok, new_tab = pcall(require, "table.new")
if not ok then
    new_tab = function() return {} end
end

local _M = new_tab(0, 5)
_M.new_tab = new_tab
_M._VERSION = "0.08"

local types = {
    [0x0] = "continuation",
    [0x1] = "text",
    [0x2] = "binary",
    [0x8] = "close",
    [0x9] = "ping",
    [0xa] = "pong",
}

function _M.recv_frame(sock, max_payload_len, force_masking)
    local data, err = sock:receive(2)
    if not data then
        return nil, nil, "failed to receive the first 2 bytes: " .. err
    end
    local fst, snd = byte(data, 1, 2)
    local fin = band(fst, 0x80) ~= 0
    if band(fst, 0x70) ~= 0 then
        return nil, nil, "bad RSV1, RSV2, or RSV3 bits"
    end
    local opcode = band(fst, 0x0f)
    if opcode >= 0x3 and opcode <= 0x7 then
        return nil, nil, "reserved non-control frames"
    end
    if opcode >= 0xb then
        return nil, nil, "reserved control frames"
    end
    local masked = band(snd, 0x80) ~= 0
    if debug then
        ngx_log(ngx_DEBUG, "recv_frame: mask bit: ", masked and 1 or 0)
    end
    if force_masking and not masked then
        return nil, nil, "frame unmasked"
    end

    local len = band(snd, 0x7f)
    if len == 126 then
        data, err = sock:receive(2)
        if not data then
            return nil, nil, "failed to receive the 2 byte payload length: " .. (err or "unknown")
        end
        len = bor(lshift(byte(data, 1), 8), byte(data, 2))
    elseif len == 127 then
        data, err = sock:receive(8)
        if not data then
            return nil, nil, "failed to receive the 8 byte payload length: " .. (err or "unknown")
        end
        local b1, b2, b3, b4, b5, b6, b7, b8 = byte(data, 1, 8)
        -- lengths past 31 bits are refused, as the original does
        if b1 ~= 0 or b2 ~= 0 or b3 ~= 0 or b4 ~= 0 or band(b5, 0x80) ~= 0 then
            return nil, nil, "payload len too large"
        end
        len = bor(lshift(b5, 24), lshift(b6, 16), lshift(b7, 8), b8)
    end

    if band(opcode, 0x8) ~= 0 then
        if len > 125 then
            return nil, nil, "too long payload for control frame"
        end
        if not fin then
            return nil, nil, "fragmented control frame"
        end
    end
    if len > max_payload_len then
        return nil, nil, "exceeding max payload len"
    end

    local rest = masked and len + 4 or len
    if rest > 0 then
        data, err = sock:receive(rest)
        if not data then
            return nil, nil, "failed to read masking-len and payload: " .. (err or "unknown")
        end
    else
        data = ""
    end
    local payload = masked and mask(data, 4) or data

    if opcode == 0x8 then
        if len == 0 then
            return "", "close", nil
        end
        if len < 2 then
            return nil, nil, "close frame with a body must carry a 2-byte status code"
        end
        local hi, lo = byte(payload, 1, 2)
        return sub(payload, 3), "close", bor(lshift(hi, 8), lo)
    end
    return payload, types[opcode], not fin and "again" or nil
end

local function build_frame(fin, opcode, payload_len, payload, masking)
    local fst = fin and bor(0x80, opcode) or opcode
    local snd, ext
    if payload_len <= 125 then
        snd, ext = payload_len, ""
    elseif payload_len <= 65535 then
        snd, ext = 126, char(band(rshift(payload_len, 8), 0xff), band(payload_len, 0xff))
    else
        if band(payload_len, 0x7fffffff) < payload_len then
            return nil, "payload too big"
        end
        snd = 127
        ext = char(0, 0, 0, 0, band(rshift(payload_len, 24), 0xff), band(rshift(payload_len, 16), 0xff),
                   band(rshift(payload_len, 8), 0xff), band(payload_len, 0xff))
    end
    local key = ""
    if masking then
        snd = bor(snd, 0x80)
        local k = rand(0xffffffff)
        key = char(band(rshift(k, 24), 0xff), band(rshift(k, 16), 0xff), band(rshift(k, 8), 0xff), band(k, 0xff))
        payload = mask(key .. sub(payload, 1, payload_len), 4)
    end
    return char(fst, snd) .. ext .. key .. payload
end
_M.build_frame = build_frame

function _M.send_frame(sock, fin, opcode, payload, max_payload_len, masking)
    if not payload then
        payload = ""
    elseif type(payload) ~= "string" then
        payload = tostring(payload)
    end
    local len = #payload
    if len > max_payload_len then
        return nil, "payload too big"
    end
    if band(opcode, 0x8) ~= 0 then
        if len > 125 then
            return nil, "too much payload for control frame"
        end
        if not fin then
            return nil, "fragmented control frame"
        end
    end
    local frame, err = build_frame(fin, opcode, len, payload, masking)
    if not frame then
        return nil, "failed to build frame: " .. err
    end
    local bytes
    bytes, err = sock:send(frame)
    if not bytes then
        return nil, "failed to send frame: " .. err
    end
    return bytes
end

return _M
`

var websocketProtocolChunk = mustCompile(websocketProtocolSource, "=nginx.websocket.protocol")

func init() {
	register("nginx.websocket.protocol", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		w.L.PreloadModule("nginx.websocket.protocol", func(L *lua.LState) int {
			fn := L.NewFunctionFromProto(websocketProtocolChunk.Proto)
			fn.Env = L.G.Global
			L.Push(fn)
			L.Push(L.NewFunction(wsMask))
			L.Call(1, 1)
			return 1
		})
	})
}

// wsMask(s, n): the bytes of s after its first n, XORed with the 4-byte
// masking key that ends at byte n (RFC 6455 5.3). A received frame's
// "masking-key .. payload" unmasks with n = 4.
func wsMask(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n < 4 || n > len(s) {
		L.ArgError(2, "out of range")
	}
	key := s[n-4 : n]
	out := []byte(s[n:])
	for i := range out {
		out[i] ^= key[i&3]
	}
	L.Push(lua.LString(out))
	return 1
}
