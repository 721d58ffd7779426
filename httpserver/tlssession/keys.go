package tlssession

import (
	"crypto/rand"
	"fmt"
	"os"
	"sync"

	"github.com/goresty/goresty/luavm/errlog"
)

// loadTicketKeys reads nginx ssl_session_ticket_key files (48 or 80 bytes
// each; first encrypts, all decrypt). goresty's tickets are its own format
// (AES-256-GCM over the envelope), so the key is derived from the whole
// file: a fleet holding the same files shares tickets.
func loadTicketKeys(paths []string) (keyring, error) {
	var kr keyring
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", p, errlog.ErrnoText(err))
		}
		if len(b) != 48 && len(b) != 80 {
			return nil, fmt.Errorf("\"%s\" must be 48 or 80 bytes", p)
		}
		k, err := newSealKey("ticket key", b)
		if err != nil {
			return nil, err
		}
		kr = append(kr, k)
	}
	return kr, nil
}

// loadSealKeys reads ssl_session_seal_key files: at least 32 bytes of
// secret material each (e.g. "openssl rand 32 > seal.key"); first seals,
// all open.
func loadSealKeys(paths []string) (keyring, error) {
	var kr keyring
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", p, errlog.ErrnoText(err))
		}
		if len(b) < 32 {
			return nil, fmt.Errorf("\"%s\" must be at least 32 bytes", p)
		}
		k, err := newSealKey("session seal key", b)
		if err != nil {
			return nil, err
		}
		kr = append(kr, k)
	}
	return kr, nil
}

// Without ssl_session_ticket_key files, stateless tickets use one random
// key per process (it survives reloads, as nothing on disk changes).
var (
	procKeyOnce sync.Once
	procKey     keyring
	procKeyErr  error
)

func processTicketKey() (keyring, error) {
	procKeyOnce.Do(func() { procKey, procKeyErr = randomKey("ticket key") })
	return procKey, procKeyErr
}

// Without ssl_session_seal_key, stored sessions are sealed with one random
// key per process: sessions are then readable only by the process that
// made them (a lua_shared_dict does not outlive it anyway), and a fleet
// that forgot to share a key file sees unknown_key rejections.
var (
	procSealOnce sync.Once
	procSeal     keyring
	procSealErr  error
)

func processSealKey() (keyring, error) {
	procSealOnce.Do(func() { procSeal, procSealErr = randomKey("session seal key") })
	return procSeal, procSealErr
}

func randomKey(label string) (keyring, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	k, err := newSealKey(label, b[:])
	return keyring{k}, err
}
