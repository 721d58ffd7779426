package ngxapi

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A raw request connection closed with client input still unread ends with
// a FIN (the client reads EOF), as nginx's lingering close, not a reset;
// the server side is closed once the client closes.
func TestLingerConnCloseUnreadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	// the server reads one byte, then waits for the rest to arrive unread
	one := make([]byte, 1)
	if _, err := server.Read(one); err != nil {
		t.Fatal(err)
	}
	lc := &lingerConn{Conn: server}
	if err := lc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := lc.Close(); err != net.ErrClosed {
		t.Fatalf("second Close: %v, want net.ErrClosed", err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(make([]byte, 10)); err != io.EOF {
		t.Fatalf("client read after close: %d, %v; want EOF", n, err)
	}
	// the client's next write still lands; its close ends the drain
	if _, err := client.Write([]byte("more")); err != nil {
		t.Fatalf("client write while lingering: %v", err)
	}
	client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// a read on a closed net.Conn fails with net.ErrClosed
		if _, err := server.Read(one); errors.Is(err, net.ErrClosed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server side not closed after the client closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
