// Cosocket send.

package ngxapi

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// appendData flattens a send argument: a string, a number, or an array
// (nested) of strings and numbers.
func appendData(L *lua.LState, b []byte, v lua.LValue, depth int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return append(b, x...)
	case lua.LNumber:
		return append(b, x.String()...)
	case lua.LBool:
		return append(b, x.String()...)
	case *lua.LNilType:
		return append(b, "nil"...)
	case *lua.LTable:
		if depth > 100 {
			L.RaiseError("table too deep")
		}
		n := x.Len()
		for i := 1; i <= n; i++ {
			b = appendData(L, b, x.RawGetInt(i), depth+1)
		}
		return b
	}
	if depth == 0 {
		L.ArgError(2, "string, number, boolean, nil, or array table expected, got "+v.Type().String())
	}
	L.RaiseError("bad data type %s found", v.Type().String())
	return b
}

// logClosed is OpenResty's error-log line for I/O on a closed socket.
func (s *tcpSock) logClosed(op string) {
	s.defs.log.LogConn(errlog.Error, s.logConn(), fmt.Sprintf(
		"attempt to %s data on a closed socket: u:%016X, c:0000000000000000, ft:0 eof:0", op, uintptr(unsafe.Pointer(s))))
}

func (s *tcpSock) send(L *lua.LState) int {
	if !s.alive() {
		s.logClosed("send")
		return luaFail(L, "closed")
	}
	if s.busyWrite.Load() || s.busyConn.Load() {
		return luaFail(L, "socket busy writing")
	}
	data := appendData(L, nil, L.Get(2), 0)
	if len(data) == 0 {
		L.Push(lua.LNumber(0))
		return 1
	}
	conn, to, lc := s.conn, s.sendTO, s.logConn()
	s.busyWrite.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busyWrite.Store(false)
		conn.SetWriteDeadline(time.Now().Add(to))
		n, err := conn.Write(data)
		if s.sent != nil {
			s.sent.Add(int64(n))
		}
		if err != nil {
			e := errText(err)
			if e == "timeout" {
				s.defs.log.LogConn(errlog.Error, lc, "lua tcp socket write timed out")
			} else {
				s.readFailed.Store(true) // close() answers 1 once, as OpenResty
			}
			s.abort()
			return fail(e)
		}
		return []lua.LValue{lua.LNumber(n)}
	})
}
