package httpserver

import (
	"context"
	"net/http"
	"testing"
)

type ctxKeyTest struct{}

// TestWithContext: withContext gives r itself the context, as
// r.WithContext gives its copy; reqCtxOffset is found (a Go release that
// renames http.Request's field makes this fail, not goresty slower).
func TestWithContext(t *testing.T) {
	if reqCtxOffset == 0 {
		t.Fatal("http.Request has no field ctx of type context.Context")
	}
	r := &http.Request{Method: "GET"}
	ctx := context.WithValue(context.Background(), ctxKeyTest{}, "v")
	got := withContext(r, ctx)
	if got != r || r.Context() != ctx || r.Context().Value(ctxKeyTest{}) != "v" || r.Method != "GET" {
		t.Fatalf("withContext: %p for %p, context %v", got, r, r.Context())
	}
}
