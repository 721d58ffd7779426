package httpserver

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/goresty/goresty/confparse"
)

func TestWritePIDReplacesSymlink(t *testing.T) {
	prefix := t.TempDir() + "/"
	cfg := &confparse.Config{Prefix: prefix}
	cfg.Main.PID = prefix + "logs/nginx.pid"
	// The default location's directory is made when missing.
	if err := writePID(cfg); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.Remove(cfg.Main.PID)
	if err := os.Symlink(victim, cfg.Main.PID); err != nil {
		t.Fatal(err)
	}
	if err := writePID(cfg); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("symlink target written: %q", b)
	}
	st, err := os.Lstat(cfg.Main.PID)
	if err != nil || st.Mode()&os.ModeSymlink != 0 {
		t.Fatalf("pid file still a symlink: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(cfg.Main.PID); string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("pid file %q", b)
	}
	if ents, _ := os.ReadDir(prefix + "logs"); len(ents) != 1 {
		t.Fatalf("left temporary files: %v", ents)
	}
	// Elsewhere a missing directory is an error, as in nginx.
	cfg.Main.PID = prefix + "run/x.pid"
	if err := writePID(cfg); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
