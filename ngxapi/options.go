package ngxapi

import (
	"github.com/yuin/gluamapper"
	lua "github.com/yuin/gopher-lua"
)

// optMapper reads Lua option tables into Go structs whose fields are
// tagged `lua:"name"` (the keys as Lua code writes them). gluamapper
// converts loosely, as Lua's own coercions do (a numeric string for a
// number, a number for a string), which is what Lua libraries reading
// such tables (lua-resty-string's aes) accept. Options OpenResty checks
// one by one with its own wording (cosocket connect: "pool" must be a
// string, a non-number "backlog" is ignored) are read field by field
// instead: the weak conversion would accept what OpenResty refuses.
var optMapper = gluamapper.NewMapper(gluamapper.Option{NameFunc: gluamapper.Id, TagName: "lua"})

// mapOptions fills st from the option table t; false when a field cannot
// be converted (or t is an array).
func mapOptions(t *lua.LTable, st any) bool {
	return optMapper.Map(t, st) == nil
}
