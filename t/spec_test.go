// Package spec runs the Test::Nginx-format specs t/*.t against goresty.
// See t/README.md.
package spec_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/t/runner"
)

var (
	buildOnce sync.Once
	binary    string
	binDir    string
	buildErr  error
	// output of "BINARY -V"
	versionOut string
)

// serverBinary returns TEST_NGINX_BINARY, or builds ./cmd/goresty once.
func serverBinary(t *testing.T) string {
	buildOnce.Do(func() {
		if b := os.Getenv("TEST_NGINX_BINARY"); b != "" {
			binary, buildErr = exec.LookPath(b)
		} else {
			binary = filepath.Join(binDir, "goresty")
			args := append([]string{"build"}, strings.Fields(os.Getenv("TEST_NGINX_BUILD_FLAGS"))...)
			cmd := exec.Command("go", append(args, "-o", binary, "./cmd/goresty")...)
			cmd.Dir = moduleRoot()
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &buildError{err: err, out: string(out)}
				return
			}
		}
		if buildErr != nil {
			return
		}
		if _, err := os.Stat(binary); err != nil {
			buildErr = err
			return
		}
		// Test::Nginx runs "nginx -V" first and gives up when it fails.
		out, err := exec.Command(binary, "-V").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: "\"" + binary + " -V\" failed:\n" + string(out)}
		}
		versionOut = string(out)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func moduleRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd) // go test runs in t/
}

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "goresty-specs-bin-")
	if err != nil {
		panic(err)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func options(t *testing.T) *runner.Options {
	base := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		base[k] = v
	}
	root := moduleRoot()
	base["TEST_NGINX_CERT_DIR"] = envOr("TEST_NGINX_CERT_DIR", filepath.Join(root, "t", "cert"))
	base["TEST_NGINX_REDIS_PORT"] = envOr("TEST_NGINX_REDIS_PORT", "6379")
	base["TEST_NGINX_MEMCACHED_PORT"] = envOr("TEST_NGINX_MEMCACHED_PORT", "11211")
	bin := serverBinary(t)
	base["TEST_NGINX_BINARY"] = bin
	o := &runner.Options{
		Binary:      bin,
		Env:         base,
		LoadModules: os.Getenv("TEST_NGINX_LOAD_MODULES"),
		LogLevel:    envOr("TEST_NGINX_LOG_LEVEL", "debug"),
		Timeout:     3 * time.Second,
		Sleep:       45 * time.Millisecond,
		Helpers:     &runner.Helpers{ModuleRoot: root, BinDir: binDir},
		Verbose:     os.Getenv("TEST_NGINX_VERBOSE") != "",
		NoClean:     os.Getenv("TEST_NGINX_NO_CLEAN") != "",
	}
	o.NginxVersion, o.OpenSSLVersion = runner.ParseVersions(versionOut)
	if s := os.Getenv("TEST_NGINX_REPEAT_EACH"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("bad TEST_NGINX_REPEAT_EACH %q", s)
		}
		o.RepeatEach = n
	}
	if s := os.Getenv("TEST_NGINX_TIMEOUT"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad TEST_NGINX_TIMEOUT %q", s)
		}
		o.Timeout = time.Duration(f * float64(time.Second))
	}
	if s := os.Getenv("TEST_NGINX_SLEEP"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad TEST_NGINX_SLEEP %q", s)
		}
		o.Sleep = time.Duration(3 * f * float64(time.Second))
	}
	return o
}

// statSources stats every Go source file of the module. go test caches a
// test's result keyed by the files the test opened or stat'ed inside the
// module; the goresty binary is built in a subprocess, so without this a
// change to the server's code would not invalidate a cached PASS.
// (With TEST_NGINX_BINARY, run with -count=1.)
func statSources(t *testing.T) {
	root := moduleRoot()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") || filepath.Base(path) == "go.mod" || filepath.Base(path) == "go.sum" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSpecSyntax checks every t/*.t without a server: it parses, and only
// supported sections are used. Fast: run it while writing specs.
func TestSpecSyntax(t *testing.T) {
	files, _ := filepath.Glob(envOr("TEST_NGINX_FILES", "*.t"))
	base := map[string]string{"TEST_NGINX_CERT_DIR": filepath.Join(moduleRoot(), "t", "cert"),
		"TEST_NGINX_REDIS_PORT": "6379", "TEST_NGINX_MEMCACHED_PORT": "11211", "TEST_NGINX_BINARY": "goresty"}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := base[k]; !ok {
			base[k] = v
		}
	}
	for _, f := range files {
		for _, err := range runner.LintFile(f, base) {
			t.Error(err)
		}
	}
}

// TestSpecs runs every t/*.t file (or those named in TEST_NGINX_FILES,
// space-separated globs relative to t/), files in parallel.
func TestSpecs(t *testing.T) {
	pattern := envOr("TEST_NGINX_FILES", "*.t")
	var files []string
	for _, p := range strings.Fields(pattern) {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 && strings.HasPrefix(p, "t/") {
			m, _ = filepath.Glob(strings.TrimPrefix(p, "t/"))
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no spec files match %q", pattern)
	}
	opts := options(t)
	if os.Getenv("TEST_NGINX_BINARY") == "" {
		statSources(t)
	}
	for _, f := range files {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			runner.RunFile(t, f, opts)
		})
	}
}
