package errlog

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLineFormatAndFiltering(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	l, err := New([]Target{{Path: path, Level: Warn}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.now = func() time.Time { return time.Date(2026, 11, 24, 2, 44, 9, 0, time.Local) }
	w := l.ForWorker(3)

	w.LogConn(Error, &Conn{ID: 5, Context: "ssl_session_store_by_lua*", Client: "127.0.0.1", Server: "0.0.0.0:443"}, "boom")
	w.Log(Info, "dropped: below warn")
	w.Logf(Warn, "n=%d", 7)
	w.LogConn(Error, &Conn{Client: "127.0.0.1", Request: "GET / HTTP/1.1", Host: "a.test"}, "bad")
	w.LogConn(Error, &Conn{Client: "127.0.0.1", InRequest: true, Request: "GET / HTTP/1.1", Host: "a.test"}, "nameless")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	want := []string{
		"2026/11/24 02:44:09 [error] " + strconv.Itoa(pid) + "#3: *5 boom, context: ssl_session_store_by_lua*, client: 127.0.0.1, server: 0.0.0.0:443",
		"2026/11/24 02:44:09 [warn] " + strconv.Itoa(pid) + "#3: n=7",
		`2026/11/24 02:44:09 [error] ` + strconv.Itoa(pid) + `#3: bad, client: 127.0.0.1, request: "GET / HTTP/1.1", host: "a.test"`,
		// a request's line names its server block even without a name, as nginx's
		`2026/11/24 02:44:09 [error] ` + strconv.Itoa(pid) + `#3: nameless, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", host: "a.test"`,
	}
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w.Enabled(Info) || !w.Enabled(Warn) {
		t.Fatal("Enabled must follow the least severe target level")
	}
}

func TestReopenFollowsRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	l, err := New([]Target{{Path: path, Level: Notice}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Log(Notice, "before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log(Notice, "after")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "before") || strings.Contains(string(old), "after") || !strings.Contains(string(cur), "after") {
		t.Fatalf("old=%q new=%q", old, cur)
	}
}

func TestOpenFailureUsesNginxWording(t *testing.T) {
	_, err := New([]Target{{Path: "/nonexistent-dir/x/error.log", Level: Error}})
	if err == nil || !regexp.MustCompile(`^open\(\) "/nonexistent-dir/x/error.log" failed \(2: No such file or directory\)$`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseLevelAndErrno(t *testing.T) {
	for _, name := range []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"} {
		l, ok := ParseLevel(name)
		if !ok || l.String() != name {
			t.Fatalf("ParseLevel(%q) = %v, %v", name, l, ok)
		}
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Fatal("unknown level accepted")
	}
	if got := ErrnoText(syscall.EACCES); got != "13: Permission denied" {
		t.Fatalf("ErrnoText = %q", got)
	}
}
