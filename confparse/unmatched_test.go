package confparse

import (
	"reflect"
	"testing"
)

// The configuration of the URIs no location matches is the server's own,
// merged from http, with its try_files; EachLocation visits it.
func TestUnmatchedIsTheServersOwn(t *testing.T) {
	prefix := writeConf(t, map[string]string{"conf/nginx.conf": `events {}
http {
    index start.html;
    log_by_lua_block { ngx.log(ngx.WARN, "http") }
    server {
        listen 127.0.0.1:8080;
        root srv;
        try_files $uri /fallback;
        rewrite_by_lua_block { ngx.log(ngx.WARN, "server") }
        location = /a { root loc; }
    }
}
`})
	s := mustLoad(t, prefix).HTTP.Servers[0]
	u := s.Unmatched
	if u == nil {
		t.Fatal("no Unmatched configuration")
	}
	if u.Root != prefix+"srv" || !reflect.DeepEqual(u.Index, []string{"start.html"}) {
		t.Errorf("root %q index %q: want the server's", u.Root, u.Index)
	}
	if !reflect.DeepEqual(u.TryFiles, []string{"$uri", "/fallback"}) || s.Locations[0].TryFiles != nil {
		t.Errorf("try_files: unmatched %q, location %q", u.TryFiles, s.Locations[0].TryFiles)
	}
	if u.RewriteByLua == nil || u.RewriteByLua != s.RewriteByLua || u.LogByLua == nil || u.LogByLua != s.LogByLua {
		t.Errorf("Lua phases not the server's: %+v", u.LuaPhases)
	}
	if u.Pos != s.Pos || u.Rewrite != nil || u.Content != nil {
		t.Errorf("unmatched = %+v", u)
	}
	var seen []*LocationConf
	_ = s.EachLocation(func(l *LocationConf) error { seen = append(seen, l); return nil })
	if len(seen) != 2 || seen[0] != u || seen[1] != s.Locations[0] {
		t.Errorf("EachLocation visited %v", seen)
	}
}
