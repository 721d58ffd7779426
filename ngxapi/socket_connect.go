// Cosocket connect: pool reuse, resolve, dial.

package ngxapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

func (s *tcpSock) connect(L *lua.LState, wrap func([]lua.LValue) []lua.LValue) int {
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	var host, network, addr string
	var port int
	optIdx := 3
	first := L.CheckString(2)
	if strings.HasPrefix(first, "unix:") {
		network, addr = "unix", first[len("unix:"):]
		host = first
	} else {
		host = first
		if L.GetTop() < 3 {
			return luaFail(L, "missing the port number")
		}
		pv := L.Get(3)
		pn, ok := pv.(lua.LNumber)
		if !ok {
			if ps, isStr := pv.(lua.LString); isStr {
				if n, err := strconv.Atoi(string(ps)); err == nil {
					pn, ok = lua.LNumber(n), true
				}
			}
		}
		if !ok {
			L.ArgError(3, "number expected, got "+pv.Type().String())
		}
		port = int(pn)
		if port < 0 || port > 65535 {
			return luaFail(L, "bad port number: "+strconv.Itoa(port))
		}
		network = "tcp"
		optIdx = 4
	}
	key := host
	if network == "tcp" {
		key = host + ":" + strconv.Itoa(port)
	}
	poolSize, backlog := 0, -1
	if t, ok := L.Get(optIdx).(*lua.LTable); ok {
		if v := t.RawGetString("pool"); v != lua.LNil {
			ps, ok := v.(lua.LString)
			if !ok {
				L.ArgError(optIdx, "bad \"pool\" option type: "+v.Type().String())
			}
			key = string(ps)
		}
		// As OpenResty: pool_size must be a number (or a numeric string);
		// a backlog that is not a number is ignored.
		if v := t.RawGetString("pool_size"); v != lua.LNil {
			n, ok := luaNumber(v)
			if !ok {
				L.ArgError(optIdx, "bad \"pool_size\" option type: "+v.Type().String())
			}
			if int(n) <= 0 {
				L.ArgError(optIdx, "bad \"pool_size\" option value: "+strconv.Itoa(int(n)))
			}
			poolSize = int(n)
		}
		if n, ok := luaNumber(t.RawGetString("backlog")); ok {
			if int(n) < 0 {
				L.ArgError(optIdx, "bad \"backlog\" option value: "+strconv.Itoa(int(n)))
			}
			backlog = int(n)
		}
	} else if v := L.Get(optIdx); v != lua.LNil {
		L.ArgError(optIdx, "table expected, got "+v.Type().String())
	}
	if wrap == nil {
		wrap = func(v []lua.LValue) []lua.LValue { return v }
	}
	// OpenResty closes an already connected socket first.
	s.alive()
	s.closeConn()
	s.bindThread(s.se.w, s.threadEnded)
	p := s.se.pool(key, s.defs.poolSize)
	if poolSize > 0 || backlog >= 0 {
		p.fixSize(poolSize, backlog)
	}
	if ic := p.take(); ic != nil {
		s.attach(ic.conn, ic.tlsOn, ic.sess, p, key, ic.reused+1)
		ret := wrap([]lua.LValue{lua.LNumber(1)})
		for _, v := range ret {
			L.Push(v)
		}
		return len(ret)
	}
	// Queue (or fail) here, on the worker, so that connects wait in the
	// order Lua made them; only the wait itself runs in the op.
	waiter, err := p.reserve()
	if err != nil {
		ret := wrap(fail(errText(err)))
		for _, v := range ret {
			L.Push(v)
		}
		return len(ret)
	}
	connTO, se, lc, lg := s.connTO, s.se, s.logConn(), s.defs.log
	if waiter != nil {
		s.closer.waiting(waiter, p)
	}
	s.busyConn.Store(true)
	return se.suspend(L, func() []lua.LValue {
		defer s.busyConn.Store(false)
		if waiter != nil {
			ic, err := p.wait(waiter, connTO)
			s.closer.waiting(nil, nil)
			if err == errTimeout {
				lg.LogConn(errlog.Error, lc, "lua tcp socket queued connect timed out, when trying to connect to "+peerName(network, host, port))
			}
			if err != nil {
				return wrap(fail(errText(err)))
			}
			if ic != nil { // a pooled connection handed over by setkeepalive
				s.attach(ic.conn, ic.tlsOn, ic.sess, p, key, ic.reused+1)
				return wrap([]lua.LValue{lua.LNumber(1)})
			}
		}
		conn, errs := se.dial(s.defs.net, s.defs.log, network, host, addr, port, connTO, lc, s.local)
		if conn == nil {
			p.release()
			return wrap(fail(errs))
		}
		s.attach(conn, false, nil, p, key, 0)
		return wrap([]lua.LValue{lua.LNumber(1)})
	})
}

