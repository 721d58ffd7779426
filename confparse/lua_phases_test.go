package confparse

import (
	"strings"
	"testing"
)

// TestLuaPhasesInherit: request-phase handlers written in http or server
// reach the locations that have none of their own; set_by_lua* is a
// rewrite step in order with set.
func TestLuaPhasesInherit(t *testing.T) {
	prefix := writeConf(t, map[string]string{
		"conf/nginx.conf": `events {}
http {
    rewrite_by_lua_no_postpone on;
    log_by_lua_block { local http = 1 }
    server {
        access_by_lua_block { local server = 1 }
        location /a {
            set $x 1;
            set_by_lua_block $y { return ngx.var.x }
            set_by_lua_file $z conf/set.lua $x $y;
        }
        location /b {
            access_by_lua_block { local b = 1 }
            header_filter_by_lua_block { local hf = 1 }
            body_filter_by_lua_file conf/set.lua;
            rewrite_by_lua_block { local rw = 1 }
        }
    }
}
`,
		"conf/set.lua": "return 1\n",
	})
	cfg := mustLoad(t, prefix)
	if !cfg.HTTP.RewriteByLuaNoPostpone || cfg.HTTP.AccessByLuaNoPostpone {
		t.Errorf("no_postpone flags %v %v", cfg.HTTP.RewriteByLuaNoPostpone, cfg.HTTP.AccessByLuaNoPostpone)
	}
	a, b := cfg.HTTP.Servers[0].Locations[0], cfg.HTTP.Servers[0].Locations[1]
	name := func(c *LuaCode) string {
		if c == nil {
			return "-"
		}
		if c.File != "" {
			return "file"
		}
		return strings.TrimSpace(c.Source)
	}
	for _, tc := range []struct{ got, want string }{
		{name(a.LogByLua), "local http = 1"},
		{name(a.AccessByLua), "local server = 1"},
		{name(a.RewriteByLua), "-"},
		{name(b.AccessByLua), "local b = 1"},
		{name(b.HeaderFilterByLua), "local hf = 1"},
		{name(b.BodyFilterByLua), "file"},
		{name(b.RewriteByLua), "local rw = 1"},
		{name(b.LogByLua), "local http = 1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if len(a.Rewrite) != 3 || a.Rewrite[0].Set == nil || a.Rewrite[1].SetLua == nil || a.Rewrite[2].SetLua == nil {
		t.Fatalf("rewrite steps %+v", a.Rewrite)
	}
	if s := a.Rewrite[1].SetLua; s.Name != "y" || s.Code.Name != "set_by_lua(nginx.conf:9)" || len(s.Args) != 0 {
		t.Errorf("set_by_lua_block: %+v %+v", s, s.Code)
	}
	if s := a.Rewrite[2].SetLua; s.Name != "z" || s.Code.File != prefix+"conf/set.lua" || strings.Join(s.Args, " ") != "$x $y" {
		t.Errorf("set_by_lua_file: %+v %+v", s, s.Code)
	}
}

func TestLuaPhasesErrors(t *testing.T) {
	for _, tc := range []struct{ conf, err string }{
		{`location / { set_by_lua_block y { return 1 } }`, `invalid variable name "y"`},
		{`location / { rewrite_by_lua_block { } rewrite_by_lua_block { } }`, `"rewrite_by_lua_block" directive is duplicate`},
		{`location / { access_by_lua_block { } access_by_lua_file x.lua; }`, `"access_by_lua_file" directive is duplicate`},
		{`location / { log_by_lua_file missing.lua; }`, `open() "PREFIX/missing.lua" failed (2: No such file or directory)`},
		{`location / { rewrite_by_lua_no_postpone on; }`, `"rewrite_by_lua_no_postpone" directive is not allowed here`},
	} {
		prefix := writeConf(t, map[string]string{"conf/nginx.conf": "events {}\nhttp { server {\n" + tc.conf + "\n} }\n"})
		_, err := Load(Options{Prefix: prefix})
		want := strings.ReplaceAll(tc.err, "PREFIX/", prefix)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", tc.conf, err, want)
		}
	}
}
