package httpserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// rawPair is a quietConn over loopback TCP with its raw socket, and the
// peer's end.
func rawPair(t *testing.T) (*quietConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	qc := &quietConn{Conn: c, raw: newRawSock(c)}
	if qc.raw == nil {
		t.Fatal("no raw socket for a TCP connection")
	}
	t.Cleanup(func() { qc.Close(); peer.Close() })
	return qc, peer
}

// TestRawSockReadWrite: the raw reads and writes give what net.Conn's
// give: the bytes (a write larger than the socket buffers waits for the
// peer to read), io.EOF, a timeout error at the read deadline, net.ErrClosed
// on a closed connection, and the system call's error (ECONNRESET).
func TestRawSockReadWrite(t *testing.T) {
	qc, peer := rawPair(t)
	// a write the peer must drain first: the EAGAIN path
	big := bytes.Repeat([]byte("0123456789abcdef"), rawMax/16)
	for i := 0; i < 2; i++ { // the second time above rawMax: net.Conn's own write
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(io.LimitReader(peer, int64(len(big)))); got <- b }()
		if n, err := qc.Write(big); n != len(big) || err != nil {
			t.Fatalf("write %d bytes: %d, %v", len(big), n, err)
		}
		if b := <-got; !bytes.Equal(b, big) {
			t.Fatalf("peer read %d bytes, not what was written", len(b))
		}
		big = append(big, big...)
	}
	peer.Write([]byte("hello"))
	buf := make([]byte, 64)
	if n, err := qc.Read(buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read: %q, %v", buf[:n], err)
	}
	qc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := qc.Read(buf); !isTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	} else if oe, ok := err.(*net.OpError); !ok || oe.Op != "read" {
		t.Fatalf("read past the deadline: %#v, want a read OpError", err)
	}
	qc.SetReadDeadline(time.Time{})
	peer.Close()
	if n, err := qc.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v", n, err)
	}
	// the peer is gone: a write finds the reset (as net.Conn, maybe on
	// the second write)
	var err error
	for until := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(until); {
		if _, err = qc.Write([]byte("x")); err == nil {
			time.Sleep(time.Millisecond) // polling for the peer's reset
		}
	}
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("write to a closed peer: %v", err)
	}
	qc.Close()
	if _, err := qc.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed connection: %v", err)
	}
	if _, err := qc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed connection: %v", err)
	}
}
