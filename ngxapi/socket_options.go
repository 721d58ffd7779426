// Cosocket close, timeouts, keepalive, options.

package ngxapi

import (
	"crypto/tls"
	"net"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func (s *tcpSock) close(L *lua.LState) int {
	if !s.alive() {
		if s.closedOnce { // only the read side had failed, as OpenResty sees it
			s.closedOnce = false
			L.Push(lua.LNumber(1))
			return 1
		}
		return luaFail(L, "closed")
	}
	if s.busy() != "" {
		// wake the pending op (it reports "closed" to its caller); the
		// fields are cleared once it has returned
		s.abort()
		L.Push(lua.LNumber(1))
		return 1
	}
	s.closeConn()
	L.Push(lua.LNumber(1))
	return 1
}

func msArg(L *lua.LState, n int) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return 0
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		L.ArgError(n, "number expected, got "+v.Type().String())
	}
	if f < 0 {
		L.ArgError(n, "bad timeout value")
	}
	return time.Duration(float64(f) * float64(time.Millisecond))
}

// timeoutArg is settimeout's argument, coerced as lua_tonumber does in
// OpenResty: a numeric string is its number, anything else not a number
// (a table, a boolean, nil) is 0, the configured default.
func timeoutArg(L *lua.LState, n int) time.Duration {
	f := lua.LVAsNumber(L.Get(n))
	if f < 0 {
		L.ArgError(n, "bad timeout value")
	}
	return time.Duration(float64(f) * float64(time.Millisecond))
}

func (s *tcpSock) settimeout(L *lua.LState) int {
	d := timeoutArg(L, 2)
	s.connTO, s.sendTO = orDefault(d, s.defs.connTO), orDefault(d, s.defs.sendTO)
	s.readTO.Store(int64(orDefault(d, s.defs.readTO)))
	return 0
}

func (s *tcpSock) settimeouts(L *lua.LState) int {
	c, w, r := timeoutArg(L, 2), timeoutArg(L, 3), timeoutArg(L, 4)
	s.connTO, s.sendTO = orDefault(c, s.defs.connTO), orDefault(w, s.defs.sendTO)
	s.readTO.Store(int64(orDefault(r, s.defs.readTO)))
	return 0
}

func (s *tcpSock) getreusedtimes(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	L.Push(lua.LNumber(s.reuse))
	return 1
}

func (s *tcpSock) setkeepalive(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	if s.readEOF.Load() {
		return luaFail(L, "closed")
	}
	timeout := s.defs.keepTO
	if v := L.Get(2); v != lua.LNil {
		timeout = msArg(L, 2) // 0: never expires
	}
	size := 0
	if v := L.Get(3); v != lua.LNil {
		n := L.CheckInt(3)
		if n <= 0 {
			L.ArgError(3, "bad \"pool_size\" option value: "+strconv.Itoa(n))
		}
		size = n
	}
	if len(s.buf) > 0 {
		s.closeConn()
		return luaFail(L, "unread data in buffer")
	}
	if s.se.w.Exiting() { // a stopping worker keeps no idle connections
		s.closeConn()
		L.Push(lua.LNumber(1))
		return 1
	}
	p := s.pool
	if p == nil {
		p = s.se.pool(s.key, s.defs.poolSize)
	}
	p.fixSize(size, -1)
	conn, tlsOn, sess, reused := s.conn, s.tlsOn, s.sess, s.reuse
	s.closer.set(nil, nil)
	s.conn, s.buf, s.tlsOn, s.sess, s.pool = nil, nil, false, nil, nil
	p.put(conn, tlsOn, sess, reused, timeout)
	L.Push(lua.LNumber(1))
	return 1
}

func (s *tcpSock) setoption(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	opt := L.CheckString(2)
	val := L.Get(3)
	var tc *net.TCPConn
	switch c := s.conn.(type) {
	case *net.TCPConn:
		tc = c
	case *tls.Conn:
		tc, _ = c.NetConn().(*net.TCPConn)
	}
	num := func() int {
		switch v := val.(type) {
		case lua.LNumber:
			return int(v)
		case lua.LBool:
			if v {
				return 1
			}
		}
		return 0
	}
	var err error
	switch opt {
	case "keepalive":
		if tc != nil {
			err = tc.SetKeepAlive(num() != 0)
		}
	case "tcp-nodelay":
		if tc != nil {
			err = tc.SetNoDelay(num() != 0)
		}
	case "sndbuf":
		if tc != nil {
			err = tc.SetWriteBuffer(num())
		}
	case "rcvbuf":
		if tc != nil {
			err = tc.SetReadBuffer(num())
		}
	case "reuseaddr":
		// only meaningful before bind; accepted as OpenResty does
	default:
		return luaFail(L, "unsupported option "+opt)
	}
	if err != nil {
		return luaFail(L, errText(err))
	}
	L.Push(lua.LTrue)
	return 1
}
