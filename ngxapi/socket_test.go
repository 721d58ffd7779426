package ngxapi

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
)

// scriptServer accepts loopback TCP connections and hands each to fn.
func scriptServer(t *testing.T, fn func(c net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, l, fn)
	return l.Addr().(*net.TCPAddr).Port
}

// serveConns hands each connection l accepts to fn, on its own goroutine,
// and closes the connection after fn; l is closed at the test's end.
func serveConns(t *testing.T, l net.Listener, fn func(c net.Conn)) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); fn(c) }()
		}
	}()
}

func TestCosocketReceivePatterns(t *testing.T) {
	port := scriptServer(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.Fields(line + " x")[0]
			switch cmd {
			case "lines":
				io.WriteString(c, "first\r\nsec\rond\nthird")
				return
			case "bytes":
				io.WriteString(c, "0123456789")
			case "until":
				io.WriteString(c, "hello--boundaryworld--boundary--bou")
				return
			case "any":
				io.WriteString(c, "abc")
			case "nums":
				io.WriteString(c, line)
			case "silent":
			}
		}
	})
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeout(2000)
local ok, err = sock:connect("127.0.0.1", %d)
out("connect ", ok, " ", err)
out("reused ", sock:getreusedtimes())
out("send ", sock:send({"by", {"tes", "\n"}}))
out(sock:receive(4)) out(sock:receive("6"))
out("send ", sock:send("any\n"))
out(sock:receiveany(10))
sock:send({"nums ", 1, " ", 2.5, "\n"})
out(sock:receive("*l"))
sock:send("lines\n")
out(sock:receive()) out(sock:receive("*l"))
local data, err, partial = sock:receive()
out(data, " ", err, " ", partial)
out(sock:close())
out(sock:send("x"))
`, port),
		"connect 1 nil", "reused 0", "send 6", "0123", "456789", "send 4", "abc",
		"nums 1 2.5", "first", "second", "nil closed third", "1", "nilclosed")

	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeout(2000)
assert(sock:connect("127.0.0.1", %d))
sock:send("until\n")
local r = sock:receiveuntil("--boundary")
out(r()) out(r())
local data, err, partial = r()
out(data, " ", err, " ", partial)
`, port), "hello", "world", "nil closed --bou")

	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeout(2000)
assert(sock:connect("127.0.0.1", %d))
sock:send("until\n")
local r = sock:receiveuntil("--boundary", {inclusive = true})
out(r(3)) out(r(3)) out(r(3)) out(r(3)) out(r(3)) out(r(3))
out(r())
`, port), "hel", "lo-", "-bo", "und", "ary", "nil", "world--boundary")

	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeout(2000)
assert(sock:connect("127.0.0.1", %d))
sock:send("until\n")
local r = sock:receiveuntil("--boundary")
out(r(4)) out(r(4)) out(r(4)) out(r(4))
`, port), "hell", "o", "nil", "worl")

	// timeouts keep the connection open; the error is logged
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
sock:settimeouts(1000, 1000, 50)
assert(sock:connect("127.0.0.1", %d))
sock:send("silent\n")
out(sock:receive())
sock:send("any\n")
out(sock:receive(3))
`, port), "niltimeout", "abc")
	if !strings.Contains(vm.errorLog(), "lua tcp socket read timed out") {
		t.Errorf("read timeout not logged:\n%s", vm.errorLog())
	}
}

// Results have OpenResty's exact arity, also after the thread was suspended.
func TestCosocketResultArity(t *testing.T) {
	port := scriptServer(t, func(c net.Conn) { io.WriteString(c, "line\n") })
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local s = ngx.socket.tcp()
out(select("#", s:connect("127.0.0.1", %d)))
local ok, err = s:connect("127.0.0.1", %d)
out(type(ok), " ", type(err))
local a, b, c = s:receive()
out(a, " ", type(b), " ", type(c))
out(select("#", s:receive()))
local s2 = ngx.socket.tcp()
out(select("#", s2:connect("127.0.0.1", 1)))
`, port, port), "1", "number nil", "line nil nil", "3", "2")
}

