package tlssession

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
)

// TestRawSessionsBoundToTheirID: with ssl_session_seal_key off, whatever a
// store does to an entry (another session's bytes under this id, a flipped
// byte, a rewritten creation time) gives a counted rejection and a full
// handshake, never a failed connection or a longer-lived session.
func TestRawSessionsBoundToTheirID(t *testing.T) {
	off := &confparse.HTTPConf{SSLSessionSealOff: true}
	cases := []struct {
		name   string
		tamper func(e *env, own, other []byte) []byte
	}{
		{"another session's bytes", func(e *env, own, other []byte) []byte { return other }},
		{"flipped byte", func(e *env, own, other []byte) []byte {
			b := bytes.Clone(own)
			b[len(b)-3] ^= 0x40
			return b
		}},
		{"creation time rewritten", func(e *env, own, other []byte) []byte {
			e.advance(10 * time.Minute) // past ssl_session_timeout (5m)
			b := bytes.Clone(own)
			binary.BigEndian.PutUint64(b[2:10], uint64(e.now.Unix()))
			return b
		}},
		{"check rewritten with the creation time", func(e *env, own, other []byte) []byte {
			e.advance(10 * time.Minute)
			b := bytes.Clone(own)
			binary.BigEndian.PutUint64(b[2:10], uint64(e.now.Unix()))
			copy(b[plainHeader-checkSize:], make([]byte, checkSize))
			return b
		}},
	}
	for _, tc := range cases {
		for _, ver := range versions {
			t.Run(tc.name+"/"+ver.name, func(t *testing.T) {
				h := newFuncHooks()
				e := newEnv(t, off, h)
				srv := e.server(nil, "a")
				a, b := client(t, ver.v), client(t, ver.v)
				handshake(t, srv, a)
				handshake(t, srv, b)
				h.mu.Lock()
				if len(h.lastIDs) < 2 {
					h.mu.Unlock()
					t.Fatalf("stored %d sessions", len(h.lastIDs))
				}
				idA, idB := h.lastIDs[0], h.lastIDs[len(h.lastIDs)-1]
				if h.sessions[idA][0] != magicPlain {
					t.Errorf("ssl_session_seal_key off stored %q...", h.sessions[idA][:2])
				}
				h.sessions[idA] = tc.tamper(e, h.sessions[idA], h.sessions[idB])
				h.mu.Unlock()
				if handshake(t, srv, a) {
					t.Fatal("resumed a tampered session")
				}
				if e.c.Corrupt.Load() != 1 || e.c.Hits.Load() != 0 {
					t.Errorf("corrupt %d hits %d", e.c.Corrupt.Load(), e.c.Hits.Load())
				}
			})
		}
	}
}

// TestDefaultSealing: without ssl_session_seal_key sessions are sealed with
// the process key; another key's sessions are unknown_key rejections,
// logged at most once a minute.
func TestDefaultSealing(t *testing.T) {
	h := newFuncHooks()
	e := newEnv(t, nil, h)
	srv := e.server(nil, "a")
	var clients []*tls.Config
	for i := 0; i < 4; i++ {
		c := client(t, tls.VersionTLS12)
		expect(t, run(t, 2, srv, c), false, true)
		clients = append(clients, c)
	}
	for id, b := range h.sessions {
		if b[0] != magicSealed {
			t.Fatalf("session %s stored in clear by default", id)
		}
	}
	other := newEnv(t, &confparse.HTTPConf{SSLSessionSealKeys: []string{writeKey(t, 32, 7)}}, h)
	osrv := other.server(nil, "a")
	const line = "hosts do not share a seal key"
	for _, c := range clients[:3] {
		if handshake(t, osrv, c) {
			t.Fatal("resumed a session sealed with another key")
		}
	}
	if n := other.c.UnknownKey.Load(); n != 3 {
		t.Errorf("unknown_key = %d, want 3", n)
	}
	if n := strings.Count(other.errorLog(), line); n != 1 {
		t.Errorf("logged %d times within a minute, want 1", n)
	}
	other.advance(61 * time.Second)
	handshake(t, osrv, clients[3])
	if n := strings.Count(other.errorLog(), line); n != 2 {
		t.Errorf("logged %d times after a minute, want 2", n)
	}
}
