package httpserver

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
)

// BenchmarkKeepAliveTLS is the keep-alive request row of bench/ in one
// process (for profiles): 8 TLS 1.3 connections, each sending GET /lua
// (content_by_lua ngx.say) or GET /static.txt one after the other.
func BenchmarkKeepAliveTLS(b *testing.B) {
	for _, path := range []string{"/lua", "/static.txt"} {
		b.Run(path[1:], func(b *testing.B) {
			_, secure, prefix := startServer(b, `
    access_log off;
    server {
        listen 127.0.0.1:%[2]d ssl;
        ssl_certificate %[3]s/ecdsa.crt;
        ssl_certificate_key %[3]s/ecdsa.key;
        root html;
        keepalive_requests 1000000;
        location = /lua { content_by_lua_block { ngx.say("ok") } }
        location / {}
    }`, 0)
			if err := os.WriteFile(prefix+"html/static.txt", []byte("ok\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			const conns = 8
			var wg sync.WaitGroup
			per := b.N/conns + 1
			b.ResetTimer()
			for i := 0; i < conns; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", secure))
					if err != nil {
						b.Error(err)
						return
					}
					c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
					defer c.Close()
					br := bufio.NewReader(c)
					req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
					for j := 0; j < per; j++ {
						if _, err := c.Write(req); err != nil {
							b.Error(err)
							return
						}
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
