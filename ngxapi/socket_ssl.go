// Cosocket sslhandshake and its client sessions.

package ngxapi

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"strings"
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
		MinVersion:         s.defs.net.minTLS,
		MaxVersion:         s.defs.net.maxTLS,
		ClientSessionCache: oneSessionCache{sess},
	}
	if s.clientCert != nil {
		cfg.Certificates = []tls.Certificate{*s.clientCert}
	}
	var verifyErr string
	if verify {
		roots, depth, host := s.defs.net.tlsRoots, s.defs.net.verifyDepth, serverName
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
			if verifyErr == hostMismatch {
				e = verifyErr
				s.defs.log.LogConn(errlog.Error, lc, `lua ssl certificate does not match host "`+serverName+`"`)
			} else if verifyErr != "" {
				e = verifyErr
				s.defs.log.LogConn(errlog.Error, lc, "lua ssl certificate verify error: ("+verifyErr+")")
			} else if t := errText(err); t == "timeout" || t == "closed" {
				e = t
			} else {
				s.defs.log.LogConn(errlog.Error, lc, "lua ssl handshake failed: "+err.Error())
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

const hostMismatch = "certificate host mismatch"

// verifyChain checks the server's chain against the trusted certificates
// (lua_ssl_trusted_certificate), the depth limit and the host name; the
// error text is OpenResty's: OpenSSL's "<X509_V_ERR code>: <reason>", or
// "certificate host mismatch".
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
	if e := VerifyChain(certs, roots, depth, x509.ExtKeyUsageServerAuth); e != "" {
		return e
	}
	if host != "" && !CheckHost(certs[0], host) {
		return hostMismatch
	}
	return ""
}

// VerifyChain verifies a peer's chain (leaf first, as sent) against roots
// as OpenSSL does for nginx: at most depth certificates between the leaf
// and the trust anchor, the leaf good for usage. It returns "" or
// OpenSSL's "N: text" (the TLS front end's client certificates use it too).
func VerifyChain(certs []*x509.Certificate, roots *x509.CertPool, depth int, usage x509.ExtKeyUsage) string {
	selfSigned := func(c *x509.Certificate) bool {
		return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	}
	if roots == nil {
		roots = x509.NewCertPool()
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return x509VerifyError(err, certs, selfSigned)
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
	return ""
}

// x509VerifyError words a failed verification as OpenSSL's verify error
// number and text (OpenSSL 3's wording).
func x509VerifyError(err error, certs []*x509.Certificate, selfSigned func(*x509.Certificate) bool) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		switch {
		case len(certs) == 1 && selfSigned(certs[0]):
			return "18: self-signed certificate"
		case len(certs) > 1 && selfSigned(certs[len(certs)-1]):
			return "19: self-signed certificate in certificate chain"
		}
		return "20: unable to get local issuer certificate"
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			if time.Now().Before(ci.Cert.NotBefore) {
				return "9: certificate is not yet valid"
			}
			return "10: certificate has expired"
		case x509.IncompatibleUsage:
			return "26: unsupported certificate purpose"
		case x509.NotAuthorizedToSign:
			return "24: invalid CA certificate"
		case x509.TooManyIntermediates:
			return "22: certificate chain too long"
		}
	}
	return "handshake failed"
}

// CheckHost is OpenSSL's X509_check_host as nginx calls it (no flags): the
// certificate's DNS names, or, when it has none, its subject's common
// names, with a wildcard allowed as the whole leftmost label (cosockets and
// proxy_ssl_verify).
func CheckHost(c *x509.Certificate, host string) bool {
	if c.VerifyHostname(host) == nil {
		return true
	}
	if len(c.DNSNames) > 0 {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, atv := range c.Subject.Names {
		if !atv.Type.Equal(oidCommonName) {
			continue
		}
		cn, ok := atv.Value.(string)
		if ok && hostMatches(strings.ToLower(cn), host) {
			return true
		}
	}
	return false
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

func hostMatches(pattern, host string) bool {
	if pattern == host {
		return true
	}
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok || !strings.Contains(rest, ".") {
		return false
	}
	i := strings.IndexByte(host, '.')
	return i > 0 && host[i+1:] == rest
}
