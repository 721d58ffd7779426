package ngxapi

// The tcp cosocket methods around a connection rather than its data:
// bind (the local address connect dials from), getoption (setoption's
// reading side) and setclientcert (the certificate sslhandshake presents).

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"syscall"

	lua "github.com/yuin/gopher-lua"
)

// bind(ip) sets the local address of the next connect, as OpenResty's
// tcpsock:bind (an IP address, no port).
func (s *tcpSock) bind(L *lua.LState) int {
	addr := L.CheckString(2)
	ip := net.ParseIP(addr)
	if ip == nil {
		return luaFail(L, "bad address")
	}
	s.local = ip
	L.Push(lua.LTrue)
	return 1
}

// sockOptions maps getoption/setoption names to socket levels and names.
var sockOptions = map[string][2]int{
	"keepalive":   {syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
	"reuseaddr":   {syscall.SOL_SOCKET, syscall.SO_REUSEADDR},
	"tcp-nodelay": {syscall.IPPROTO_TCP, syscall.TCP_NODELAY},
	"sndbuf":      {syscall.SOL_SOCKET, syscall.SO_SNDBUF},
	"rcvbuf":      {syscall.SOL_SOCKET, syscall.SO_RCVBUF},
}

// getoption(name) reads a socket option of the connection.
func (s *tcpSock) getoption(L *lua.LState) int {
	if !s.bound {
		L.RaiseError("socket is never created nor connected")
	}
	if !s.alive() {
		return luaFail(L, "closed")
	}
	name := L.CheckString(2)
	o, ok := sockOptions[name]
	if !ok {
		return luaFail(L, "unsupported option "+name)
	}
	c := s.conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return luaFail(L, "unsupported option "+name)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return luaFail(L, errText(err))
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), o[0], o[1]) }); err != nil {
		gerr = err
	}
	if gerr != nil {
		return luaFail(L, errText(gerr))
	}
	L.Push(lua.LNumber(v))
	return 1
}

// setclientcert(cert, pkey) with the chain and key of
// ngx.ssl.parse_pem_cert and parse_pem_priv_key: sslhandshake presents
// them; nil, nil clears them.
func (s *tcpSock) setclientcert(L *lua.LState) int {
	cv, kv := L.Get(2), L.Get(3)
	if cv == lua.LNil && kv == lua.LNil {
		s.clientCert = nil
		L.Push(lua.LTrue)
		return 1
	}
	if cv == lua.LNil || kv == lua.LNil {
		return luaFail(L, "client certificate must be supplied with corresponding client key")
	}
	chain, ok := udValue[certChain](cv)
	if !ok {
		L.ArgError(2, "bad cert arg: cdata expected, got "+typeNameOf(cv))
	}
	key, ok := udValue[privKey](kv)
	if !ok {
		L.ArgError(3, "bad pkey arg: cdata expected, got "+typeNameOf(kv))
	}
	cert := &tls.Certificate{Certificate: chain, PrivateKey: key.k}
	if leaf, err := x509.ParseCertificate(chain[0]); err == nil {
		cert.Leaf = leaf
	}
	s.clientCert = cert
	L.Push(lua.LTrue)
	return 1
}

func udValue[T any](v lua.LValue) (T, bool) {
	var zero T
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return zero, false
	}
	t, ok := ud.Value.(T)
	return t, ok
}
