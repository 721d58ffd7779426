//go:build cgo

// The benchmarks compare Go with libcrypto: cgo builds only.

package keysign

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/golang-fips/openssl/v2"
	"github.com/golang-fips/openssl/v2/bbig"
)

// The signatures crypto/tls makes per full handshake, Go against libcrypto.
func BenchmarkSign(b *testing.B) {
	digest := sha256.Sum256([]byte("goresty"))
	rk := readRSAKey(b, certDir+"/rsa.key")
	ek := ecdsaKey(b)
	signers := []struct {
		name string
		key  func() crypto.Signer
		opts crypto.SignerOpts
	}{
		{"RSA2048-PSS/go", func() crypto.Signer { return rk }, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}},
		{"RSA2048-PSS/libcrypto", func() crypto.Signer { return wrapped(b, rk) }, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}},
		{"RSA2048-PKCS1v15/go", func() crypto.Signer { return rk }, crypto.SHA256},
		{"RSA2048-PKCS1v15/libcrypto", func() crypto.Signer { return wrapped(b, rk) }, crypto.SHA256},
		{"ECDSA-P256/go", func() crypto.Signer { return ek }, crypto.SHA256},
		{"ECDSA-P256/libcrypto", func() crypto.Signer { return libECDSA(b, ek) }, crypto.SHA256},
	}
	for _, s := range signers {
		b.Run(s.name, func(b *testing.B) {
			k := s.key()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := k.Sign(rand.Reader, digest[:], s.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkX25519 is one X25519 shared secret (the server's key share on a
// full handshake costs two: its key pair and the secret). crypto/tls does it
// with crypto/ecdh and has no hook to do it elsewhere, and the binding has
// no X25519: libcrypto's figure is `openssl speed ecdhx25519`'s, the same
// operation (bench/RESULTS.md).
func BenchmarkX25519(b *testing.B) {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	peer, _ := ecdh.X25519().GenerateKey(rand.Reader)
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := k.ECDH(peer.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}

func ecdsaKey(b *testing.B) *ecdsa.PrivateKey {
	c, err := tls.LoadX509KeyPair(certDir+"/ecdsa.crt", certDir+"/ecdsa.key")
	if err != nil {
		b.Fatal(err)
	}
	return c.PrivateKey.(*ecdsa.PrivateKey)
}

// libECDSAKey signs a P-256 digest through libcrypto: measured only.
type libECDSAKey struct {
	*ecdsa.PrivateKey
	lib *openssl.PrivateKeyECDSA
}

func libECDSA(b *testing.B, k *ecdsa.PrivateKey) crypto.Signer {
	if desc, fallback := Backend(); fallback {
		b.Skip("libcrypto not in use: " + desc)
	}
	lk, err := openssl.NewPrivateKeyECDSA("P-256", bbig.Enc(k.X), bbig.Enc(k.Y), bbig.Enc(k.D))
	if err != nil {
		b.Fatal(err)
	}
	return libECDSAKey{k, lk}
}

func (k libECDSAKey) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	return openssl.SignMarshalECDSA(k.lib, digest)
}

// BenchmarkHandshake is one full handshake per op over an in-memory pipe,
// server and client CPU both (the client verifies and does its key share).
func BenchmarkHandshake(b *testing.B) {
	rsaCert, _ := tls.LoadX509KeyPair(certDir+"/rsa.crt", certDir+"/rsa.key")
	ecCert, _ := tls.LoadX509KeyPair(certDir+"/ecdsa.crt", certDir+"/ecdsa.key")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, c := range []struct {
			name string
			cert tls.Certificate
			key  func() crypto.Signer
		}{
			{"RSA2048/go", rsaCert, func() crypto.Signer { return rsaCert.PrivateKey.(crypto.Signer) }},
			{"RSA2048/libcrypto", rsaCert, func() crypto.Signer { return wrapped(b, rsaCert.PrivateKey.(*rsa.PrivateKey)) }},
			{"ECDSA-P256/go", ecCert, func() crypto.Signer { return ecCert.PrivateKey.(crypto.Signer) }},
			{"ECDSA-P256/libcrypto", ecCert, func() crypto.Signer { return libECDSA(b, ecCert.PrivateKey.(*ecdsa.PrivateKey)) }},
		} {
			b.Run(tls.VersionName(v)[4:]+"/"+c.name, func(b *testing.B) {
				cert := c.cert
				cert.PrivateKey = c.key()
				srv := &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: true,
					CurvePreferences: []tls.CurveID{tls.X25519}}
				cli := &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v,
					CurvePreferences: []tls.CurveID{tls.X25519}}
				defer reportCPU(b)()
				for b.Loop() {
					sc, cc := net.Pipe()
					done := make(chan error, 1)
					go func() { done <- tls.Server(sc, srv).Handshake() }()
					if err := tls.Client(cc, cli).Handshake(); err != nil {
						b.Fatal(err)
					}
					if err := <-done; err != nil {
						b.Fatal(err)
					}
					sc.Close()
					cc.Close()
				}
			})
		}
	}
}

// reportCPU adds the process's CPU time per op (user+system, all threads):
// on a machine shared with other work it varies less than ns/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/1e3/float64(b.N), "cpu-µs/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
