// Cosocket sslhandshake and its client sessions.

package ngxapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
	lua "github.com/yuin/gopher-lua"
)

// clientSession is the userdata sslhandshake returns. A TLS 1.3 ticket can
// arrive after the handshake; the capturing cache updates it then.
type clientSession struct {
	mu sync.Mutex
	st *tls.ClientSessionState
}

type oneSessionCache struct{ s *clientSession }

func (c oneSessionCache) Get(string) (*tls.ClientSessionState, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.st, c.s.st != nil
}

func (c oneSessionCache) Put(_ string, st *tls.ClientSessionState) {
	if st == nil {
		return
	}
	c.s.mu.Lock()
	c.s.st = st
	c.s.mu.Unlock()
}

func (s *tcpSock) sslhandshake(L *lua.LState) int {
	if !s.alive() {
		return luaFail(L, "closed")
	}
	if b := s.busy(); b != "" {
		return luaFail(L, b)
	}
	var reused *clientSession
	returnSession := true
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LBool:
		returnSession = bool(v)
	case *lua.LUserData:
		cs, ok := v.Value.(*clientSession)
		if !ok {
			L.ArgError(2, "bad session")
		}
		reused = cs
	default:
		L.ArgError(2, "bad session")
	}
	serverName := ""
	if v := L.Get(3); v != lua.LNil {
		serverName = L.CheckString(3)
	}
	verify := lua.LVAsBool(L.Get(4))
	if s.tlsOn { // a pooled TLS connection: already handshaked
		ud := L.NewUserData()
		ud.Value = s.sess
		if s.sess == nil {
			ud.Value = &clientSession{}
		}
		ud.Metatable = s.se.sessMT
		if !returnSession {
			L.Push(lua.LTrue)
		} else {
			L.Push(ud)
		}
		return 1
	}
	se := s.se
	sess := &clientSession{}
	if reused != nil {
		reused.mu.Lock()
		sess.st = reused.st
		reused.mu.Unlock()
	}
	cfg := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true,
		MinVersion:         se.minTLS,
		MaxVersion:         se.maxTLS,
		ClientSessionCache: oneSessionCache{sess},
	}
	var verifyErr string
	if verify {
		roots, depth, host := se.tlsRoots, se.verifyDepth, serverName
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			verifyErr = verifyChain(raw, roots, depth, host)
			if verifyErr != "" {
				return errors.New(verifyErr)
			}
			return nil
		}
	}
	conn, to, lc := s.conn, s.connTO, s.logConn()
	ud := L.NewUserData()
	ud.Value = sess
	ud.Metatable = se.sessMT
	s.busyConn.Store(true)
	return se.suspend(L, func() []lua.LValue {
		defer s.busyConn.Store(false)
		tc := tls.Client(conn, cfg)
		conn.SetDeadline(time.Now().Add(to))
		err := tc.Handshake()
		conn.SetDeadline(time.Time{})
		if err != nil {
			e := "handshake failed"
			if verifyErr != "" {
				e = verifyErr
				se.log.LogConn(errlog.Error, lc, "lua ssl certificate verify error: ("+verifyErr+")")
			} else if t := errText(err); t == "timeout" || t == "closed" {
				e = t
			} else {
				se.log.LogConn(errlog.Error, lc, "lua ssl handshake failed: "+err.Error())
			}
			s.abort()
			return fail(e)
		}
		s.conn, s.tlsOn, s.sess = tc, true, sess
		s.closer.set(tc, s.pool)
		if !returnSession {
			return []lua.LValue{lua.LTrue}
		}
		return []lua.LValue{ud}
	})
}

// verifyChain checks the server's chain against the trusted certificates
// (lua_ssl_trusted_certificate), the depth limit and the host name; the
// error text is OpenResty's "<X509 code>: <reason>".
func verifyChain(raw [][]byte, roots *x509.CertPool, depth int, host string) string {
	certs := make([]*x509.Certificate, 0, len(raw))
	for _, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return "handshake failed"
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return "handshake failed"
	}
	if roots == nil {
		return "20: unable to get local issuer certificate"
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			if len(certs) == 1 && certs[0].Subject.String() == certs[0].Issuer.String() {
				return "18: self-signed certificate"
			}
			return "20: unable to get local issuer certificate"
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return "10: certificate has expired"
		}
		return "handshake failed"
	}
	ok := false
	for _, ch := range chains {
		if len(ch)-2 <= depth { // certificates between leaf and root
			ok = true
		}
	}
	if !ok {
		return "22: certificate chain too long"
	}
	if host != "" {
		if err := certs[0].VerifyHostname(host); err != nil {
			return "certificate host mismatch"
		}
	}
	return ""
}
