// Package keysign makes the private key of an ssl_certificate_key sign
// through the system's libcrypto (OpenSSL) while the TLS stack stays Go's
// crypto/tls: Go's RSA signature costs about three times OpenSSL's, and a
// full handshake with an RSA certificate is mostly that signature.
//
// libcrypto is loaded at run time (dlopen of libcrypto.so.3, through
// github.com/golang-fips/openssl/v2), which needs cgo. When goresty is built
// with CGO_ENABLED=0 or the library cannot be loaded, keys keep signing
// with Go's crypto/rsa; Backend says which is in use.
package keysign

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"sync"
)

// library is a loaded libcrypto.
type library interface {
	version() string
	// rsaKey imports a two-prime RSA key.
	rsaKey(*rsa.PrivateKey) (rsaSigner, error)
}

// rsaSigner signs a digest with libcrypto.
type rsaSigner interface {
	signPKCS1v15(h crypto.Hash, digest []byte) ([]byte, error)
	signPSS(h crypto.Hash, digest []byte, saltLen int) ([]byte, error)
}

var (
	loadOnce sync.Once
	lib      library
	libErr   error
)

// libcrypto loads the library once, on first use.
func libcrypto() (library, error) {
	loadOnce.Do(func() { lib, libErr = load() })
	return lib, libErr
}

// Backend names what RSA private keys sign with, for `goresty -V` and the
// start-up log: libcrypto's version, or Go's crypto/rsa and why. fallback
// is true in the second case.
func Backend() (desc string, fallback bool) {
	l, err := libcrypto()
	if err != nil {
		return "Go crypto/rsa (" + err.Error() + ")", true
	}
	return "libcrypto (" + l.version() + ")", false
}

// Wrap returns a key signing through libcrypto for an RSA key when the
// library is loaded, else key itself. The error is libcrypto refusing the
// key (as nginx would refuse it).
func Wrap(key crypto.PrivateKey) (crypto.PrivateKey, error) {
	rk, ok := key.(*rsa.PrivateKey)
	if !ok || len(rk.Primes) != 2 {
		return key, nil
	}
	l, err := libcrypto()
	if err != nil {
		return key, nil
	}
	s, err := l.rsaKey(rk)
	if err != nil {
		return nil, err
	}
	return &rsaKey{goKey: rk, lib: s}, nil
}

// rsaKey is an RSA private key whose signatures are libcrypto's. It is a
// crypto.Decrypter too (crypto/tls needs one for the TLS_RSA_* key
// exchange), decrypting with Go's constant-time PKCS #1 v1.5 code.
type rsaKey struct {
	goKey *rsa.PrivateKey
	lib   rsaSigner
}

func (k *rsaKey) Public() crypto.PublicKey { return &k.goKey.PublicKey }

func (k *rsaKey) Decrypt(rand io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	return k.goKey.Decrypt(rand, msg, opts)
}

// Sign makes the signature crypto/rsa's SignPKCS1v15 or SignPSS would make
// for the same options (libcrypto draws the PSS salt from its own random
// generator); a hash libcrypto is not given here (none, MD5+SHA1) signs
// with Go.
func (k *rsaKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	switch h {
	case crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return k.goKey.Sign(rand, digest, opts)
	}
	if len(digest) != h.Size() {
		return nil, errors.New("crypto/rsa: input must be hashed with given hash")
	}
	pss, ok := opts.(*rsa.PSSOptions)
	if !ok {
		return k.lib.signPKCS1v15(h, digest)
	}
	salt := pss.SaltLength
	switch salt {
	case rsa.PSSSaltLengthEqualsHash:
		salt = h.Size()
	case rsa.PSSSaltLengthAuto:
		salt = (k.goKey.N.BitLen()-1+7)/8 - 2 - h.Size()
	}
	if salt < 0 {
		return nil, errors.New("crypto/rsa: PSSOptions.SaltLength cannot be negative")
	}
	return k.lib.signPSS(h, digest, salt)
}
