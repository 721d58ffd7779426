//go:build cgo

package keysign

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"

	"github.com/golang-fips/openssl/v2"
	"github.com/golang-fips/openssl/v2/bbig"
)

// The libcrypto sonames tried, newest first (the binding supports 1.1 and 3).
var sonames = []string{"libcrypto.so.3", "libcrypto.so.1.1"}

func load() (library, error) {
	for _, name := range sonames {
		if ok, _ := openssl.CheckVersion(name); !ok {
			continue
		}
		if err := openssl.Init(name); err != nil {
			return nil, err
		}
		return osslLib{}, nil
	}
	return nil, errors.New("cannot load " + strings.Join(sonames, " or "))
}

type osslLib struct{}

func (osslLib) version() string { return openssl.VersionText() }

func (osslLib) rsaKey(k *rsa.PrivateKey) (rsaSigner, error) {
	if k.Precomputed.Dp == nil {
		k.Precompute()
	}
	p := k.Precomputed
	key, err := openssl.NewPrivateKeyRSA(bbig.Enc(k.N), bbig.Enc(big.NewInt(int64(k.E))), bbig.Enc(k.D),
		bbig.Enc(k.Primes[0]), bbig.Enc(k.Primes[1]), bbig.Enc(p.Dp), bbig.Enc(p.Dq), bbig.Enc(p.Qinv))
	if err != nil {
		return nil, err
	}
	return osslRSA{key}, nil
}

type osslRSA struct{ key *openssl.PrivateKeyRSA }

func (k osslRSA) signPKCS1v15(h crypto.Hash, digest []byte) ([]byte, error) {
	return openssl.SignRSAPKCS1v15(k.key, h, digest)
}

func (k osslRSA) signPSS(h crypto.Hash, digest []byte, saltLen int) ([]byte, error) {
	return openssl.SignRSAPSS(k.key, h, digest, saltLen)
}
