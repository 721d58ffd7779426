package httpserver

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// Waiting for readability on the socket is only right when crypto/tls
// holds nothing already read from it: a client may send two requests in
// two records that arrive together, and tls.Conn.Read returns one record
// at a time, keeping the other in its buffers, where the poller cannot see
// it. crypto/tls has no method that says so; its two buffers are found by
// name and type once, at start, and read (not changed) only by the
// connection's own goroutine. Should a Go release rename them, the lean
// loop waits by reading one byte through tls.Conn instead (correct, with a
// deeper stack while idle); TestTLSInputKnown fails then, so the change
// is noticed.
var tlsInputOff, tlsRawInputOff, tlsInputKnown = tlsBufferOffsets()

func tlsBufferOffsets() (input, rawInput uintptr, ok bool) {
	t := reflect.TypeFor[tls.Conn]()
	in, ok1 := t.FieldByName("input")
	raw, ok2 := t.FieldByName("rawInput")
	if !ok1 || !ok2 || in.Type != reflect.TypeFor[bytes.Reader]() || raw.Type != reflect.TypeFor[bytes.Buffer]() {
		return 0, 0, false
	}
	return in.Offset, raw.Offset, true
}

// tlsInputBuffered is whether c holds bytes read from the socket that
// Read has not returned yet (only when tlsInputKnown).
func tlsInputBuffered(c *tls.Conn) bool {
	p := unsafe.Pointer(c)
	return (*bytes.Reader)(unsafe.Add(p, tlsInputOff)).Len() > 0 ||
		(*bytes.Buffer)(unsafe.Add(p, tlsRawInputOff)).Len() > 0
}
