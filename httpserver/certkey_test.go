package httpserver

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"testing"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/keysign"
)

// TestLoadCertificatesKeySigner: an RSA ssl_certificate_key signs through
// libcrypto when it is in use, with crypto/rsa when not; ECDSA keys stay Go's.
func TestLoadCertificatesKeySigner(t *testing.T) {
	certs, err := loadCertificates([]confparse.CertPair{
		{Cert: certDir + "/rsa.crt", Key: certDir + "/rsa.key"},
		{Cert: certDir + "/ecdsa.crt", Key: certDir + "/ecdsa.key"},
	})
	if err != nil {
		t.Fatal(err)
	}
	desc, fallback := keysign.Backend()
	if _, isGo := certs[0].PrivateKey.(*rsa.PrivateKey); isGo != fallback {
		t.Errorf("RSA key is %T with %s", certs[0].PrivateKey, desc)
	}
	if _, ok := certs[1].PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Errorf("ECDSA key is %T", certs[1].PrivateKey)
	}
}
