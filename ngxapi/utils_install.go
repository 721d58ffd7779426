package ngxapi

import (
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// H8's pure-Lua-module parts: codecs, ngx.re, cjson, resty.lrucache. They
// never yield and are allowed in every phase, so they skip check().
func init() {
	register("utils", func(w *luavm.Worker, ngx *lua.LTable, env *Env) {
		OpenCodec(w.L, ngx)
		OpenRe(w.L, ngx, func(msg string) { w.Log.Log(errlog.Error, msg) })
		OpenCJSON(w.L)
		// expiry on the worker's cached clock, as ngx.now()
		openLRUCache(w.L, func() float64 { return float64(w.Now().UnixMilli()) / 1000 })
	})
}
