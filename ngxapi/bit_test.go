package ngxapi

import (
	"testing"

	"github.com/goresty/goresty/luavm"
)

// runWorkerCases runs each case's code as a content handler on a worker
// with the whole API installed; its single return value (tostring'd) must
// equal want.
func runWorkerCases(t *testing.T, cases []luaCase) {
	t.Helper()
	vm := newCoreVM(t, luavm.Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, out := vm.run(luavm.PhaseContent, "emit(tostring((function() "+c.code+"\nend)()))")
			if r.Err != nil {
				t.Fatalf("run: %v", r.Err)
			}
			if len(out) != 1 || out[0] != c.want {
				t.Errorf("got  %q\nwant %q", out, c.want)
			}
		})
	}
}

// The expected values are LuaJIT 2.1's.
func TestBit(t *testing.T) {
	runWorkerCases(t, []luaCase{
		{"global is module", `return bit == require "bit"`, "true"},
		{"tobit", `local b = bit return table.concat({b.tobit(0xffffffff), b.tobit(0x100000000+5), b.tobit(1.5), b.tobit(2.5),
			b.tobit(-1.5), b.tobit(2^40+7), b.tobit(-2^31), b.tobit(2^31), b.tobit(1e300), b.tobit(0/0), b.tobit(2^52+3.5), b.tobit("12")}, " ")`,
			"-1 5 2 2 -2 7 -2147483648 -2147483648 -2013235812 0 2 12"},
		{"band bor bxor bnot", `local b = bit return table.concat({b.band(0xff00ff, 0xf0f0f0f0), b.bor(1,2,4,8), b.bxor(0xffffffff, 1), b.bnot(0), b.band(7), b.band("0x10", "3")}, " ")`,
			"15728880 15 -2 -1 7 0"},
		{"shifts", `local b = bit return table.concat({b.lshift(1, 31), b.lshift(1, 32), b.lshift(1, 33), b.rshift(-1, 28), b.arshift(-256, 4), b.rshift(256, -28)}, " ")`,
			"-2147483648 1 2 15 -16 16"},
		{"rotates", `local b = bit return table.concat({b.rol(0x12345678, 8), b.ror(0x12345678, 8), b.rol(1, 0), b.ror(1, 32)}, " ")`,
			"878082066 2014458966 1 1"},
		{"bswap", `return bit.bswap(0x12345678) .. " " .. bit.bswap(-1)`, "2018915346 -1"},
		{"tohex", `local b = bit return table.concat({b.tohex(255), b.tohex(-1), b.tohex(255, 2), b.tohex(255, -4), b.tohex(0x12345678, 12),
			"[" .. b.tohex(1, 0) .. "]", b.tohex("16"), b.tohex(-1, 12), b.tohex(-1, 20), b.tohex(-1, -16), "[" .. b.tohex(1, -2^31) .. "]"}, " ")`,
			"000000ff ffffffff ff 00FF 000012345678 [] 00000010 0000ffffffff 000000000000ffffffff 00000000FFFFFFFF []"},
		{"bad argument", `local ok, err = pcall(function() return bit.band({}) end) return err`, "content_by_lua(nginx.conf:10):1: bad argument #1 to 'band' (number expected, got table)"},
		{"missing argument", `local ok, err = pcall(function() return bit.lshift(1) end) return err`, "content_by_lua(nginx.conf:10):1: bad argument #2 to 'lshift' (number expected, got no value)"},
	})
}
