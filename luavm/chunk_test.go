package luavm

import (
	"strings"
	"testing"
)

// LuaJIT's lj_debug_shortname with LUA_IDSIZE 60: a file's path is kept
// below 60 bytes, from 60 on it is "..." and its last 56 bytes; a "=name"
// keeps 59 bytes; the whole chunk name ("@path") is found again from the
// short one.
func TestChunkNamesAsLuaJIT(t *testing.T) {
	p59 := "/" + strings.Repeat("a", 54) + ".lua"
	p60 := "/" + strings.Repeat("b", 55) + ".lua"
	if got := FileSource(p59); got != p59 {
		t.Errorf("59 bytes: %q", got)
	}
	short := FileSource(p60)
	if want := "..." + p60[4:]; short != want || len(short) != 59 {
		t.Errorf("60 bytes: %q, want %q", short, want)
	}
	if got := chunkSource(short); got != "@"+p60 {
		t.Errorf("source of %q: %q", short, got)
	}
	if got := chunkSource(p59); got != "@"+p59 {
		t.Errorf("source of %q: %q", p59, got)
	}
	if got := chunkSource(FileSource("./rel.lua")); got != "@./rel.lua" {
		t.Errorf("relative source: %q", got)
	}
	if got := chunkSource("content_by_lua(nginx.conf:41)"); got != "=content_by_lua(nginx.conf:41)" {
		t.Errorf("inline source: %q", got)
	}
	for name, want := range map[string]string{
		"=" + strings.Repeat("n", 70): strings.Repeat("n", 59),
		"=short":                      "short",
		"@" + p60:                     short,
		"@" + p59:                     p59,
	} {
		if got := chunkName("", name, false); got != want {
			t.Errorf("chunkName(%q) = %q, want %q", name, got, want)
		}
	}
}
