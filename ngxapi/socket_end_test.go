package ngxapi

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/luavm"
)

// acceptServer hands every accepted connection to the test.
func acceptServer(t *testing.T) (int, <-chan net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 16)
	t.Cleanup(func() {
		l.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, conns
}

func accepted(t *testing.T, conns <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

// peerEOF reads from the server side of a connection: it must end with EOF
// (the cosocket was closed), after the bytes want.
func peerEOF(t *testing.T, c net.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("peer: %v after %q (the connection was not closed)", err, b)
	}
	if string(b) != want {
		t.Fatalf("peer read %q, want %q", b, want)
	}
}

// As in OpenResty, a cosocket connected by a light thread (request, hook,
// timer) and neither closed nor put in the keepalive pool is closed when
// that thread ends, however it ends; the peer sees EOF once Run returns.
func TestCosocketClosedAtThreadEnd(t *testing.T) {
	port, conns := acceptServer(t)
	vm := newH5VM(t, nil, 1)
	tests := []struct {
		name  string
		phase luavm.Phase
		src   string // %d: the port
		err   string
	}{
		{"return", luavm.PhaseContent, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a")`, ""},
		{"timer", luavm.PhaseTimer, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a")`, ""},
		{"fetch hook", luavm.PhaseSSLSessionFetch, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a")`, ""},
		{"ngx.socket.connect", luavm.PhaseContent, `local s = assert(ngx.socket.connect("127.0.0.1", %d)) s:send("a")`, ""},
		{"kept in a global table", luavm.PhaseContent, `package.loaded.kept = ngx.socket.tcp() assert(package.loaded.kept:connect("127.0.0.1", %d)) package.loaded.kept:send("a")`, ""},
		{"lua error", luavm.PhaseContent, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a") error("boom")`, "boom"},
		{"ngx.exit", luavm.PhaseTimer, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a") ngx.exit(0) out("not reached")`, ""},
		{"reconnected", luavm.PhaseContent, `local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", %d)) s:send("a") s:close() assert(s:connect("127.0.0.1", %[1]d))`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := vm.run(tc.phase, fmt.Sprintf(tc.src, port))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if len(out) != 0 {
				t.Fatalf("out %q", out)
			}
			peerEOF(t, accepted(t, conns), "a")
			if tc.name == "reconnected" {
				peerEOF(t, accepted(t, conns), "")
			}
		})
	}

	// A later request using the socket left by another: send gets
	// "closed" (and the closed-socket log line), connect "bad request".
	vm.expect(luavm.PhaseContent, `
local s = package.loaded.kept
out(s:send("x"))
out(s:receive())
out(s:close())
out(pcall(s.connect, s, "127.0.0.1", 1))
`, "nilclosed", "nilclosed", "nilclosed", "falsebad request")
	if !strings.Contains(vm.errorLog(), "attempt to send data on a closed socket") {
		t.Fatalf("log: %s", vm.errorLog())
	}

	// A socket made by one request and first connected by another is the
	// connecting request's: its end closes it.
	vm.expect(luavm.PhaseContent, `package.loaded.spare = ngx.socket.tcp() out("kept")`, "kept")
	vm.expect(luavm.PhaseContent, fmt.Sprintf(`local s = package.loaded.spare out(s:connect("127.0.0.1", %d)) out(s:send("b"))`, port), "1", "1")
	peerEOF(t, accepted(t, conns), "b")

	// close() and setkeepalive() release the connection: a pooled one stays
	// open for the next request, which leaves it open in turn: closed.
	vm.expect(luavm.PhaseContent, fmt.Sprintf(`
local s = ngx.socket.tcp()
out(s:connect("127.0.0.1", %d))
out(s:send("c"))
out(s:setkeepalive())
`, port), "1", "1", "1")
	c := accepted(t, conns)
	vm.expect(luavm.PhaseContent, fmt.Sprintf(`
local s = ngx.socket.tcp()
out(s:connect("127.0.0.1", %d))
out(s:getreusedtimes())
out(s:send("d"))
`, port), "1", "1", "1")
	peerEOF(t, c, "cd")
	select {
	case c := <-conns:
		t.Fatalf("unexpected connection from %v", c.RemoteAddr())
	default:
	}
}

// UDP sockets are closed at the end of the thread that set their peer.
func TestUDPClosedAtThreadEnd(t *testing.T) {
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseContent, fmt.Sprintf(`
package.loaded.u = ngx.socket.udp()
out(package.loaded.u:setpeername("127.0.0.1", %d))
out(package.loaded.u:send("x"))
`, uc.LocalAddr().(*net.UDPAddr).Port), "1", "1")
	vm.expect(luavm.PhaseContent, `
local u = package.loaded.u
out(u:send("y"))
out(u:close())
out(pcall(u.setpeername, u, "127.0.0.1", 1))
`, "nilclosed", "nilclosed", "falsebad request")
}
