// Command h1proto is a measuring stick for issue 18, not a server: the same
// TLS keep-alive HTTP/1.1 answer ("ok\n") served by net/http and by a lean
// loop of our own, to see what net/http itself costs per idle connection
// and per request before building a lean path into goresty.
//
//	h1proto -mode nethttp|lean|lean-fresh -listen 127.0.0.1:21997 -cert t/cert/ecdsa
//
// nethttp: http.Server over tls.Listener (as goresty serves HTTP/1.1).
// lean: one goroutine per connection; a request is read into a pooled 4 KB
// buffer and answered from it, the buffer goes back to the pool before the
// connection waits for its next request, and the wait is for readability
// only (syscall.RawConn.Read), as nginx waits with no buffer.
// lean-fresh: as lean, but the connection waits in a new goroutine, whose
// stack is the minimum, and the one that served the request ends.
//
// It serves only GET requests without a body and answers nothing else
// correctly: enough for wrk, h2load -h1 and bench/cmd/idlehold. -stats
// (plain HTTP) reports goroutines, heap and stack bytes.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

const answer = "HTTP/1.1 200 OK\r\nServer: h1proto\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"

func main() {
	mode := flag.String("mode", "nethttp", "nethttp, lean or lean-fresh")
	addr := flag.String("listen", "127.0.0.1:21997", "HTTPS `address`")
	stats := flag.String("stats", "127.0.0.1:21998", "plain HTTP `address` of the memory figures")
	cert := flag.String("cert", "t/cert/ecdsa", "certificate and key: `prefix`.crt, prefix.key")
	flag.Parse()
	kp, err := tls.LoadX509KeyPair(*cert+".crt", *cert+".key")
	if err != nil {
		fmt.Fprintln(os.Stderr, "h1proto:", err)
		os.Exit(1)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}, NextProtos: []string{"http/1.1"}}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "h1proto:", err)
		os.Exit(1)
	}
	go http.ListenAndServe(*stats, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(w, "goroutines %d heap_inuse %d stack_inuse %d\n", runtime.NumGoroutine(), ms.HeapInuse, ms.StackInuse)
	}))
	switch *mode {
	case "nethttp":
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("ok\n"))
		})}
		srv.Serve(tls.NewListener(ln, cfg))
	case "lean", "lean-fresh":
		fresh := *mode == "lean-fresh"
		for {
			c, err := ln.Accept()
			if err != nil {
				continue
			}
			rc, err := c.(*net.TCPConn).SyscallConn()
			if err != nil {
				c.Close()
				continue
			}
			tc := tls.Server(c, cfg)
			go func() {
				if tc.Handshake() != nil {
					tc.Close()
					return
				}
				serve(tc, rc, fresh)
			}()
		}
	default:
		fmt.Fprintln(os.Stderr, "h1proto: -mode nethttp, lean or lean-fresh")
		os.Exit(2)
	}
}

// serve answers requests until the connection fails; with fresh, it hands
// the wait for the next request to a new goroutine and returns.
func serve(c *tls.Conn, rc interface {
	Read(func(uintptr) bool) error
}, fresh bool) {
	for {
		if !answerOne(c) {
			c.Close()
			return
		}
		if fresh {
			go func() {
				if waitReadable(rc) != nil {
					c.Close()
					return
				}
				serve(c, rc, true)
			}()
			return
		}
		if waitReadable(rc) != nil {
			c.Close()
			return
		}
	}
}

// answerOne reads one request header into a pooled buffer and answers it.
func answerOne(c *tls.Conn) bool {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := *bp
	n := 0
	for !bytes.Contains(b[:n], []byte("\r\n\r\n")) {
		if n == len(b) {
			return false
		}
		m, err := c.Read(b[n:])
		if err != nil {
			return false
		}
		n += m
	}
	_, err := c.Write(append(b[:0], answer...))
	return err == nil
}

// waitReadable parks until the socket is readable, holding no buffer:
// RawConn.Read calls f again once the poller says so.
func waitReadable(rc interface {
	Read(func(uintptr) bool) error
}) error {
	waited := false
	return rc.Read(func(uintptr) bool {
		done := waited
		waited = true
		return done
	})
}
