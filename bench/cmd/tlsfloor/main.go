// Command tlsfloor is the least a Go HTTPS keep-alive server can do per
// request: crypto/tls and the runtime's poller, one goroutine per
// connection that reads up to a blank line and writes a fixed response. No
// HTTP parsing, no handler, no Lua. Its server CPU per request, beside
// nginx+lua's and goresty's in the same rounds, is how much of goresty's
// cost is Go's own and how much is goresty's (bench/RESULTS.md, "HTTP/1.1
// CPU per request (session 3)").
//
//	GODEBUG=schedtrace=2147483647 tlsfloor -listen 127.0.0.1:8443 -cert t/cert/ecdsa.crt -key t/cert/ecdsa.key
//
// The GODEBUG setting is goresty's (cmd/goresty/run.go: sysmon kept out of
// its deep sleep); -procs is GOMAXPROCS (goresty's worker_processes).
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"log"
	"net"
	"runtime"
)

// response is what goresty answers to GET /lua in bench/'s configuration,
// with a fixed date.
var response = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Mon, 07 Dec 2026 17:00:00 GMT\r\n" +
	"Server: goresty\r\nContent-Length: 3\r\n\r\nok\n")

func main() {
	listen := flag.String("listen", "127.0.0.1:8443", "address")
	certFile := flag.String("cert", "t/cert/ecdsa.crt", "certificate (PEM)")
	keyFile := flag.String("key", "t/cert/ecdsa.key", "key (PEM)")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go serve(tls.Server(c, cfg))
	}
}

// serve answers every request (everything up to a blank line) on c.
func serve(c *tls.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
		for {
			i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
			if i < 0 {
				break
			}
			n = copy(buf, buf[i+4:n])
			if _, err := c.Write(response); err != nil {
				return
			}
		}
		if n == len(buf) {
			return // a header over 4 KB: not what this measures
		}
	}
}
