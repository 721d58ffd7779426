package ngxapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
)

// ngx.log and print write to the run's Request.Log when it has one, with
// that log's level deciding (the worker's log here is at info).
func TestLogToRequestLog(t *testing.T) {
	vm := newH5VM(t, nil, 1)
	src := `
ngx.log(ngx.DEBUG, "debug line")
ngx.log(ngx.WARN, "warn line")
print("print line")
ngx.log(ngx.ERR, "err line")`
	ch, err := luavm.CompileString(src, "content_by_lua(nginx.conf:40)")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level     errlog.Level
		in, notIn []string
	}{
		{errlog.Debug, []string{"[debug] ", "debug line", "[warn] ", "warn line", "[notice] ", "print line", "err line"}, nil},
		{errlog.Error, []string{"[error] ", "err line"}, []string{"debug line", "warn line", "print line"}},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "loc.log")
			own, err := errlog.New([]errlog.Target{{Path: path, Level: tc.level}})
			if err != nil {
				t.Fatal(err)
			}
			defer own.Close()
			before := vm.errorLog()
			r := vm.pool.Workers()[0].Run(&luavm.Request{Phase: luavm.PhaseContent, Chunk: ch, Log: own,
				Conn: &errlog.Conn{ID: 3, Client: "127.0.0.1"}})
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			b, _ := os.ReadFile(path)
			got := string(b)
			for _, s := range tc.in {
				if !strings.Contains(got, s) {
					t.Errorf("request log lacks %q:\n%s", s, got)
				}
			}
			for _, s := range tc.notIn {
				if strings.Contains(got, s) {
					t.Errorf("request log has %q:\n%s", s, got)
				}
			}
			if !strings.Contains(got, "*3 [lua] content_by_lua(nginx.conf:40):5: err line, client: 127.0.0.1") {
				t.Errorf("request log:\n%s", got)
			}
			if after := vm.errorLog(); after != before {
				t.Errorf("worker's log got lines: %q", after[len(before):])
			}
		})
	}
}
