package confparse

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allContexts are the contexts a directive is tried in, with the
// configuration that puts a statement there.
var allContexts = []struct {
	name string
	conf func(stmt string, events bool) string
}{
	{"main", func(s string, events bool) string {
		if events {
			return s + "\nevents {}\n"
		}
		return s + "\n"
	}},
	{"events", func(s string, _ bool) string { return "events { " + s + " }\n" }},
	{"http", func(s string, _ bool) string { return "events {}\nhttp { " + s + " }\n" }},
	{"server", func(s string, _ bool) string {
		return "events {}\nhttp { server { listen 127.0.0.1:1984; " + s + " } }\n"
	}},
	{"location", func(s string, _ bool) string {
		return "events {}\nhttp { server { listen 127.0.0.1:1984; location / { " + s + " } } }\n"
	}},
	{"upstream", func(s string, _ bool) string {
		return "events {}\nhttp { upstream u { server 127.0.0.1:1; " + s + " } }\n"
	}},
	{"if in server", func(s string, _ bool) string {
		return "events {}\nhttp { server { listen 127.0.0.1:1984; if ($host) { " + s + " } } }\n"
	}},
	{"if in location", func(s string, _ bool) string {
		return "events {}\nhttp { server { listen 127.0.0.1:1984; location / { if ($host) { " + s + " } } } }\n"
	}},
}

// contextStmt writes directive d with the fewest arguments it takes (their
// values do not matter: the context is checked before them, in nginx as here).
func contextStmt(d DirectiveInfo) string {
	s := d.Name + strings.Repeat(" x", d.MinArgs)
	switch d.Name {
	case "location":
		s = "location /"
	case "if":
		s = "if ($host)"
	}
	if d.Block {
		return s + " { }"
	}
	return s + ";"
}

// notInPeer are the directives Debian's nginx (1.22 + lua-nginx-module)
// does not know, and why.
var notInPeer = map[string]string{
	"http2":                "added in nginx 1.25.1 (contexts http, server)",
	"lua_content_timeout":  "goresty's own",
	"lua_hook_timeout":     "goresty's own",
	"lua_max_memory":       "goresty's own",
	"lua_max_string_size":  "goresty's own",
	"ssl_session_metrics":  "goresty's own",
	"ssl_session_seal_key": "goresty's own",
}

// contextCases runs check for every directive in every context; want says
// whether the directive table allows it there.
func contextCases(t *testing.T, check func(t *testing.T, d DirectiveInfo, ctx, conf string, want bool)) {
	dirs := Directives()
	if len(dirs) < 50 {
		t.Fatalf("only %d directives", len(dirs))
	}
	// a name may have a row per context family ("server" in http and in
	// upstream): each row's form is allowed where any row of the name is
	union := map[string][]string{}
	for _, d := range dirs {
		union[d.Name] = append(union[d.Name], d.Contexts...)
	}
	for _, d := range dirs {
		t.Run(d.Name, func(t *testing.T) {
			for _, c := range allContexts {
				conf := c.conf(contextStmt(d), d.Name != "events")
				check(t, d, c.name, conf, slices.Contains(union[d.Name], c.name))
			}
		})
	}
}

func notAllowed(name, out string) bool {
	return strings.Contains(out, `"`+name+`" directive is not allowed here`)
}

// TestContexts: every directive is accepted exactly in the contexts the
// directive table gives it.
func TestContexts(t *testing.T) {
	dir := t.TempDir()
	contextCases(t, func(t *testing.T, d DirectiveInfo, ctx, conf string, want bool) {
		_, err := loadData(Options{Prefix: dir, ConfFile: filepath.Join(dir, "nginx.conf")}, []byte(conf))
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if notAllowed(d.Name, msg) == want {
			t.Errorf("in %s: allowed %v, got %q\n%s", ctx, want, msg, conf)
		}
	})
}

// TestContextsMatchNginx: Debian's nginx with the lua module allows each
// directive in exactly the contexts of goresty's table.
func TestContextsMatchNginx(t *testing.T) {
	const luaMod = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed")
	}
	if _, err := os.Stat(luaMod); err != nil {
		t.Skip("libnginx-mod-http-lua not installed")
	}
	tmp := t.TempDir()
	globals := "load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module " + luaMod +
		"; pid " + tmp + "/nginx.pid; error_log " + tmp + "/error.log;"
	conf := filepath.Join(tmp, "nginx.conf")
	contextCases(t, func(t *testing.T, d DirectiveInfo, ctx, text string, want bool) {
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(nginx, "-t", "-q", "-p", tmp+"/", "-c", conf, "-g", globals).CombinedOutput()
		unknown := strings.Contains(string(out), `unknown directive "`+d.Name+`"`)
		if why, ok := notInPeer[d.Name]; ok {
			if !unknown {
				t.Errorf("nginx knows %s (listed as %q): %s", d.Name, why, out)
			}
			return
		}
		if unknown {
			t.Fatalf("nginx does not know %s; if that is expected, list it in notInPeer", d.Name)
		}
		if notAllowed(d.Name, string(out)) == want {
			t.Errorf("in %s: goresty allows: %v, nginx says: %s\n%s", ctx, want, out, text)
		}
	})
}

// acceptCases are testdata/accept/*.conf: configurations nginx accepts
// (checked with Debian's nginx unless a "# nginx: skip" line says otherwise),
// which goresty must accept too.
func acceptCases(t *testing.T) []string {
	files, _ := filepath.Glob("testdata/accept/*.conf")
	if len(files) == 0 {
		t.Fatal("no accept cases")
	}
	return files
}

func TestAccepted(t *testing.T) {
	for _, f := range acceptCases(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, _ := filepath.Abs(f)
			if _, err := Load(Options{Prefix: t.TempDir(), ConfFile: abs}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAcceptedMatchNginx(t *testing.T) {
	const luaMod = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed")
	}
	if _, err := os.Stat(luaMod); err != nil {
		t.Skip("libnginx-mod-http-lua not installed")
	}
	tmp := t.TempDir()
	globals := "load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module " + luaMod +
		"; pid " + tmp + "/nginx.pid; error_log " + tmp + "/error.log;"
	for _, f := range acceptCases(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), "\n# nginx: skip\n") {
				t.Skip("nginx: skip")
			}
			abs, _ := filepath.Abs(f)
			if out, err := exec.Command(nginx, "-t", "-q", "-p", tmp+"/", "-c", abs, "-g", globals).CombinedOutput(); err != nil {
				t.Fatalf("nginx refuses it: %s", out)
			}
		})
	}
}
