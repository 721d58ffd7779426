package tlssession

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// A fetch hook stuck in a cosocket receive on a server that never answers
// (no Lua timeout short enough to help) is ended at the handshake
// deadline: the handshake falls back to a full one by then, the light
// thread ends (no thread left on any worker), its cosocket connection is
// closed (the server sees EOF), one [error] line says why, and a graceful
// stop has nothing to wait for.
func TestLuaFetchDeadlineEndsThread(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			eof := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				b, _ := io.ReadAll(c) // never answers; returns at EOF
				eof <- string(b)
			}()
			fetch := fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeout(3600000)
local ok, err = sock:connect("127.0.0.1", %d)
if not ok then ngx.log(ngx.ERR, "connect: ", err) return end
sock:send("get session\n")
local line, err = sock:receive()
ngx.log(ngx.ERR, "not reached: ", line, " ", err)
`, ln.Addr().(*net.TCPAddr).Port)
			e := newLuaEnv(t, storeLua, fetch, nil)
			srv := e.server(nil, "a")
			var deadline time.Time
			listener := &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				deadline = time.Now().Add(time.Second)
				s := &ConnSession{Log: &errlog.Conn{ID: 9, Client: "192.0.2.7", Server: "0.0.0.0:443"}, Deadline: deadline}
				return e.m.ForConn(srv, s), nil
			}}
			cli := client(t, ver.v)
			if handshake(t, listener, cli) {
				t.Fatal("first handshake resumed")
			}
			if handshake(t, listener, cli) {
				t.Fatal("resumed without the fetch hook")
			}
			if late := time.Since(deadline); late > 500*time.Millisecond {
				t.Fatalf("handshake ended %v after its deadline", late)
			}
			select {
			case got := <-eof:
				if got != "get session\n" {
					t.Fatalf("server got %q", got)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("the cosocket connection was not closed")
			}
			for _, w := range e.pool.Workers() {
				n := make(chan int)
				w.Post(func() { n <- w.Threads() })
				if c := <-n; c != 0 {
					t.Fatalf("worker %d: %d light threads left", w.ID, c)
				}
			}
			if n := e.c.FetchErrors.Load(); n != 1 {
				t.Errorf("FetchErrors = %d", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			e.pool.Shutdown(ctx)
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Fatalf("graceful Shutdown took %v", d)
			}
			log := e.errorLog()
			if n := strings.Count(log, "[error]"); n != 1 || !strings.Contains(log,
				"*9 ssl_session_fetch_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up, context: ssl_session_fetch_by_lua*, client: 192.0.2.7, server: 0.0.0.0:443") {
				t.Fatalf("want one [error] line, log:\n%s", log)
			}
		})
	}
}
