package keysign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const certDir = "../../t/cert"

func readRSAKey(t testing.TB, path string) *rsa.PrivateKey {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// wrapped is key signing through libcrypto; the test is skipped when the
// library is not available (CGO_ENABLED=0, no libcrypto.so).
func wrapped(t testing.TB, key *rsa.PrivateKey) crypto.Signer {
	if desc, fallback := Backend(); fallback {
		t.Skip("libcrypto not in use: " + desc)
	}
	w, err := Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*rsaKey); !ok {
		t.Fatalf("Wrap returned %T, want *rsaKey", w)
	}
	return w.(crypto.Signer)
}

// failingRand makes a signature that reads Go's random source fail: the
// libcrypto path never reads it.
type failingRand struct{}

func (failingRand) Read([]byte) (int, error) { return 0, errors.New("rand read") }

// TestSignVerifiedByCryptoRSA: every signature libcrypto makes for the
// options crypto/tls uses (PKCS #1 v1.5; PSS with the salt as long as the
// hash) and the others crypto/rsa knows verifies with crypto/rsa, with the
// exact salt length; PKCS #1 v1.5 signatures are crypto/rsa's bytes.
func TestSignVerifiedByCryptoRSA(t *testing.T) {
	for _, bits := range []int{2048, 3072, 4096} {
		key := readRSAKey(t, fmt.Sprintf("testdata/rsa%d.key", bits))
		s := wrapped(t, key)
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
			hh := h.New()
			hh.Write([]byte("goresty"))
			digest := hh.Sum(nil)
			t.Run(fmt.Sprintf("%d/%v/PKCS1v15", bits, h), func(t *testing.T) {
				sig, err := s.Sign(failingRand{}, digest, h)
				if err != nil {
					t.Fatal(err)
				}
				if err := rsa.VerifyPKCS1v15(&key.PublicKey, h, digest, sig); err != nil {
					t.Fatal(err)
				}
				want, _ := rsa.SignPKCS1v15(nil, key, h, digest)
				if string(sig) != string(want) {
					t.Error("signature differs from crypto/rsa's")
				}
			})
			maxSalt := (bits+7)/8 - 2 - h.Size()
			for _, c := range []struct {
				name       string
				salt, want int
			}{
				{"EqualsHash", rsa.PSSSaltLengthEqualsHash, h.Size()},
				{"Auto", rsa.PSSSaltLengthAuto, maxSalt},
				{"20", 20, 20},
			} {
				t.Run(fmt.Sprintf("%d/%v/PSS-%s", bits, h, c.name), func(t *testing.T) {
					sig, err := s.Sign(failingRand{}, digest, &rsa.PSSOptions{SaltLength: c.salt, Hash: h})
					if err != nil {
						t.Fatal(err)
					}
					if err := rsa.VerifyPSS(&key.PublicKey, h, digest, sig, &rsa.PSSOptions{SaltLength: c.want}); err != nil {
						t.Fatalf("salt %d: %v", c.want, err)
					}
				})
			}
		}
	}
}

func TestSignRejects(t *testing.T) {
	key := readRSAKey(t, "testdata/rsa2048.key")
	s := wrapped(t, key)
	if _, err := s.Sign(nil, make([]byte, 31), crypto.SHA256); err == nil {
		t.Error("31-byte digest for SHA-256 signed")
	}
	if _, err := s.Sign(nil, make([]byte, 32), &rsa.PSSOptions{SaltLength: -2, Hash: crypto.SHA256}); err == nil {
		t.Error("negative salt length accepted")
	}
	// MD5+SHA1 (crypto.Hash 0, TLS 1.0 and 1.1 only) signs with Go.
	digest := make([]byte, 36)
	sig, err := s.Sign(rand.Reader, digest, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, 0, digest, sig); err != nil {
		t.Error(err)
	}
}

// TestWrapOtherKeys: keys other than two-prime RSA are returned as they are.
func TestWrapOtherKeys(t *testing.T) {
	c, err := tls.LoadX509KeyPair(certDir+"/ecdsa.crt", certDir+"/ecdsa.key")
	if err != nil {
		t.Fatal(err)
	}
	w, err := Wrap(c.PrivateKey)
	if err != nil || w != c.PrivateKey {
		t.Errorf("ECDSA key: %T, %v", w, err)
	}
	if _, ok := w.(*ecdsa.PrivateKey); !ok {
		t.Errorf("ECDSA key wrapped as %T", w)
	}
}

func TestBackend(t *testing.T) {
	desc, fallback := Backend()
	if fallback {
		if !strings.HasPrefix(desc, "Go crypto/rsa (") {
			t.Errorf("fallback: %q", desc)
		}
		return
	}
	if !strings.HasPrefix(desc, "libcrypto (OpenSSL ") {
		t.Errorf("libcrypto: %q", desc)
	}
}