// peerName is host:port, or the unix: path, as nginx names a peer.
func peerName(network, host string, port int) string {
	if network == "unix" {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// luaNumber is lua_isnumber's view of v: a number or a numeric string.
func luaNumber(v lua.LValue) (lua.LNumber, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return x, true
	case lua.LString:
		if n, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64); err == nil {
			return lua.LNumber(n), true
		}
	}
	return 0, false
}

func (s *tcpSock) attach(c net.Conn, tlsOn bool, sess *clientSession, p *connPool, key string, reused int) {
	s.conn, s.tlsOn, s.sess, s.pool, s.key, s.reuse, s.buf = c, tlsOn, sess, p, key, reused, nil
	s.readEOF.Store(false)
	s.closer.set(c, p)
}

// dial resolves and connects (op goroutine). It logs failures as nginx.
func (se *sockEnv) dial(nc *netConf, lg *errlog.Logger, network, host, path string, port int, timeout time.Duration, lc *errlog.Conn, local net.IP) (net.Conn, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	if local != nil && network != "unix" {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	if network == "unix" {
		c, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			logDialErr(lg, err, host, lc)
			return nil, errText(err)
		}
		return c, ""
	}
	ips, errs := se.resolve(ctx, nc, host)
	if errs != "" {
		lg.LogConn(errlog.Error, lc, errs)
		return nil, errs
	}
	var lastErr error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return c, ""
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	logDialErr(lg, lastErr, net.JoinHostPort(host, strconv.Itoa(port)), lc)
	return nil, errText(lastErr)
}

func logDialErr(lg *errlog.Logger, err error, peer string, lc *errlog.Conn) {
	if errText(err) == "timeout" {
		lg.LogConn(errlog.Error, lc, "lua tcp socket connect timed out, when connecting to "+peer)
		return
	}
	if strings.HasPrefix(peer, "unix:") {
		lg.LogConn(errlog.Error, lc, "connect() to "+peer+" failed ("+errnoLog(err)+")")
		return
	}
	lg.LogConn(errlog.Error, lc, "connect() failed ("+errnoLog(err)+")")
}

// resolve returns the addresses for host, or OpenResty's error text.
func (se *sockEnv) resolve(ctx context.Context, nc *netConf, host string) ([]string, string) {
	h := strings.Trim(host, "[]")
	if ip := net.ParseIP(h); ip != nil {
		return []string{h}, ""
	}
	r := nc.resolver
	if r == nil {
		if !se.sysDNS && !inHostsFile(h) {
			return nil, fmt.Sprintf("no resolver defined to resolve %q", host)
		}
		r = net.DefaultResolver
	}
	ips, err := r.LookupHost(ctx, h)
	if err != nil || len(ips) == 0 {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsTimeout {
			return nil, fmt.Sprintf("%s could not be resolved (110: Operation timed out)", host)
		}
		if ctx.Err() != nil {
			return nil, "timeout"
		}
		return nil, fmt.Sprintf("%s could not be resolved (3: Host not found)", host)
	}
	return ips, ""
}

func inHostsFile(host string) bool {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		for _, n := range f[min(1, len(f)):] {
			if strings.EqualFold(n, host) {
				return true
			}
		}
	}
	return false
}
