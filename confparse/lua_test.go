package confparse

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestLuaBlocksGolden checks that *_by_lua_block bodies are captured
// verbatim, with the right chunk name and line, whatever braces their
// strings, comments and long brackets hold.
func TestLuaBlocksGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/lua/*.conf")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, _ := filepath.Abs(f)
			cfg, err := Load(Options{Prefix: filepath.Dir(abs), ConfFile: abs})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, c := range cfg.Lua {
				fmt.Fprintf(&b, "== %s (%s:%d)\n%s\n== end\n", c.Name, filepath.Base(c.Pos.File), c.Pos.Line, c.Source)
			}
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}
