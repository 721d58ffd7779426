package tlssession

import (
	"crypto/tls"
	"path/filepath"
	"testing"
)

// TestForConnCert: within one server block, a session is bound to the
// certificate ssl_certificate_by_lua* served: it resumes under the same
// certificate and never under another (full handshake, counted foreign).
func TestForConnCert(t *testing.T) {
	rsa, err := tls.LoadX509KeyPair(filepath.Join(certDir(t), "rsa.crt"), filepath.Join(certDir(t), "rsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	ecdsa := serverCert(t)
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			for _, stateful := range []bool{true, false} {
				var h hookRunner
				if stateful {
					h = newFuncHooks()
				}
				e := newEnv(t, nil, h)
				block := e.server(nil, "one block")
				served := func(c *tls.Certificate) *tls.Config { return e.m.ForConnCert(block, &ConnSession{}, c) }
				cli := client(t, ver.v)
				expect(t, run(t, 2, served(&rsa), cli), false, true)
				if handshake(t, served(&ecdsa), cli) {
					t.Fatalf("stateful %v: a session of the RSA certificate resumed under the ECDSA one", stateful)
				}
				if !handshake(t, served(&ecdsa), cli) {
					t.Fatalf("stateful %v: the ECDSA certificate's own session did not resume", stateful)
				}
				if handshake(t, block, cli) {
					t.Fatalf("stateful %v: a served certificate's session resumed with the block's own", stateful)
				}
				if e.c.Foreign.Load() != 2 {
					t.Errorf("stateful %v: foreign = %d, want 2", stateful, e.c.Foreign.Load())
				}
			}
		})
	}
}
