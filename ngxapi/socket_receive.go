// Cosocket receive, receiveany, receiveuntil.

package ngxapi

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// fill reads more into buf (op goroutine). It returns the error text.
func (s *tcpSock) fill(conn net.Conn, max int) string {
	if to := time.Duration(s.readTO.Load()); to > 0 {
		conn.SetReadDeadline(time.Now().Add(to))
	}
	if max <= 0 {
		max = 4096
	}
	if cap(s.buf)-len(s.buf) < max {
		nb := make([]byte, len(s.buf), len(s.buf)+max)
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := conn.Read(s.buf[len(s.buf) : len(s.buf)+max])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return ""
	}
	if err == nil {
		return ""
	}
	return errText(err)
}

func (s *tcpSock) consume(n int) string {
	out := string(s.buf[:n])
	s.buf = s.buf[n:]
	if len(s.buf) == 0 {
		s.buf = s.buf[:0:0]
	}
	return out
}

// readErr ends a failed read: a timeout keeps the connection, anything else
// closes it (op goroutine: only marks; the connection is closed here too).
func (s *tcpSock) readErr(conn net.Conn, e string, partial string, lc *errlog.Conn) []lua.LValue {
	switch e {
	case "timeout":
		s.defs.log.LogConn(errlog.Error, lc, "lua tcp socket read timed out")
	case "closed":
		s.readEOF.Store(true)
	default:
		s.readFailed.Store(true)
		s.abort()
	}
	return fail(e, lua.LString(partial))
}

func (s *tcpSock) startRead(L *lua.LState) (net.Conn, bool) {
	if !s.alive() {
		if !s.closedOnce {
			s.logClosed("receive")
		}
		L.Push(lua.LNil)
		L.Push(lua.LString("closed"))
		return nil, false
	}
	if s.busyRead.Load() || s.busyConn.Load() {
		L.Push(lua.LNil)
		L.Push(lua.LString("socket busy reading"))
		return nil, false
	}
	if s.readEOF.Load() {
		L.Push(lua.LNil)
		L.Push(lua.LString("closed"))
		return nil, false
	}
	return s.conn, true
}

// afterRead runs on resume: a connection closed by a failed read is
// forgotten. It wraps op so the close is seen by the worker.
func (s *tcpSock) suspendRead(L *lua.LState, conn net.Conn, op func() []lua.LValue) int {
	s.busyRead.Store(true)
	return s.se.suspend(L, func() []lua.LValue {
		defer s.busyRead.Store(false)
		return op()
	})
}

func (s *tcpSock) receive(L *lua.LState) int {
	conn, ok := s.startRead(L)
	if !ok {
		return 2
	}
	lc := s.logConn()
	pat := L.Get(2)
	var size int = -1
	mode := byte('l')
	switch v := pat.(type) {
	case *lua.LNilType:
	case lua.LNumber:
		size = int(v)
	case lua.LString:
		if n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			size = int(n)
		} else if len(v) == 2 && v[0] == '*' && (v[1] == 'l' || v[1] == 'a') {
			mode = v[1]
		} else {
			L.ArgError(2, "bad pattern argument: "+string(v))
		}
	default:
		L.ArgError(2, "bad pattern argument")
	}
	if size < -1 || (size < 0 && pat.Type() == lua.LTNumber) {
		L.ArgError(2, "bad pattern argument")
	}
	if size == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if size > 0 && len(s.buf) >= size {
		L.Push(lua.LString(s.consume(size)))
		return 1
	}
	if size < 0 && mode == 'l' {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
			L.Push(lua.LString(stripCR(s.consume(i + 1))))
			return 1
		}
	}
	return s.suspendRead(L, conn, func() []lua.LValue {
		switch {
		case size > 0:
			for len(s.buf) < size {
				if e := s.fill(conn, size-len(s.buf)); e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
			}
			return []lua.LValue{lua.LString(s.consume(size))}
		case mode == 'a':
			for {
				e := s.fill(conn, 16384)
				if e == "closed" {
					s.readEOF.Store(true)
					return []lua.LValue{lua.LString(s.consume(len(s.buf)))}
				}
				if e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
			}
		default:
			for {
				if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
					return []lua.LValue{lua.LString(stripCR(s.consume(i + 1)))}
				}
				if e := s.fill(conn, 4096); e != "" {
					return s.readErr(conn, e, stripCR(s.consume(len(s.buf))), lc)
				}
			}
		}
	})
}

