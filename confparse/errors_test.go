package confparse

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// errorCase is one testdata/errors/*.conf file. Its first two lines are
//
//	# want: <Error() text, $DIR = testdata/errors as an absolute path, $REPO = the repository root>
//	# nginx: same|differs    (same: real nginx -t prints this very message)
type errorCase struct {
	name, path, want string
	nginxSame        bool
}

func errorCases(t *testing.T) []errorCase {
	t.Helper()
	dir, _ := filepath.Abs("testdata/errors")
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	if len(files) < 50 {
		t.Fatalf("only %d error cases", len(files))
	}
	var out []errorCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(b), "\n", 3)
		want, ok1 := strings.CutPrefix(lines[0], "# want: ")
		ng, ok2 := strings.CutPrefix(lines[1], "# nginx: ")
		if !ok1 || !ok2 {
			t.Fatalf("%s: missing header", f)
		}
		out = append(out, errorCase{
			name: strings.TrimSuffix(filepath.Base(f), ".conf"), path: f,
			want: strings.ReplaceAll(strings.ReplaceAll(want, "$DIR", dir), "$REPO", filepath.Join(dir, "..", "..", "..")), nginxSame: ng == "same",
		})
	}
	return out
}

var posSuffix = regexp.MustCompile(` in (/[^ ]+):(\d+)$`)

// TestErrors checks every error's message, file and line.
func TestErrors(t *testing.T) {
	for _, c := range errorCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(Options{Prefix: filepath.Dir(c.path), ConfFile: c.path})
			if err == nil {
				t.Fatalf("no error, want %s", c.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *confparse.Error", err)
			}
			if err.Error() != c.want {
				t.Fatalf("got  %s\nwant %s", err, c.want)
			}
			m := posSuffix.FindStringSubmatch(c.want)
			if m == nil {
				t.Fatalf("want has no file:line")
			}
			line, _ := strconv.Atoi(m[2])
			if ce.Pos.File != m[1] || ce.Pos.Line != line {
				t.Fatalf("Pos = %v, want %s:%d", ce.Pos, m[1], line)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error")
			}
		})
	}
}

// TestErrorsMatchNginx runs the real nginx (with Debian's lua module) on
// every case marked "same" and checks that it prints the same message.
func TestErrorsMatchNginx(t *testing.T) {
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
	stamp := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: `)
	n := 0
	for _, c := range errorCases(t) {
		if !c.nginxSame {
			continue
		}
		n++
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(nginx, "-t", "-q", "-p", tmp+"/", "-c", c.path, "-g", globals)
			out, _ := cmd.CombinedOutput()
			first, _ := bufio.NewReader(bytes.NewReader(out)).ReadString('\n')
			got := stamp.ReplaceAllString(strings.TrimSpace(first), "")
			if got != c.want {
				t.Fatalf("nginx: %s\nours:  %s", got, c.want)
			}
		})
	}
	if n < 50 {
		t.Fatalf("only %d cases compared with nginx", n)
	}
}
