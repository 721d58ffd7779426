//go:build !cgo

package keysign

import "testing"

// TestNoCgo: a build without cgo signs with crypto/rsa and says why.
func TestNoCgo(t *testing.T) {
	desc, fallback := Backend()
	if !fallback || desc != "Go crypto/rsa (goresty was built with CGO_ENABLED=0)" {
		t.Errorf("Backend() = %q, %v", desc, fallback)
	}
	key := readRSAKey(t, "testdata/rsa2048.key")
	if w, err := Wrap(key); w != key || err != nil {
		t.Errorf("Wrap: %T, %v", w, err)
	}
}