func TestCosocketErrors(t *testing.T) {
	vm := newH5VM(t, nil, 1)
	closed := freePort(t)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
out(sock:connect("127.0.0.1", %d))
out(sock:receive())
out(sock:connect("no-such-host.invalid", 80))
local s2, err = ngx.socket.connect("127.0.0.1", %d)
out(s2, " ", err)
out(sock:connect("unix:/nonexistent/sock"))
`, closed, closed), "nilconnection refused", "nilclosed",
		`nilno-such-host.invalid could not be resolved (3: Host not found)`,
		"nil connection refused", "nilno such file or directory")
	if !strings.Contains(vm.errorLog(), "connect() failed (111: Connection refused)") {
		t.Errorf("refused not logged:\n%s", vm.errorLog())
	}
	// gating: refused where OpenResty refuses, allowed where it allows
	for _, ph := range []luavm.Phase{luavm.PhaseSSLSessionStore, luavm.PhaseInitWorker, luavm.PhaseInit} {
		_, err := vm.run(ph, `ngx.socket.tcp()`)
		if err == nil || !strings.Contains(err.Error(), "API disabled in the context of "+ph.Context()) {
			t.Errorf("%v: %v", ph, err)
		}
		_, err = vm.run(ph, `ngx.socket.udp()`)
		if err == nil || !strings.Contains(err.Error(), "API disabled in the context of "+ph.Context()) {
			t.Errorf("udp %v: %v", ph, err)
		}
	}
	for _, ph := range []luavm.Phase{luavm.PhaseSSLSessionFetch, luavm.PhaseTimer} {
		vm.expect(ph, `out(type(ngx.socket.tcp()))`, "table")
	}
	// A connection of a running request cannot be used by another; once
	// that request has ended, its connections are closed and the socket
	// cannot be connected again by another. An unconnected socket can (it
	// becomes the new request's).
	port := scriptServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`_G.kept = ngx.socket.tcp() _G.spare = ngx.socket.tcp()
out(kept:connect("127.0.0.1", %d))
local done
ngx.timer.at(0, function()
	local ok, err = pcall(kept.send, kept, "x")
	out("timer: ", ok, " ", err)
	done = true
end)
while not done do ngx.sleep(0.001) end
`, port), "1", "timer: false bad request")
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`out(spare:connect("127.0.0.1", %d)) spare:close()`, port), "1")
	vm.expect(luavm.PhaseTimer, `out(kept:send("x")) out(pcall(kept.connect, kept, "127.0.0.1", 1))`,
		"nilclosed", "falsebad request")
}

func TestCosocketResolver(t *testing.T) {
	// a name server that never answers: the lookup times out
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	vm := newH5VM(t, &confparse.HTTPConf{Resolver: []string{silent.LocalAddr().String()}, ResolverTimeout: 100 * time.Millisecond}, 1)
	got, _ := vm.run(luavm.PhaseTimer, `
local sock = ngx.socket.tcp()
sock:settimeout(300)
out(sock:connect("example.invalid", 80))
out(sock:connect("127.0.0.1", 1))`)
	if len(got) != 2 || !(got[0] == "niltimeout" || strings.Contains(got[0], "example.invalid could not be resolved")) ||
		got[1] != "nilconnection refused" {
		t.Errorf("resolver: %q", got)
	}
	// a name server that answers: resolution goes through it
	dns := fakeDNS(t, "svc.test.", net.IPv4(127, 0, 0, 1))
	vm2 := newH5VM(t, &confparse.HTTPConf{Resolver: []string{dns}}, 1)
	port := scriptServer(t, func(c net.Conn) { io.WriteString(c, "hi\n") })
	vm2.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
out(sock:connect("svc.test", %d))
out(sock:receive())
out(sock:connect("other.test", %d))`, port, port), "1", "hi", "nilother.test could not be resolved (3: Host not found)")
}

