package httpserver

import (
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/tlssession"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
)

// clientVerify is a server block's client certificate policy
// (ssl_verify_client and its CA, CRL and depth settings). As nginx, the
// handshake only asks for a certificate; the chain is checked once per
// connection and the request decides: 400 pages (nginx's 495/496),
// $ssl_client_verify "SUCCESS", "FAILED:reason" or "NONE".
type clientVerify struct {
	mode   string // "on", "optional", "optional_no_ca"
	roots  *x509.CertPool
	depth  int
	crls   []*x509.RevocationList
	policy string // tlssession.VerifyPolicy: same policy, same key
}

// sslReadError is nginx's message for a TLS file it could not use.
func sslReadError(call, path string, err error) error {
	return fmt.Errorf("%s(\"%s\") failed (SSL: error:80000002:system library::%s)", call, path, errnoMsg(err))
}

func errnoMsg(err error) string {
	t := errlog.ErrnoText(err)
	if _, msg, ok := strings.Cut(t, ": "); ok {
		return msg
	}
	return t
}

// newClientVerify loads the CA and CRL files of s; nil when ssl_verify_client is off.
func newClientVerify(s *confparse.SSLSettings) (cv *clientVerify, clientCAs *x509.CertPool, err error) {
	if s.VerifyClient == "" || s.VerifyClient == "off" {
		return nil, nil, nil
	}
	cv = &clientVerify{mode: s.VerifyClient, roots: x509.NewCertPool(), depth: s.VerifyDepth, policy: tlssession.VerifyPolicy(s)}
	load := func(path string, also *x509.CertPool) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return sslReadError("SSL_CTX_load_verify_locations", path, err)
		}
		if !cv.roots.AppendCertsFromPEM(b) {
			return fmt.Errorf("SSL_CTX_load_verify_locations(\"%s\") failed (no PEM certificate in it)", path)
		}
		if also != nil {
			also.AppendCertsFromPEM(b)
		}
		return nil
	}
	if s.ClientCertificate != "" {
		clientCAs = x509.NewCertPool()
		if err := load(s.ClientCertificate, clientCAs); err != nil {
			return nil, nil, err
		}
	}
	if s.TrustedCert != "" {
		if err := load(s.TrustedCert, nil); err != nil {
			return nil, nil, err
		}
	}
	if s.CRL != "" {
		b, err := os.ReadFile(s.CRL)
		if err != nil {
			return nil, nil, sslReadError("X509_LOOKUP_load_file", s.CRL, err)
		}
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type != "X509 CRL" {
				continue
			}
			crl, err := x509.ParseRevocationList(blk.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("X509_LOOKUP_load_file(\"%s\") failed (%v)", s.CRL, err)
			}
			cv.crls = append(cv.crls, crl)
		}
		if len(cv.crls) == 0 {
			return nil, nil, fmt.Errorf("X509_LOOKUP_load_file(\"%s\") failed (no PEM CRL in it)", s.CRL)
		}
	}
	return cv, clientCAs, nil
}

