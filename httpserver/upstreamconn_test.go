package httpserver

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestUpstreamConnSendTimeout: a write the upstream does not take ends at
// proxy_send_timeout with a timeout error.
func TestUpstreamConnSendTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := wrapUpstream(context.WithValue(context.Background(), upstreamIOKey{}, upstreamIO{sendTimeout: 50 * time.Millisecond}), a)
	_, err := c.Write(make([]byte, 1<<20)) // nobody reads b
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write error %v, want a deadline error", err)
	}
}

// TestUpstreamConnHTTP10: proxy_http_version 1.0 sends the first request
// line as HTTP/1.0 and leaves the rest, and later writes, alone.
func TestUpstreamConnHTTP10(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	c := wrapUpstream(context.WithValue(context.Background(), upstreamIOKey{}, upstreamIO{http10: true}), a)
	req := "GET /x HTTP/1.1\r\nHost: h\r\nX: HTTP/1.1\r\n\r\n"
	go func() {
		c.Write([]byte(req))
		c.Write([]byte("GET /y HTTP/1.1\r\n"))
		a.Close()
	}()
	got, _ := io.ReadAll(b)
	want := "GET /x HTTP/1.0\r\nHost: h\r\nX: HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n"
	if string(got) != want {
		t.Fatalf("upstream read %q, want %q", got, want)
	}
}
