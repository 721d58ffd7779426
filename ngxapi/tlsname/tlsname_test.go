package tlsname

import (
	"crypto/tls"
	"testing"
)

func TestNames(t *testing.T) {
	for _, c := range []struct {
		v    uint16
		name string
		ok   bool
	}{
		{0x0300, "SSLv3", true},
		{tls.VersionTLS10, "TLSv1", true},
		{tls.VersionTLS11, "TLSv1.1", true},
		{tls.VersionTLS12, "TLSv1.2", true},
		{tls.VersionTLS13, "TLSv1.3", true},
		{0x0305, "", false},
		{0, "", false},
	} {
		name, ok := Name(c.v)
		if name != c.name || ok != c.ok {
			t.Errorf("Name(%#04x) = %q, %v; want %q, %v", c.v, name, ok, c.name, c.ok)
		}
		want := c.name
		if !c.ok {
			want = map[uint16]string{0x0305: "0x0305", 0: "0x0000"}[c.v]
		}
		if got := String(c.v); got != want {
			t.Errorf("String(%#04x) = %q, want %q", c.v, got, want)
		}
	}
}