// check verifies a client's chain: "" when it is good, else OpenSSL's
// "N: reason".
func (cv *clientVerify) check(certs []*x509.Certificate) string {
	if e := ngxapi.VerifyChain(certs, cv.roots, cv.depth, x509.ExtKeyUsageClientAuth); e != "" {
		return e
	}
	if len(cv.crls) == 0 {
		return ""
	}
	// nginx checks CRLs for the whole chain (X509_V_FLAG_CRL_CHECK_ALL):
	// every certificate below the trust anchor needs its issuer's CRL.
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, _ := certs[0].Verify(x509.VerifyOptions{Roots: cv.roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if len(chains) == 0 {
		return "20: unable to get local issuer certificate"
	}
	ch := chains[0]
	for i := 0; i+1 < len(ch); i++ {
		if e := cv.revoked(ch[i], ch[i+1]); e != "" {
			return e
		}
	}
	return ""
}

func (cv *clientVerify) revoked(c, issuer *x509.Certificate) string {
	for _, crl := range cv.crls {
		if !bytes.Equal(crl.RawIssuer, c.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		if !crl.NextUpdate.IsZero() && time.Now().After(crl.NextUpdate) {
			return "12: CRL has expired"
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return "23: certificate revoked"
			}
		}
		return ""
	}
	return "3: unable to get certificate CRL"
}

// optionalError: the verify errors optional_no_ca lets through (nginx's
// ngx_ssl_verify_error_optional).
func optionalError(e string) bool {
	code, _, _ := strings.Cut(e, ":")
	switch code {
	case "2", "18", "19", "20", "21", "27":
		return true
	}
	return false
}

// luaVerify makes the handshake ask for a client certificate as
// ngx.ssl.verify_client wants (cc is the connection's config, c the
// block's: cc is cloned when it is c). The request's $ssl_client_verify
// then checks it against the CAs given, else the block's, up to the depth
// given, else the block's; the block's ssl_verify_client alone decides
// whether a request is refused, as nginx.
func luaVerify(v *ngxapi.ClientVerify, vs *vserver, c, cc *tls.Config, conn net.Conn) *tls.Config {
	lv := &clientVerify{mode: "optional", roots: x509.NewCertPool(), depth: v.Depth}
	if vs.cv != nil {
		lv.roots, lv.crls = vs.cv.roots, vs.cv.crls
		if lv.depth < 0 {
			lv.depth = vs.cv.depth
		}
	}
	if lv.depth < 0 {
		lv.depth = 1
	}
	if cc == c {
		cc = c.Clone()
	}
	cc.ClientAuth = tls.RequestClientCert
	if v.CAs != nil {
		lv.roots, lv.crls = x509.NewCertPool(), nil
		for _, der := range v.CAs {
			if ca, err := x509.ParseCertificate(der); err == nil {
				lv.roots.AddCert(ca)
			}
		}
		cc.ClientCAs = lv.roots // their names go to the client, as SSL_set_client_CA_list
	}
	if qc, ok := conn.(*quietConn); ok {
		qc.luaVerify = lv
	}
	return cc
}

// verifier is what checks the connection's client certificate: what
// ngx.ssl.verify_client asked for, else the server block's policy.
func (rq *request) verifier() *clientVerify {
	if rq.conn != nil && rq.conn.luaVerify != nil {
		return rq.conn.luaVerify
	}
	return rq.srv.cv
}

// clientCertState is a connection's verified client certificate, computed
// on first use.
type clientCertState struct {
	once   sync.Once
	result string // "" (good), "N: reason"
}

// clientResult is the verification of the connection's client chain under
// cv ("" when good), computed once per connection: requests on one
// connection share the handshake, and the 421 check keeps them on
// server blocks of the same policy.
func (rq *request) clientResult(cv *clientVerify, certs []*x509.Certificate) string {
	if rq.conn == nil {
		return cv.check(certs)
	}
	st := &rq.conn.clientCert
	st.once.Do(func() { st.result = cv.check(certs) })
	return st.result
}

// checkClientCert applies the server block's policy to the request; false
// when it was answered (nginx's 421, 495 and 496, logged at info).
func (rq *request) checkClientCert(sniSrv *vserver) bool {
	cs := rq.r.TLS
	if cs == nil {
		return true
	}
	srv := rq.srv
	if sniSrv != nil && sniSrv != srv && sniSrv.verifyPolicy() != srv.verifyPolicy() {
		rq.logErr(errlog.Info, "client attempted to request the server name different from the one that was negotiated")
		rq.errorPage(421)
		return false
	}
	cv := srv.cv
	if cv == nil {
		return true
	}
	if len(cs.PeerCertificates) == 0 {
		if cv.mode == "on" {
			rq.logErr(errlog.Info, "client sent no required SSL certificate")
			rq.errorPage(496)
			return false
		}
		return true
	}
	if e := rq.clientResult(rq.verifier(), cs.PeerCertificates); e != "" && !(cv.mode == "optional_no_ca" && optionalError(e)) {
		code, text, _ := strings.Cut(e, ": ")
		rq.logErr(errlog.Info, fmt.Sprintf("client SSL certificate verify error: (%s:%s)", code, text))
		rq.errorPage(495)
		return false
	}
	return true
}

// rfc2253 is a name as nginx prints it (OpenSSL's XN_FLAG_RFC2253): the
// RDNs as they are in the certificate, last first.
func rfc2253(raw []byte) string {
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdn); err != nil {
		return ""
	}
	return rdn.String()
}

func (vs *vserver) verifyPolicy() string {
	if vs.cv == nil {
		return ""
	}
	return vs.cv.policy
}

// clientVar resolves the $ssl_client_* variables.
func (rq *request) clientVar(name string, cs *tls.ConnectionState) (string, bool) {
	var leaf *x509.Certificate
	if len(cs.PeerCertificates) > 0 {
		leaf = cs.PeerCertificates[0]
	}
	if name == "ssl_client_verify" {
		cv := rq.verifier()
		switch {
		case leaf == nil || cv == nil:
			return "NONE", true
		}
		if e := rq.clientResult(cv, cs.PeerCertificates); e != "" {
			_, text, _ := strings.Cut(e, ": ")
			return "FAILED:" + text, true
		}
		return "SUCCESS", true
	}
	if leaf == nil {
		return "", true
	}
	switch name {
	case "ssl_client_s_dn":
		return rfc2253(leaf.RawSubject), true
	case "ssl_client_i_dn":
		return rfc2253(leaf.RawIssuer), true
	case "ssl_client_serial":
		return strings.ToUpper(leaf.SerialNumber.Text(16)), true
	case "ssl_client_fingerprint":
		sum := sha1.Sum(leaf.Raw)
		return hex.EncodeToString(sum[:]), true
	case "ssl_client_raw_cert":
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})), true
	case "ssl_client_cert":
		// deprecated form: every line after the first starts with a tab
		p := strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})), "\n")
		return strings.ReplaceAll(p, "\n", "\n\t") + "\n", true
	case "ssl_client_escaped_cert":
		return strings.ReplaceAll(url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))), "+", "%20"), true
	}
	return "", false
}
