package ngxapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// mkCert makes a certificate for cn (DNS names dns), signed by parent (nil:
// self-signed).
func mkCert(t *testing.T, cn string, dns []string, ca bool, parent *testCert, notBefore, notAfter time.Time, eku x509.ExtKeyUsage) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		DNSNames: dns, NotBefore: notBefore, NotAfter: notAfter, IsCA: ca, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{eku}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	signer, signKey := tpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCert{der, c, key}
}

// TestVerifyChain: OpenSSL's verify error numbers and texts, and the
// common name standing for the host name when there is no DNS name.
func TestVerifyChain(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	srv := x509.ExtKeyUsageServerAuth
	ca := mkCert(t, "ca", nil, true, nil, past, future, srv)
	otherCA := mkCert(t, "other ca", nil, true, nil, past, future, srv)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	leaf := func(cn string, dns []string, parent *testCert, nb, na time.Time, eku x509.ExtKeyUsage) []byte {
		return mkCert(t, cn, dns, false, parent, nb, na, eku).der
	}
	for _, c := range []struct {
		name  string
		chain [][]byte
		roots *x509.CertPool
		host  string
		want  string
	}{
		{"ok", [][]byte{leaf("x", []string{"a.test"}, ca, past, future, srv)}, roots, "a.test", ""},
		{"wildcard", [][]byte{leaf("x", []string{"*.a.test"}, ca, past, future, srv)}, roots, "b.a.test", ""},
		{"cn only", [][]byte{leaf("cn.test", nil, ca, past, future, srv)}, roots, "CN.test", ""},
		{"cn wildcard", [][]byte{leaf("*.cn.test", nil, ca, past, future, srv)}, roots, "x.cn.test", ""},
		{"cn wildcard one label", [][]byte{leaf("*.test", nil, ca, past, future, srv)}, roots, "x.test", hostMismatch},
		{"cn ignored with a DNS name", [][]byte{leaf("cn.test", []string{"a.test"}, ca, past, future, srv)}, roots, "cn.test", hostMismatch},
		{"cn mismatch", [][]byte{leaf("cn.test", nil, ca, past, future, srv)}, roots, "other.test", hostMismatch},
		{"self-signed", [][]byte{mkCert(t, "s", nil, false, nil, past, future, srv).der}, roots, "", "18: self-signed certificate"},
		{"self-signed, no trusted", [][]byte{mkCert(t, "s", nil, false, nil, past, future, srv).der}, nil, "", "18: self-signed certificate"},
		{"self-signed in chain", [][]byte{leaf("x", nil, otherCA, past, future, srv), otherCA.der}, roots, "", "19: self-signed certificate in certificate chain"},
		{"unknown issuer", [][]byte{leaf("x", nil, otherCA, past, future, srv)}, roots, "", "20: unable to get local issuer certificate"},
		{"expired", [][]byte{leaf("x", nil, ca, past, past.Add(time.Minute), srv)}, roots, "", "10: certificate has expired"},
		{"not yet valid", [][]byte{leaf("x", nil, ca, future, future.Add(time.Hour), srv)}, roots, "", "9: certificate is not yet valid"},
		{"purpose", [][]byte{leaf("x", nil, ca, past, future, x509.ExtKeyUsageClientAuth)}, roots, "", "26: unsupported certificate purpose"},
	} {
		if got := verifyChain(c.chain, c.roots, 1, c.host); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