// fakeDNS answers A queries for name with ip and NXDOMAIN for the rest.
func fakeDNS(t *testing.T, name string, ip net.IP) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			if n < 12 {
				continue
			}
			// parse the question name
			i, labels := 12, []string{}
			for i < n && q[i] != 0 {
				l := int(q[i])
				labels = append(labels, string(q[i+1:i+1+l]))
				i += 1 + l
			}
			qend := i + 5
			qtype := int(q[i+1])<<8 | int(q[i+2])
			qname := strings.ToLower(strings.Join(labels, ".") + ".")
			resp := append([]byte{}, q[:qend]...)
			resp[2] = 0x81
			resp[3] = 0x80
			resp[6], resp[7] = 0, 0
			resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0
			if qname != name {
				resp[3] = 0x83 // NXDOMAIN
			} else if qtype == 1 {
				resp[7] = 1
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
				resp = append(resp, ip.To4()...)
			}
			pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func TestCosocketKeepalivePool(t *testing.T) {
	conns := make(chan struct{}, 100)
	port := scriptServer(t, func(c net.Conn) {
		conns <- struct{}{}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if line == "bye\n" {
				return
			}
			io.WriteString(c, line)
		}
	})
	vm := newH5VM(t, nil, 1)
	code := fmt.Sprintf(`
local sock = ngx.socket.tcp()
assert(sock:connect("127.0.0.1", %d))
out(sock:getreusedtimes())
sock:send("ping\n")
assert(sock:receive())
out(sock:setkeepalive(10000, 10))
out(sock:send("x"))
`, port)
	vm.expect(luavm.PhaseTimer, code, "0", "1", "nilclosed")
	vm.expect(luavm.PhaseTimer, code, "1", "1", "nilclosed")
	vm.expect(luavm.PhaseTimer, code, "2", "1", "nilclosed")
	if n := len(conns); n != 1 {
		t.Fatalf("%d server connections, want 1", n)
	}
	// the peer closes a pooled connection: the pool drops it
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
assert(sock:connect("127.0.0.1", %d))
out(sock:getreusedtimes())
sock:send("bye\n")
ngx.sleep(0.05)
out(sock:setkeepalive())
`, port), "3", "1")
	time.Sleep(100 * time.Millisecond)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local sock = ngx.socket.tcp()
assert(sock:connect("127.0.0.1", %d))
out(sock:getreusedtimes())
sock:close()
`, port), "0")
	// named pools and keepalive timeout
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local a = ngx.socket.tcp()
assert(a:connect("127.0.0.1", %d, {pool = "mine"}))
a:setkeepalive(50)
local b = ngx.socket.tcp()
assert(b:connect("127.0.0.1", %d))
out(b:getreusedtimes())
b:close()
local c = ngx.socket.tcp()
assert(c:connect("127.0.0.1", %d, {pool = "mine"}))
out(c:getreusedtimes())
c:setkeepalive(50)
ngx.sleep(0.2)
local d = ngx.socket.tcp()
assert(d:connect("127.0.0.1", %d, {pool = "mine"}))
out(d:getreusedtimes())
d:close()
`, port, port, port, port), "0", "1", "0")
}

// TestCosocketPoolSizeFromSetkeepalive: as in OpenResty, a pool that no
// connect sized takes its size from the first setkeepalive, and later sizes
// are ignored.
func TestCosocketPoolSizeFromSetkeepalive(t *testing.T) {
	port := scriptServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local socks = {}
for i = 1, 3 do
    socks[i] = ngx.socket.tcp()
    assert(socks[i]:connect("127.0.0.1", %[1]d, {pool = "sized-by-keepalive"}))
end
for i = 1, 3 do
    assert(socks[i]:setkeepalive(10000, i == 1 and 1 or 5))
end
local a, b = ngx.socket.tcp(), ngx.socket.tcp()
assert(a:connect("127.0.0.1", %[1]d, {pool = "sized-by-keepalive"}))
assert(b:connect("127.0.0.1", %[1]d, {pool = "sized-by-keepalive"}))
out(a:getreusedtimes(), " ", b:getreusedtimes())
out(tostring(a):match("^table: 0x%%x+$") ~= nil, " ", tostring(ngx.socket.udp()):match("^table: 0x%%x+$") ~= nil) -- plain tables, as OpenResty's
`, port), "1 0", "true true")
}

