package httpserver

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/goresty/goresty/httpserver/keysign"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
)

// errCertPhase aborts a handshake whose ssl_certificate_by_lua* failed or
// asked for it (ngx.exit(ngx.ERROR)), as OpenSSL's certificate callback
// failing does.
var errCertPhase = errors.New("ssl_certificate_by_lua* failed")

// certPhase runs ssl_certificate_by_lua* for a handshake (GetConfigForClient:
// before the session is looked at; the hook may yield) and returns the
// connection's config: the server block's own, or a clone serving the
// certificate the Lua code set, whose sessions are bound to it.
func (g *generation) certPhase(vs *vserver, c *tls.Config, hello *tls.ClientHelloInfo, server string, hsTimeout time.Duration, v *ngxapi.ClientVerify) (*tls.Config, error) {
	qc, _ := hello.Conn.(*quietConn)
	lc := &errlog.Conn{Context: luavm.PhaseSSLCert.Context(), Server: server}
	if qc != nil {
		lc.ID, lc.Client = qc.id, clientAddr(qc.Conn)
	}
	deadline := time.Now().Add(hsTimeout)
	cc := &ngxapi.CertCtx{ServerName: hello.ServerName, Version: handshakeVersion(hello, c),
		ServerAddr: hello.Conn.LocalAddr(), ClientAddr: hello.Conn.RemoteAddr()}
	res := g.pool.Next().Run(&luavm.Request{Phase: luavm.PhaseSSLCert, Chunk: vs.cert, Ctx: cc, Conn: lc, Deadline: deadline})
	switch {
	case errors.Is(res.Err, luavm.ErrDeadline):
		g.log.LogConn(errlog.Error, lc, "ssl_certificate_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up")
		return nil, errCertPhase
	case res.Err != nil, res.Exited && res.Exit == -1: // ngx.ERROR
		return nil, errCertPhase
	}
	*v = cc.Verify
	var cert *tls.Certificate
	if cc.Changed {
		if len(cc.Chain) == 0 || cc.Key == nil {
			// OpenSSL has no certificate to serve then: the handshake fails
			return nil, errors.New("no certificate or key set by ssl_certificate_by_lua*")
		}
		key, err := keysign.Wrap(cc.Key)
		if err != nil {
			return nil, err
		}
		cert = &tls.Certificate{Certificate: cc.Chain, PrivateKey: key}
	}
	if qc == nil {
		if cert != nil {
			return g.mgr.ForConnCert(c, nil, cert), nil
		}
		return c, nil
	}
	var out *tls.Config
	if cert != nil {
		out = g.mgr.ForConnCert(c, &qc.sessVal, cert)
	} else {
		out = g.mgr.ForConn(c, &qc.sessVal)
	}
	if out != c {
		qc.logc = errlog.Conn{ID: qc.id, Client: lc.Client, Server: server}
		qc.sessVal.Log = &qc.logc
		qc.sessVal.Deadline = deadline
		qc.sess = &qc.sessVal
	}
	return out, nil
}

// handshakeVersion is the version the handshake will settle on: the
// client's highest that the server block allows (crypto/tls picks it after
// GetConfigForClient; OpenSSL has it when its certificate callback runs).
func handshakeVersion(hello *tls.ClientHelloInfo, c *tls.Config) uint16 {
	max := c.MaxVersion
	if max == 0 {
		max = tls.VersionTLS13
	}
	var best uint16
	for _, v := range hello.SupportedVersions {
		if v >= c.MinVersion && v <= max && v > best {
			best = v
		}
	}
	return best
}

// helloPhase runs ssl_client_hello_by_lua* (of the address's default
// server) when the client hello arrives, before anything else decides.
func (g *generation) helloPhase(vs *vserver, hello *tls.ClientHelloInfo, server string, hsTimeout time.Duration) (*ngxapi.HelloCtx, error) {
	lc := &errlog.Conn{Context: luavm.PhaseSSLHello.Context(), Server: server}
	if qc, ok := hello.Conn.(*quietConn); ok {
		lc.ID, lc.Client = qc.id, clientAddr(qc.Conn)
	}
	hc := &ngxapi.HelloCtx{Hello: hello}
	res := g.pool.Next().Run(&luavm.Request{Phase: luavm.PhaseSSLHello, Chunk: vs.hello, Ctx: hc, Conn: lc, Deadline: time.Now().Add(hsTimeout)})
	switch {
	case errors.Is(res.Err, luavm.ErrDeadline):
		g.log.LogConn(errlog.Error, lc, "ssl_client_hello_by_lua* did not finish before the handshake deadline (client_header_timeout), handshake given up")
		return nil, errHelloPhase
	case res.Err != nil, res.Exited && res.Exit == -1: // ngx.ERROR
		return nil, errHelloPhase
	}
	return hc, nil
}

var errHelloPhase = errors.New("ssl_client_hello_by_lua* failed")
