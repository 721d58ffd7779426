package tlssession

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// What a stored session (or a stateless ticket) looks like:
//
//	plain envelope:  'g' 0x02 | created (uint64 BE, unix s) | vhost (8 bytes) | check (8 bytes) | tls.SessionState.Bytes()
//	sealed envelope: 'G' 0x01 | key id (4 bytes) | nonce (12) | AES-256-GCM(plain envelope) | tag (16)
//
// created travels inside so that ssl_session_timeout is enforced at fetch
// time whatever TTL the external store keeps (it must equal the state's
// own creation time); vhost is a hash of the server block's identity so a
// session is never resumed under another server block. A sealed envelope
// authenticates its header and, for stored sessions, the session id (so an
// entry cannot be moved to another id in the store); its plain envelope's
// check is zero. A raw stored session (ssl_session_seal_key off) binds the
// id through check, a hash of the id and the whole envelope: an entry
// moved to another id or damaged is refused instead of resuming with a
// secret the client does not have (which fails the connection). It is no
// MAC: whoever can write the store can forge raw sessions.

const (
	magicPlain  = 'g'
	magicSealed = 'G'
	envVersion  = 1 // sealed
	plainVer    = 2 // plain: v1 had no check

	plainHeader  = 2 + 8 + 8 + checkSize
	checkSize    = 8
	sealedHeader = 2 + 4
	nonceSize    = 12
	tagSize      = 16

	// IDLen is the length of a stateful ticket: a random session id.
	IDLen = 32
)

type vhostID [8]byte

func hashVhost(s string) vhostID {
	sum := sha256.Sum256([]byte("goresty vhost\x00" + s))
	var v vhostID
	copy(v[:], sum[:8])
	return v
}

// appendPlain appends the plain envelope of state to dst; a non-nil id
// (a raw stored session) fills check.
func appendPlain(dst []byte, created uint64, vh vhostID, state, id []byte) []byte {
	start := len(dst)
	dst = append(dst, magicPlain, plainVer)
	dst = binary.BigEndian.AppendUint64(dst, created)
	dst = append(dst, vh[:]...)
	dst = append(dst, make([]byte, checkSize)...)
	dst = append(dst, state...)
	if id != nil {
		sum := plainCheck(id, dst[start:])
		copy(dst[start+plainHeader-checkSize:], sum[:])
	}
	return dst
}

// plainCheck hashes the id and the envelope env, leaving its check field out.
func plainCheck(id, env []byte) [checkSize]byte {
	h := sha256.New()
	h.Write([]byte("goresty session\x00"))
	h.Write(id)
	h.Write(env[:plainHeader-checkSize])
	h.Write(env[plainHeader:])
	var sum [sha256.Size]byte
	var c [checkSize]byte
	copy(c[:], h.Sum(sum[:0]))
	return c
}

// sealKey is one AEAD key; the first of a keyring seals, all open.
type sealKey struct {
	id   [4]byte
	aead cipher.AEAD
}

type keyring []sealKey

// newSealKey derives an AES-256-GCM key from key material (a key file's
// bytes) under a purpose label, so the same file used for two purposes
// gives unrelated keys.
func newSealKey(label string, material []byte) (sealKey, error) {
	h := sha256.New()
	h.Write([]byte("goresty " + label + "\x00"))
	h.Write(material)
	key := h.Sum(nil)
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealKey{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, err
	}
	idsum := sha256.Sum256(key)
	var k sealKey
	copy(k.id[:], idsum[:4])
	k.aead = aead
	return k, nil
}

// seal returns the sealed envelope (header, nonce, ciphertext, tag) of the
// plain envelope of state, built in one buffer: the plain envelope is
// written where the ciphertext goes and encrypted in place. aad is extra
// authenticated data (the session id for stored sessions).
func (kr keyring) seal(created uint64, vh vhostID, state, aad []byte, rnd func([]byte) error) ([]byte, error) {
	k := &kr[0]
	const pre = sealedHeader + nonceSize
	dst := make([]byte, pre, pre+plainHeader+len(state)+tagSize)
	dst[0], dst[1] = magicSealed, envVersion
	copy(dst[2:sealedHeader], k.id[:])
	nonce := dst[sealedHeader:pre]
	if err := rnd(nonce); err != nil {
		return nil, err
	}
	plain := appendPlain(dst[pre:pre], created, vh, state, nil)
	ad := adFor(dst[:sealedHeader], aad)
	return k.aead.Seal(dst, nonce, plain, ad), nil
}

var errCorrupt = errors.New("failed to de-serialize session")

// open returns the plain envelope inside a sealed one. It may reuse b's
// storage only through dst.
func (kr keyring) open(dst, b, aad []byte) ([]byte, error) {
	if len(b) < sealedHeader+nonceSize+tagSize || b[0] != magicSealed || b[1] != envVersion {
		return nil, errCorrupt
	}
	var id [4]byte
	copy(id[:], b[2:6])
	for i := range kr {
		if kr[i].id != id {
			continue
		}
		nonce := b[sealedHeader : sealedHeader+nonceSize]
		out, err := kr[i].aead.Open(dst, nonce, b[sealedHeader+nonceSize:], adFor(b[:sealedHeader], aad))
		if err != nil {
			return nil, errCorrupt
		}
		return out, nil
	}
	return nil, errUnknownKey
}

var errUnknownKey = errors.New("sealed with an unknown key")

// adFor builds the additional data: header || aad. The common case (a
// 6-byte header and a 32-byte id) fits a stack array in the caller's frame
// after inlining; otherwise it allocates.
func adFor(hdr, aad []byte) []byte {
	if len(aad) == 0 {
		return hdr
	}
	ad := make([]byte, 0, len(hdr)+len(aad))
	ad = append(ad, hdr...)
	return append(ad, aad...)
}

// parsedPlain is a plain envelope's fields.
type parsedPlain struct {
	created uint64
	vhost   vhostID
	check   [checkSize]byte
	state   []byte
}

func parsePlain(b []byte) (parsedPlain, bool) {
	if len(b) < plainHeader || b[0] != magicPlain || b[1] != plainVer {
		return parsedPlain{}, false
	}
	var p parsedPlain
	p.created = binary.BigEndian.Uint64(b[2:10])
	copy(p.vhost[:], b[10:18])
	copy(p.check[:], b[18:plainHeader])
	p.state = b[plainHeader:]
	return p, true
}

// Go's SessionState.Bytes() starts with version(2) type(1) cipher_suite(2)
// created_at(8) secret<1..255>: a fixed prefix documented in crypto/tls's
// ticket.go (stable since Go 1.21). createdAt keeps the creation time of
// the secret (for TLS 1.2 a resumed connection keeps the original one).
func stateCreatedAt(state []byte) (uint64, bool) {
	if len(state) < 13 {
		return 0, false
	}
	return binary.BigEndian.Uint64(state[5:13]), true
}

// stateSecret is the master secret (TLS 1.2) or PSK (TLS 1.3).
func stateSecret(state []byte) []byte {
	if len(state) < 14 {
		return nil
	}
	n := int(state[13])
	if len(state) < 14+n {
		return nil
	}
	return state[14 : 14+n]
}
