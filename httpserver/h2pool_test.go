package httpserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestH2StreamReuse: streams are pooled with their request, header map
// and context (h2Streams), and a request sees nothing of an earlier
// one's: not its header fields, not what its handler set on the
// request; a context whose Done channel a handler took (as
// context.WithCancel and proxy_pass's Transport do) stays canceled after
// later requests, its stream never used again.
func TestH2StreamReuse(t *testing.T) {
	var watched []context.Context
	c := h2Pipe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var seen []string
		for k := range r.Header {
			if strings.HasPrefix(k, "X-") {
				seen = append(seen, k)
			}
		}
		if r.Form != nil || r.Trailer != nil || r.ContentLength != 0 {
			seen = append(seen, "request state left over")
		}
		if r.Context().Err() != nil {
			seen = append(seen, "context canceled")
		}
		r.Form = map[string][]string{"a": {"1"}}
		r.Header.Set("X-Set-By-Handler", "1")
		if r.URL.Path == "/take" {
			r.Context().Done()
			watched = append(watched, r.Context())
		}
		io.WriteString(w, strings.Join(seen, ","))
	}))
	get := func(path string, hdr ...string) string {
		t.Helper()
		resp, err := h2Req{method: "GET", path: path, hdr: hdr}.do(c, "https://test.com")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for i := 0; i < 20; i++ {
		if s := get("/a", "X-Only-First", "1"); s != "X-Only-First" {
			t.Fatalf("request %d with X-Only-First saw %q", i, s)
		}
		if s := get("/take"); s != "" {
			t.Fatalf("request %d after one with X-Only-First saw %q", i, s)
		}
		if s := get("/b"); s != "" {
			t.Fatalf("request %d after /take saw %q", i, s)
		}
	}
	for i, ctx := range watched {
		select {
		case <-ctx.Done():
		default:
			t.Fatalf("context of /take %d: Done open after its stream ended", i)
		}
		if ctx.Err() != context.Canceled {
			t.Fatalf("context of /take %d: Err %v after its stream ended", i, ctx.Err())
		}
	}
}
