package httpserver

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestFileFields: the ETag, Last-Modified and Content-Length of a file
// follow its modification time and size, whichever file was served
// before (lastFile holds one).
func TestFileFields(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, f := range []openFile{
		{mod: t0, size: 3},
		{mod: t0, size: 3}, // again: from lastFile
		{mod: t0, size: 4},
		{mod: t0.Add(time.Second), size: 4},
		{mod: t0.Add(time.Nanosecond), size: 4}, // the same second: nginx's ETag is the same
		{mod: time.Unix(0, 0), size: 5},
		{mod: t0, size: 3},
	} {
		etag, lm, length := fileFields(&f)
		wantLM := f.mod.UTC().Format(http.TimeFormat)
		if f.mod.Equal(time.Unix(0, 0)) {
			wantLM = ""
		}
		wantETag := `"` + strconv.FormatInt(f.mod.Unix(), 16) + "-" + strconv.FormatInt(f.size, 16) + `"`
		if etag != wantETag || lm != wantLM || length != strconv.FormatInt(f.size, 10) {
			t.Errorf("%v, %d bytes: %s %q %s, want %s %q %d", f.mod, f.size, etag, lm, length, wantETag, wantLM, f.size)
		}
	}
}
