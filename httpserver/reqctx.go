package httpserver

import (
	"context"
	"net/http"
	"reflect"
	"unsafe"
)

// withContext is r with ctx as its context, r itself: r.WithContext
// copies the whole Request (one allocation per request) because a
// Request may be shared; a request just parsed into its exchange is not.
// It needs net/http's unexported field (found by reflection, checked for
// its type); without it, it is r.WithContext.
func withContext(r *http.Request, ctx context.Context) *http.Request {
	if reqCtxOffset == 0 {
		return r.WithContext(ctx)
	}
	*(*context.Context)(unsafe.Add(unsafe.Pointer(r), reqCtxOffset)) = ctx
	return r
}

// reqCtxOffset is where http.Request keeps its context; 0 when it has no
// field ctx of type context.Context (Method comes first, at 0).
var reqCtxOffset = func() uintptr {
	f, ok := reflect.TypeFor[http.Request]().FieldByName("ctx")
	if !ok || f.Type != reflect.TypeFor[context.Context]() {
		return 0
	}
	return f.Offset
}()
