//go:build cgo

package keysign

import "testing"

// TestLoadMissingLibrary: without a libcrypto to load, load says which
// sonames it tried (Backend then falls back to crypto/rsa).
func TestLoadMissingLibrary(t *testing.T) {
	saved := sonames
	defer func() { sonames = saved }()
	sonames = []string{"libcrypto.so.0.goresty-test", "libcrypto.so.1.goresty-test"}
	l, err := load()
	want := "cannot load libcrypto.so.0.goresty-test or libcrypto.so.1.goresty-test"
	if l != nil || err == nil || err.Error() != want {
		t.Errorf("load() = %v, %v; want %q", l, err, want)
	}
}
