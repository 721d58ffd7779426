package keysign

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// recorder passes signatures through and keeps the options crypto/tls
// asked for.
type recorder struct {
	crypto.Signer
	mu   sync.Mutex
	opts []crypto.SignerOpts
}

func (r *recorder) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	r.mu.Lock()
	r.opts = append(r.opts, opts)
	r.mu.Unlock()
	return r.Signer.Sign(rand, digest, opts)
}

func (r *recorder) last() crypto.SignerOpts {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.opts) == 0 {
		return nil
	}
	return r.opts[len(r.opts)-1]
}

// rsaServer serves TLS with t/cert/rsa.crt and the key signer on loopback
// until the test ends.
func rsaServer(t *testing.T, key crypto.Signer) string {
	c, err := tls.LoadX509KeyPair(certDir+"/rsa.crt", certDir+"/rsa.key")
	if err != nil {
		t.Fatal(err)
	}
	c.PrivateKey = key
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.(*tls.Conn).Handshake()
			conn.Write([]byte("ok\n"))
			conn.Close()
		}
	}()
	return ln.Addr().String()
}

// TestHandshakes: full handshakes with an RSA certificate, TLS 1.2 and 1.3,
// with the key signing through libcrypto and through crypto/rsa. Go's
// client verifies the signature; openssl s_client too, and it also asks for
// PKCS #1 v1.5 on TLS 1.2 (Go's client prefers PSS).
func TestHandshakes(t *testing.T) {
	plain := readRSAKey(t, certDir+"/rsa.key")
	keys := map[string]crypto.Signer{"crypto-rsa": plain}
	if desc, fallback := Backend(); fallback {
		t.Log("libcrypto not in use, only crypto/rsa tested: " + desc)
	} else {
		keys["libcrypto"] = wrapped(t, plain)
	}
	pemCA, err := os.ReadFile(certDir + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	openssl, _ := exec.LookPath("openssl")
	for name, key := range keys {
		rec := &recorder{Signer: key}
		addr := rsaServer(t, rec)
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(name+"/go-client/"+tls.VersionName(v), func(t *testing.T) {
				c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "test.com", MinVersion: v, MaxVersion: v})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if c.ConnectionState().Version != v || c.ConnectionState().DidResume {
					t.Fatalf("state %+v", c.ConnectionState())
				}
				pss, ok := rec.last().(*rsa.PSSOptions)
				if !ok || pss.SaltLength != rsa.PSSSaltLengthEqualsHash {
					t.Errorf("crypto/tls signed with %#v, want PSS with the hash's salt length", rec.last())
				}
			})
		}
		for _, c := range []struct{ proto, sigalgs, peerSig string }{
			{"-tls1_2", "RSA+SHA256", "RSA"},
			{"-tls1_2", "RSA+SHA512", "RSA"},
			{"-tls1_2", "rsa_pss_rsae_sha256", "RSA-PSS"},
			{"-tls1_3", "rsa_pss_rsae_sha384", "RSA-PSS"},
		} {
			t.Run(name+"/openssl/"+c.proto+"/"+c.sigalgs, func(t *testing.T) {
				if openssl == "" {
					t.Skip("no openssl")
				}
				out, err := exec.Command(openssl, "s_client", "-connect", addr, c.proto, "-sigalgs", c.sigalgs,
					"-servername", "test.com", "-CAfile", certDir+"/ca.crt", "-verify_return_error").CombinedOutput()
				s := string(out)
				if err != nil || !strings.Contains(s, "Verify return code: 0 (ok)") ||
					!strings.Contains(s, "Peer signature type: "+c.peerSig+"\n") {
					t.Fatalf("%v\n%s", err, s)
				}
				if _, pss := rec.last().(*rsa.PSSOptions); pss != (c.peerSig == "RSA-PSS") {
					t.Errorf("crypto/tls signed with %#v", rec.last())
				}
			})
		}
	}
}
