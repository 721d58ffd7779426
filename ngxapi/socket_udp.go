package ngxapi

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// ngx.socket.udp(): setpeername, send, receive, settimeout, close. Like the
// TCP cosockets, resolving, sending and receiving run off the worker.

type udpSock struct {
	se *sockEnv
	sockBinding
	conn    net.Conn
	timeout time.Duration
	defRead time.Duration  // lua_socket_read_timeout where it was created
	net     *netConf       // resolver where it was created
	log     *errlog.Logger // failures; nil: lua_socket_log_errors off
	busy    atomic.Bool
	closer  *sockCloser
}

func (se *sockEnv) luaUDP(L *lua.LState) int {
	check(se.w, L, "ngx.socket.udp")
	cur := se.current()
	d := cur.readTO
	s := &udpSock{se: se, sockBinding: sockBinding{owner: se.owner()}, timeout: d, defRead: d, net: cur.net, log: cur.log, closer: &sockCloser{}}
	obj := sockObject(L, s, se.udpMT)
	runtime.AddCleanup(obj, func(c *sockCloser) { c.close() }, s.closer)
	L.Push(obj)
	return 1
}

func (se *sockEnv) newUDPMeta(L *lua.LState) *lua.LTable {
	methods := map[string]lua.LGFunction{
		"setpeername": func(L *lua.LState) int { return udpPeerOf(L).setpeername(L) },
		"send":        func(L *lua.LState) int { return udpOf(L, true).send(L) },
		"receive":     func(L *lua.LState) int { return udpOf(L, true).receive(L) },
		"close":       func(L *lua.LState) int { return udpOf(L, false).close(L) },
		"settimeout": func(L *lua.LState) int {
			s := udpOf(L, false)
			if d := timeoutArg(L, 2); d > 0 {
				s.timeout = d
			} else {
				s.timeout = s.defRead
			}
			return 0
		},
	}
	return objectMeta(L, "udp socket", methods)
}

func udpOf(L *lua.LState, gated bool) *udpSock {
	s, ok := sockValue(L).(*udpSock)
	if !ok {
		L.ArgError(1, "expecting udp socket object")
	}
	if gated {
		check(s.se.w, L, "ngx.socket.udp")
		if o := s.se.owner(); o != s.owner && s.conn != nil {
			L.RaiseError("bad request")
		}
	}
	return s
}

// udpPeerOf is udpOf for setpeername, which claims the socket for the
// running request (see claim).
func udpPeerOf(L *lua.LState) *udpSock {
	s := udpOf(L, true)
	if o := s.se.owner(); o != s.owner {
		s.claim(L, o)
	}
	return s
}

// threadEnded closes the socket when the light thread that set its peer
// ends, unless close() did first (OpenResty closes a request's UDP sockets
// at its end).
func (s *udpSock) threadEnded() {
	s.closer.close()
	if !s.busy.Load() {
		s.conn = nil
	}
}

func (s *udpSock) setpeername(L *lua.LState) int {
	if s.busy.Load() {
		return luaFail(L, "socket busy")
	}
	host := L.CheckString(2)
	network, addr, port := "udp", host, 0
	if strings.HasPrefix(host, "unix:") {
		network, addr = "unixgram", host[len("unix:"):]
	} else {
		switch v := L.Get(3).(type) {
		case lua.LNumber:
			port = int(v)
		case lua.LString:
			n, err := strconv.Atoi(string(v))
			if err != nil {
				L.ArgError(3, "number expected, got string")
			}
			port = n
		default:
			L.ArgError(3, "number expected, got "+v.Type().String())
		}
		if port < 0 || port > 65535 {
			return luaFail(L, "bad port number: "+strconv.Itoa(port))
		}
	}
	if s.conn != nil {
		s.closer.close()
		s.conn = nil
	}
	s.bindThread(s.se.w, s.threadEnded)
	se, to, lc := s.se, s.timeout, s.se.w.Current()
	var conn *errlog.Conn
	if lc != nil {
		conn = lc.Conn
	}
	s.busy.Store(true)
	return se.suspend(L, func() []lua.LValue {
		defer s.busy.Store(false)
		target := addr
		if network == "udp" {
			ctx, cancel := context.WithTimeout(context.Background(), to)
			ips, e := se.resolve(ctx, s.net, host)
			cancel()
			if e != "" {
				s.log.LogConn(errlog.Error, conn, e)
				return fail(e)
			}
			target = net.JoinHostPort(ips[0], strconv.Itoa(port))
		}
		c, err := net.DialTimeout(network, target, to)
		if err != nil {
			s.log.LogConn(errlog.Error, conn, "connect() failed ("+errnoLog(err)+")")
			return fail(errText(err))
		}
		s.conn = c
		s.closer.set(c, nil)
		return []lua.LValue{lua.LNumber(1)}
	})
}

func (s *udpSock) send(L *lua.LState) int {
	if s.conn == nil {
		s.log.LogConn(errlog.Error, s.logConn(), fmt.Sprintf(
			"attempt to send data on a closed socket: u:%016X, c:0000000000000000", uintptr(unsafe.Pointer(s))))
		return luaFail(L, "closed")
	}
	if s.busy.Load() {
		return luaFail(L, "socket busy")
	}
	data := appendData(L, nil, L.Get(2), 0)
	conn := s.conn
	s.busy.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busy.Store(false)
		if _, err := conn.Write(data); err != nil {
			return fail(errText(err))
		}
		return []lua.LValue{lua.LNumber(1)}
	})
}

func (s *udpSock) receive(L *lua.LState) int {
	if s.conn == nil {
		s.log.LogConn(errlog.Error, s.logConn(), fmt.Sprintf(
			"attempt to receive data on a closed socket: u:%016X, c:0000000000000000", uintptr(unsafe.Pointer(s))))
		return luaFail(L, "closed")
	}
	if s.busy.Load() {
		return luaFail(L, "socket busy")
	}
	size := 65536
	if v := L.Get(2); v != lua.LNil {
		size = L.CheckInt(2)
		if size <= 0 {
			L.ArgError(2, "bad size argument")
		}
		size = min(size, 65536)
	}
	conn, to := s.conn, s.timeout
	lc := s.se.w.Current()
	var lconn *errlog.Conn
	if lc != nil {
		lconn = lc.Conn
	}
	s.busy.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busy.Store(false)
		buf := make([]byte, size)
		conn.SetReadDeadline(time.Now().Add(to))
		n, err := conn.Read(buf)
		if err != nil {
			e := errText(err)
			if e == "timeout" {
				s.log.LogConn(errlog.Error, lconn, "lua udp socket read timed out")
			}
			return fail(e)
		}
		return []lua.LValue{lua.LString(buf[:n])}
	})
}

func (s *udpSock) logConn() *errlog.Conn {
	if t := s.se.w.Current(); t != nil {
		return t.Conn
	}
	return nil
}

func (s *udpSock) close(L *lua.LState) int {
	if s.conn == nil {
		return luaFail(L, "closed")
	}
	s.closer.close()
	if !s.busy.Load() {
		s.conn = nil
	}
	L.Push(lua.LNumber(1))
	return 1
}
