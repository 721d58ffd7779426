// Package tlsname names TLS protocol versions as OpenSSL does ("TLSv1.2"):
// the words of nginx's $ssl_protocol, of lua-resty-core's
// ngx.ssl.get_tls1_version_str and of `openssl s_client`.
package tlsname

import (
	"crypto/tls"
	"fmt"
)

// Name returns OpenSSL's name of version v; ok is false for a version
// OpenSSL has no name for.
func Name(v uint16) (name string, ok bool) {
	switch v {
	case 0x0300:
		return "SSLv3", true
	case tls.VersionTLS10:
		return "TLSv1", true
	case tls.VersionTLS11:
		return "TLSv1.1", true
	case tls.VersionTLS12:
		return "TLSv1.2", true
	case tls.VersionTLS13:
		return "TLSv1.3", true
	}
	return "", false
}

// String is Name, or the version in hex ("0x0305") when it has no name.
func String(v uint16) string {
	if n, ok := Name(v); ok {
		return n
	}
	return fmt.Sprintf("0x%04x", v)
}

// Version is the version OpenSSL names name ("TLSv1.2"); ok is false for
// a name it does not know.
func Version(name string) (v uint16, ok bool) {
	for _, v := range []uint16{0x0300, tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		if n, _ := Name(v); n == name {
			return v, true
		}
	}
	return 0, false
}
