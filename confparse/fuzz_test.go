package confparse

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the loader as the main configuration
// file: it must never panic or hang, and every failure must be one
// *Error on one printable line.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.conf")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(testNginxConf))
	f.Add([]byte(strings.Repeat("http {", 10000)))
	f.Add([]byte("http { init_by_lua_block { " + strings.Repeat("[[", 1000)))
	f.Add([]byte{0, 1, 2, 0xff, 0xfe, '{', '}', ';'})
	prefix := f.TempDir()
	os.MkdirAll(filepath.Join(prefix, "conf"), 0o755)
	os.MkdirAll(filepath.Join(prefix, "logs"), 0o755)
	conf := filepath.Join(prefix, "conf", "nginx.conf")
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		cfg, err := loadData(Options{Prefix: prefix, ConfFile: conf}, data)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %T: %v", err, err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r\x00") || !utf8.ValidString(msg) {
			t.Fatalf("unprintable error %q", msg)
		}
	})
}

func TestBadInput(t *testing.T) {
	prefix := writeConf(t, nil)
	conf := prefix + "conf/nginx.conf"
	for name, c := range map[string]struct {
		data string
		want string
	}{
		"binary":           {"\x7fELF\x02\x01\x01\x00\x00", `unexpected "\x7f" in ` + conf + ":1"},
		"invalid utf8":     {"\xff\xfe;\n", `unknown directive "\xff\xfe" in ` + conf + ":1"},
		"unterminated":     {"events {}\nhttp { server_tokens 'on; }\n", `unexpected end of file, expecting ";" or "}" in ` + conf + ":3"},
		"unterminated lua": {"http {\n init_by_lua_block {\n  x = '}'\n", `unexpected end of file, expecting terminating characters for lua code block in ` + conf + ":2"},
		"nested 10000":     {strings.Repeat("events {", 10000), `"events" directive is not allowed here in ` + conf + ":1"},
		"nested server":    {"http { server {" + strings.Repeat("location / {", 10000), "too many nested blocks (more than 100) in " + conf + ":1"},
		"include self":     {"include nginx.conf;\n", `include loop: "` + conf + `" is already being included in ` + conf + ":1"},
		"include fifo":     {"include /dev/stdin;\n", `"/dev/stdin" is not a regular file in ` + conf + ":1"},
		"cert fifo":        {"http { ssl_certificate /dev/stdin; }\n", `"/dev/stdin" is not a regular file in ` + conf + ":1"},
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(conf, []byte(c.data), 0o644)
			done := make(chan error, 1)
			go func() { _, err := Load(Options{Prefix: prefix}); done <- err }()
			select {
			case err := <-done:
				if err == nil || err.Error() != c.want {
					t.Fatalf("got  %v\nwant %s", err, c.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("hang")
			}
		})
	}
}