func stripCR(line string) string {
	line = strings.TrimSuffix(line, "\n")
	if strings.IndexByte(line, '\r') < 0 {
		return line
	}
	return strings.ReplaceAll(line, "\r", "")
}

func (s *tcpSock) receiveany(L *lua.LState) int {
	conn, ok := s.startRead(L)
	if !ok {
		return 2
	}
	max := L.CheckInt(2)
	if max <= 0 {
		L.ArgError(2, "bad max argument")
	}
	if len(s.buf) > 0 {
		L.Push(lua.LString(s.consume(min(max, len(s.buf)))))
		return 1
	}
	lc := s.logConn()
	return s.suspendRead(L, conn, func() []lua.LValue {
		if e := s.fill(conn, max); e != "" {
			return s.readErr(conn, e, "", lc)[:2]
		}
		return []lua.LValue{lua.LString(s.consume(min(max, len(s.buf))))}
	})
}

// receiveuntil(pattern, {inclusive=bool}) returns an iterator reading up
// to the pattern; iterator(size) returns at most size bytes per call and
// nil once the pattern has been reached.
func (s *tcpSock) receiveuntil(L *lua.LState) int {
	pattern := L.CheckString(2)
	if pattern == "" {
		return luaFail(L, "pattern is empty")
	}
	inclusive := false
	if t, ok := L.Get(3).(*lua.LTable); ok {
		if v := t.RawGetString("inclusive"); v != lua.LNil {
			b, ok := v.(lua.LBool)
			if !ok {
				L.RaiseError("bad \"inclusive\" option value type: %s", v.Type().String())
			}
			inclusive = bool(b)
		}
	}
	pat := []byte(pattern)
	ended := false // the previous sized call returned the last chunk
	remain := 0    // bytes of the current part (up to the pattern) left to return
	iter := func(L *lua.LState) int {
		size := 0
		if v := L.Get(1); v != lua.LNil {
			size = L.CheckInt(1)
			if size < 0 {
				L.ArgError(1, "bad size argument")
			}
		}
		if ended {
			ended = false
			L.Push(lua.LNil)
			return 1
		}
		conn, ok := s.startRead(L)
		if !ok {
			return 2
		}
		lc := s.logConn()
		step := func() ([]lua.LValue, bool) {
			if remain == 0 {
				if i := bytes.Index(s.buf, pat); i >= 0 {
					remain = i
					if inclusive {
						remain += len(pat)
					}
					if !inclusive && i == 0 {
						s.consume(len(pat))
						return []lua.LValue{lua.LNil}, true
					}
					if size == 0 {
						out := s.consume(remain)
						if !inclusive {
							s.consume(len(pat))
						}
						remain = 0
						return []lua.LValue{lua.LString(out)}, true
					}
				}
			}
			if remain > 0 {
				n := remain
				if size > 0 {
					n = min(size, remain)
				}
				out := s.consume(n)
				remain -= n
				if remain == 0 {
					if !inclusive {
						s.consume(len(pat))
					}
					ended = size > 0
				}
				return []lua.LValue{lua.LString(out)}, true
			}
			if size > 0 {
				safe := len(s.buf) - partialSuffix(s.buf, pat)
				if safe >= size {
					return []lua.LValue{lua.LString(s.consume(size))}, true
				}
			}
			return nil, false
		}
		if r, ok := step(); ok {
			for _, v := range r {
				L.Push(v)
			}
			return len(r)
		}
		return s.suspendRead(L, conn, func() []lua.LValue {
			for {
				if e := s.fill(conn, 4096); e != "" {
					return s.readErr(conn, e, s.consume(len(s.buf)), lc)
				}
				if r, ok := step(); ok {
					return r
				}
			}
		})
	}
	L.Push(L.NewFunction(iter))
	return 1
}

// partialSuffix is the length of the longest suffix of b that is a proper
// prefix of pat (bytes that may still turn out to be the pattern).
func partialSuffix(b, pat []byte) int {
	for n := min(len(pat)-1, len(b)); n > 0; n-- {
		if bytes.Equal(b[len(b)-n:], pat[:n]) {
			return n
		}
	}
	return 0
}
