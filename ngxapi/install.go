// Package ngxapi is the Lua-visible "ngx" API of goresty. Each file adds
// its part through register(); Installer builds the whole API in a worker.
package ngxapi

import (
	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/ngxapi/shdict"
	lua "github.com/yuin/gopher-lua"
)

// Env is what the API needs from the server: the configuration and the
// process-wide shared dict registry.
type Env struct {
	Config *confparse.Config
	Dicts  *shdict.Registry
}

type installer struct {
	name string
	f    func(w *luavm.Worker, ngx *lua.LTable, env *Env)
}

var installers []installer

// register adds a part of the API; each file's init() calls it. Parts are
// installed in registration order, after the core (ngx.go).
func register(name string, f func(w *luavm.Worker, ngx *lua.LTable, env *Env)) {
	for _, in := range installers {
		if in.name == name {
			panic("ngxapi: " + name + " registered twice")
		}
	}
	installers = append(installers, installer{name, f})
}

// Installer returns the function luavm runs on every worker at start
// (luavm.Options.Install): it builds the global "ngx" table, the core API,
// every registered part and the built-in modules.
func Installer(env *Env) func(w *luavm.Worker) {
	if env == nil {
		env = &Env{}
	}
	return func(w *luavm.Worker) {
		L := w.L
		ngx := L.NewTable()
		L.SetGlobal("ngx", ngx)
		installCore(w, ngx, env)
		for _, in := range installers {
			in.f(w, ngx, env)
		}
		finishCore(w, ngx)
		if loaded, ok := L.GetField(L.GetField(L.Get(lua.GlobalsIndex), "package"), "loaded").(*lua.LTable); ok {
			loaded.RawSetString("ngx", ngx)
		}
	}
}