func TestCosocketBacklog(t *testing.T) {
	port := scriptServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local opts = {pool = "bl", pool_size = 1, backlog = 1}
local a = ngx.socket.tcp()
out(a:connect("127.0.0.1", %[1]d, opts))
local th = ngx.thread and ngx.thread.spawn
local b = ngx.socket.tcp()
b:settimeout(100)
out(b:connect("127.0.0.1", %[1]d, opts))
a:setkeepalive()
local c = ngx.socket.tcp()
out(c:connect("127.0.0.1", %[1]d, opts))
out(c:getreusedtimes())
`, port), "1", "niltimeout", "1", "1")
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local opts = {pool = "bl0", pool_size = 1, backlog = 0}
local a = ngx.socket.tcp()
out(a:connect("127.0.0.1", %[1]d, opts))
local b = ngx.socket.tcp()
out(b:connect("127.0.0.1", %[1]d, opts))
a:close()
out(b:connect("127.0.0.1", %[1]d, opts))
`, port), "1", "niltoo many waiting connect operations", "1")
}

func TestCosocketUnixAndUDP(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, l, func(c net.Conn) { io.Copy(c, c) })
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	go func() {
		buf := make([]byte, 2000)
		for {
			n, a, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			uc.WriteTo([]byte("echo:"+string(buf[:n])), a)
		}
	}()
	vm := newH5VM(t, nil, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local s = ngx.socket.tcp()
out(s:connect("unix:%s"))
s:send("hi\n")
out(s:receive())
out(s:setkeepalive())
local u = ngx.socket.udp()
out(u:setpeername("127.0.0.1", %d))
out(u:send({"da", "ta"}))
out(u:receive())
u:settimeout(50)
out(u:receive())
out(u:close())
out(u:send("x"))
`, path, uc.LocalAddr().(*net.UDPAddr).Port), "1", "hi", "1", "1", "1", "echo:data", "niltimeout", "1", "nilclosed")
}

func TestCosocketSSL(t *testing.T) {
	cert, err := tls.LoadX509KeyPair("../t/cert/ecdsa.crt", "../t/cert/ecdsa.key")
	if err != nil {
		t.Skip("no test certificates:", err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, l, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			resumed := c.(*tls.Conn).ConnectionState().DidResume
			fmt.Fprintf(c, "%s resumed=%v\n", strings.TrimSpace(line), resumed)
		}
	})
	port := l.Addr().(*net.TCPAddr).Port
	http := &confparse.HTTPConf{LuaSSLTrustedCertificate: "../t/cert/ca.crt", LuaSSLVerifyDepth: 2}
	vm := newH5VM(t, http, 1)
	vm.expect(luavm.PhaseTimer, fmt.Sprintf(`
local s = ngx.socket.tcp()
assert(s:connect("127.0.0.1", %[1]d))
local sess, err = s:sslhandshake(nil, "test.com", true)
out(type(sess), " ", err)
s:send("one\n")
out(s:receive())
s:close()
local s2 = ngx.socket.tcp()
assert(s2:connect("127.0.0.1", %[1]d))
local sess2, err = s2:sslhandshake(sess, "test.com", true)
out(type(sess2), " ", err)
s2:send("two\n")
out(s2:receive())
s2:close()
local s3 = ngx.socket.tcp()
assert(s3:connect("127.0.0.1", %[1]d))
out(s3:sslhandshake(false, "wrong.example", true))
local s4 = ngx.socket.tcp()
assert(s4:connect("127.0.0.1", %[1]d))
out(s4:sslhandshake(false, "test.com", false))
s4:send("three\n")
out(s4:receive())
out(s4:setkeepalive())
local s5 = ngx.socket.tcp()
assert(s5:connect("127.0.0.1", %[1]d))
out(s5:getreusedtimes(), " ", s5:sslhandshake(false, "test.com", false))
s5:send("four\n")
out(s5:receive())
`, port), "cdata nil", "one resumed=false", "cdata nil", "two resumed=true",
		"nilcertificate host mismatch", "true", "three resumed=false", "1", "1 true", "four resumed=false")

	vm2 := newH5VM(t, nil, 1)
	vm2.expect(luavm.PhaseTimer, fmt.Sprintf(`
local s = ngx.socket.tcp()
assert(s:connect("127.0.0.1", %d))
out(s:sslhandshake(nil, "test.com", true))
`, port), "nil20: unable to get local issuer certificate")
}
