package confparse

// inherit takes every handler not written at this level from the parent.
func (p *LuaPhases) inherit(parent *LuaPhases) {
	for _, f := range []struct{ dst, src **LuaCode }{
		{&p.RewriteByLua, &parent.RewriteByLua},
		{&p.AccessByLua, &parent.AccessByLua},
		{&p.HeaderFilterByLua, &parent.HeaderFilterByLua},
		{&p.BodyFilterByLua, &parent.BodyFilterByLua},
		{&p.LogByLua, &parent.LogByLua},
	} {
		if *f.dst == nil {
			*f.dst = *f.src
		}
	}
}

// setByLua reads "set_by_lua_block $res { ... }", "set_by_lua_file $res
// file [$arg ...]" and "set_by_lua $res 'code' [$arg ...]": a step of the
// rewrite phase, run in order with set and return.
func setByLua(l *loader, d *directive) error {
	name := d.args[0]
	if len(name) < 2 || name[0] != '$' {
		return d.errf(`invalid variable name "%s"`, name)
	}
	// the code (or its file) is the argument after the variable: luaCode
	// reads it from a copy of the directive without the variable
	dd := *d
	dd.args = d.args[1:]
	code, err := luaCode(l, &dd)
	if err != nil {
		return err
	}
	l.addLua(code)
	var args []string
	if d.lua == nil {
		args = d.args[2:]
	}
	rw := d.c.rewrite()
	*rw = append(*rw, RewriteStep{SetLua: &SetLua{Name: name[1:], Code: code, Args: args}, Pos: d.pos})
	return nil
}

// addLua lists code among the chunks -t compiles; a path with variables
// names no file until a request comes.
func (l *loader) addLua(code *LuaCode) {
	if code.PathVars == "" {
		l.cfg.Lua = append(l.cfg.Lua, code)
	}
}
