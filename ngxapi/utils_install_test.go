package ngxapi

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luavm"
)

// The utility modules through the real installer, in every phase.
func TestUtilsInstalledEverywhere(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	src := `
		local cjson, safe = require "cjson", require "cjson.safe"
		local lru = require("resty.lrucache").new(4)
		lru:set("k", ngx.re.gsub("a-b", "-", "+"))
		emit(tostring(cjson.null == ngx.null), tostring(safe.null == ngx.null),
			cjson.encode({ngx.null}), ngx.encode_base64(ngx.md5_bin("x")):len(),
			ngx.re.match("v=1", [[(\w)=(\d)]])[2], lru:get("k"), ngx.escape_uri("a b"),
			#require("ngx.re").split("a,b", ","))
	`
	for _, ph := range []luavm.Phase{luavm.PhaseInit, luavm.PhaseInitWorker, luavm.PhaseSSLSessionStore,
		luavm.PhaseSSLSessionFetch, luavm.PhaseContent, luavm.PhaseTimer} {
		r, out := vm.run(ph, src)
		if r.Err != nil {
			t.Fatalf("%s: %v", ph, r.Err)
		}
		if want := "true true [null] 24 1 a+b a%20b 2"; len(out) != 1 || out[0] != want {
			t.Fatalf("%s: got %q want %q", ph, out, want)
		}
	}
}

func TestUtilsLogAndYield(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	r, out := vm.run(luavm.PhaseContent, `
		local s, n, err = ngx.re.sub("a b", "(b)", "$hello")
		emit(tostring(s), err)
		-- a replacement callback runs inside a Go call: it cannot yield
		local ok, e = pcall(ngx.re.gsub, "ab", "b", function() ngx.sleep(0.001) return "x" end)
		emit(tostring(ok))
	`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if len(out) != 2 || out[0] != "nil failed to compile the replacement template" || out[1] != "false" {
		t.Fatalf("got %q", out)
	}
	if log := vm.log(); !strings.Contains(log, `[error]`) ||
		!strings.Contains(log, `attempt to use named capturing variable "hello" (named captures not supported yet)`) {
		t.Fatalf("error log:\n%s", log)
	}
}
