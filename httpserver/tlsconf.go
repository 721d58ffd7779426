package httpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/keysign"
)

// OpenSSL cipher names Go's crypto/tls implements (TLS 1.0-1.2 suites; TLS
// 1.3 suites are not configurable in Go and always on).
var opensslCiphers = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
}

// Names OpenSSL knows but Go does not implement: accepted and skipped, as
// OpenSSL skips ciphers it cannot use.
var opensslUnsupported = []string{
	"DHE-", "EDH-", "ECDH-", "PSK-", "DHE-PSK", "RSA-PSK", "ECDHE-PSK", "SRP-", "CAMELLIA",
	"ARIA", "IDEA", "SEED", "RC4", "NULL", "AES256-SHA256", "ADH-", "AECDH-", "TLS_",
	"ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384", "AES128-CCM", "AES256-CCM",
	"ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM",
}

// OpenSSL keywords and aliases: each selects the Go suites matching pred.
var opensslKeywords = map[string]func(name string) bool{
	"ALL":                 func(string) bool { return true },
	"DEFAULT":             func(n string) bool { return !strings.Contains(n, "DES-CBC3") },
	"HIGH":                func(n string) bool { return !strings.Contains(n, "DES-CBC3") },
	"MEDIUM":              func(string) bool { return false },
	"LOW":                 func(string) bool { return false },
	"EXPORT":              func(string) bool { return false },
	"COMPLEMENTOFDEFAULT": func(string) bool { return false },
	"aNULL":               func(string) bool { return false },
	"eNULL":               func(string) bool { return false },
	"NULL":                func(string) bool { return false },
	"MD5":                 func(string) bool { return false },
	"RC4":                 func(string) bool { return false },
	"DSS":                 func(string) bool { return false },
	"aDSS":                func(string) bool { return false },
	"PSK":                 func(string) bool { return false },
	"SRP":                 func(string) bool { return false },
	"SSLv3":               func(n string) bool { return strings.HasSuffix(n, "-SHA") },
	"TLSv1":               func(n string) bool { return strings.HasSuffix(n, "-SHA") },
	"TLSv1.2":             func(n string) bool { return !strings.HasSuffix(n, "-SHA") },
	"ECDHE":               func(n string) bool { return strings.HasPrefix(n, "ECDHE-") },
	"EECDH":               func(n string) bool { return strings.HasPrefix(n, "ECDHE-") },
	"kECDHE":              func(n string) bool { return strings.HasPrefix(n, "ECDHE-") },
	"aECDSA":              func(n string) bool { return strings.HasPrefix(n, "ECDHE-ECDSA") },
	"ECDSA":               func(n string) bool { return strings.HasPrefix(n, "ECDHE-ECDSA") },
	"aRSA":                func(n string) bool { return !strings.HasPrefix(n, "ECDHE-ECDSA") },
	"RSA":                 func(n string) bool { return !strings.HasPrefix(n, "ECDHE-") },
	"kRSA":                func(n string) bool { return !strings.HasPrefix(n, "ECDHE-") },
	"DH":                  func(string) bool { return false },
	"EDH":                 func(string) bool { return false },
	"kEDH":                func(string) bool { return false },
	"DHE":                 func(string) bool { return false },
	"kDHE":                func(string) bool { return false },
	"AESGCM":              func(n string) bool { return strings.Contains(n, "GCM") },
	"AES":                 func(n string) bool { return strings.Contains(n, "AES") },
	"AES128":              func(n string) bool { return strings.Contains(n, "AES128") },
	"AES256":              func(n string) bool { return strings.Contains(n, "AES256") },
	"CHACHA20":            func(n string) bool { return strings.Contains(n, "CHACHA20") },
	"3DES":                func(n string) bool { return strings.Contains(n, "DES-CBC3") },
	"SHA":                 func(n string) bool { return strings.HasSuffix(n, "-SHA") },
	"SHA1":                func(n string) bool { return strings.HasSuffix(n, "-SHA") },
	"SHA256":              func(n string) bool { return strings.HasSuffix(n, "SHA256") },
	"SHA384":              func(n string) bool { return strings.HasSuffix(n, "SHA384") },
	"AEAD":                func(n string) bool { return strings.Contains(n, "GCM") || strings.Contains(n, "CHACHA") },
}

// defaultOrder is the order of the suites for keywords (OpenSSL-like: AEAD
// ECDHE first).
var defaultOrder = []string{
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
	"ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256",
	"ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
	"ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
	"AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA256", "AES128-SHA", "AES256-SHA",
	"ECDHE-RSA-DES-CBC3-SHA", "DES-CBC3-SHA",
}

// ParseCiphers maps an OpenSSL cipher string (ssl_ciphers) to Go cipher
// suite ids, in order. "!X" removes X for good, "-X" removes it, "+X"
// moves it to the end. A name OpenSSL would not know, or a list selecting
// nothing, is an error with nginx's wording.
func ParseCiphers(s string) ([]uint16, error) {
	fail := fmt.Errorf("SSL_CTX_set_cipher_list(\"%s\") failed (SSL: error:0A0000B9:SSL routines::no cipher match)", s)
	var list []string
	banned := map[string]bool{}
	has := func(n string) int {
		for i, x := range list {
			if x == n {
				return i
			}
		}
		return -1
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
	for _, f := range fields {
		op := byte(0)
		if f[0] == '!' || f[0] == '-' || f[0] == '+' {
			op, f = f[0], f[1:]
		}
		if strings.HasPrefix(f, "@") { // @STRENGTH, @SECLEVEL=n
			continue
		}
		var sel []string
		for pi, part := range strings.Split(f, "+") { // "ECDHE+AESGCM": intersection
			var cur []string
			if id, ok := opensslCiphers[part]; ok && id != 0 {
				cur = []string{part}
			} else if pred, ok := opensslKeywords[part]; ok {
				for _, n := range defaultOrder {
					if pred(n) {
						cur = append(cur, n)
					}
				}
			} else if knownUnsupported(part) {
				cur = nil
			} else {
				return nil, fail
			}
			if pi == 0 {
				sel = cur
			} else {
				var both []string
				for _, a := range sel {
					for _, b := range cur {
						if a == b {
							both = append(both, a)
						}
					}
				}
				sel = both
			}
		}
		for _, n := range sel {
			switch op {
			case '!':
				banned[n] = true
				if i := has(n); i >= 0 {
					list = append(list[:i], list[i+1:]...)
				}
			case '-':
				if i := has(n); i >= 0 {
					list = append(list[:i], list[i+1:]...)
				}
			case '+':
				if i := has(n); i >= 0 {
					list = append(append(list[:i:i], list[i+1:]...), n)
				}
			default:
				if !banned[n] && has(n) < 0 {
					list = append(list, n)
				}
			}
		}
	}
	if len(list) == 0 {
		return nil, fail
	}
	ids := make([]uint16, len(list))
	for i, n := range list {
		ids[i] = opensslCiphers[n]
	}
	return ids, nil
}

func knownUnsupported(n string) bool {
	for _, p := range opensslUnsupported {
		if strings.HasPrefix(n, p) || strings.Contains(n, p) {
			return true
		}
	}
	return false
}

var curveNames = map[string]tls.CurveID{
	"X25519":         tls.X25519,
	"x25519":         tls.X25519,
	"prime256v1":     tls.CurveP256,
	"secp256r1":      tls.CurveP256,
	"P-256":          tls.CurveP256,
	"secp384r1":      tls.CurveP384,
	"P-384":          tls.CurveP384,
	"secp521r1":      tls.CurveP521,
	"P-521":          tls.CurveP521,
	"X25519MLKEM768": tls.X25519MLKEM768,
}

// ParseCurves maps ssl_ecdh_curve ("auto" or a ":" list) to Go curves;
// nil means Go's defaults.
func ParseCurves(s string) ([]tls.CurveID, error) {
	if s == "" || s == "auto" {
		return nil, nil
	}
	var ids []tls.CurveID
	for _, n := range strings.Split(s, ":") {
		id, ok := curveNames[n]
		if !ok {
			return nil, fmt.Errorf("SSL_CTX_set1_curves_list(\"%s\") failed (SSL: error:0A080106:SSL routines::passed invalid argument)", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// protocolRange maps ssl_protocols to Go's version bounds; older protocols
// than TLSv1.2 are reported in warnings (Go serves TLS 1.2 and 1.3 only).
func protocolRange(protos []string) (min, max uint16, warnings []string) {
	if len(protos) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, p := range protos {
		var v uint16
		switch p {
		case "TLSv1.2":
			v = tls.VersionTLS12
		case "TLSv1.3":
			v = tls.VersionTLS13
		default:
			warnings = append(warnings, fmt.Sprintf("ssl_protocols %s is not supported by goresty (Go crypto/tls serves TLSv1.2 and TLSv1.3 only), ignored", p))
			continue
		}
		if min == 0 || v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	if min == 0 {
		min, max = tls.VersionTLS12, tls.VersionTLS12
		warnings = append(warnings, "no protocol supported by goresty in ssl_protocols, using TLSv1.2")
	}
	return min, max, warnings
}

// loadCertificates loads every ssl_certificate / ssl_certificate_key pair.
func loadCertificates(pairs []confparse.CertPair) ([]tls.Certificate, error) {
	var certs []tls.Certificate
	for _, p := range pairs {
		for _, f := range []struct{ path, what string }{{p.Cert, "certificate"}, {p.Key, "certificate key"}} {
			if _, err := os.Stat(f.path); err != nil {
				reason := err.Error()
				if errors.Is(err, fs.ErrNotExist) {
					reason = "No such file or directory"
				} else if errors.Is(err, fs.ErrPermission) {
					reason = "Permission denied"
				}
				what := "BIO_new_file() failed"
				if f.what == "certificate key" {
					return nil, fmt.Errorf("cannot load certificate key \"%s\": %s (SSL: error:80000002:system library::%s)", f.path, what, reason)
				}
				return nil, fmt.Errorf("cannot load certificate \"%s\": %s (SSL: error:80000002:system library::%s)", f.path, what, reason)
			}
		}
		c, err := tls.LoadX509KeyPair(p.Cert, p.Key)
		if err != nil {
			return nil, fmt.Errorf("cannot load certificate \"%s\": %v", p.Cert, err)
		}
		// RSA keys sign through libcrypto where it loads (keysign).
		if c.PrivateKey, err = keysign.Wrap(c.PrivateKey); err != nil {
			return nil, fmt.Errorf("cannot load certificate key \"%s\": %v", p.Key, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// buildTLS makes a server block's tls.Config (without session settings)
// and its client certificate policy (nil when ssl_verify_client is off).
func buildTLS(s *confparse.ServerConf, h2 bool) (*tls.Config, *clientVerify, []string, error) {
	certs, err := loadCertificates(s.SSL.Certificates)
	if err != nil {
		return nil, nil, nil, err
	}
	min, max, warns := protocolRange(s.SSL.Protocols)
	cfg := &tls.Config{Certificates: certs, MinVersion: min, MaxVersion: max}
	if s.SSL.Ciphers != "" {
		ids, err := ParseCiphers(s.SSL.Ciphers)
		if err != nil {
			return nil, nil, nil, err
		}
		cfg.CipherSuites = ids
	}
	curves, err := ParseCurves(s.SSL.ECDHCurve)
	if err != nil {
		return nil, nil, nil, err
	}
	cv, clientCAs, err := newClientVerify(&s.SSL)
	if err != nil {
		return nil, nil, nil, err
	}
	if cv != nil {
		// as nginx: ask for a certificate (naming the ssl_client_certificate
		// CAs), never fail the handshake over it; the request decides
		cfg.ClientAuth, cfg.ClientCAs = tls.RequestClientCert, clientCAs
	}
	w, err := extraTLS(&s.SSL, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	warns = append(warns, w...)
	cfg.CurvePreferences = curves
	if h2 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	} else {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg, cv, warns, nil
}

// extraTLS applies ssl_stapling_file and checks ssl_dhparam and
// ssl_early_data, saying what Go's TLS stack does with them.
func extraTLS(s *confparse.SSLSettings, cfg *tls.Config) (warns []string, err error) {
	if s.DHParam != "" {
		b, err := os.ReadFile(s.DHParam)
		if err != nil {
			return nil, fmt.Errorf("BIO_new_file(\"%s\") failed (SSL: error:80000002:system library::%s)", s.DHParam, errnoMsg(err))
		}
		if !strings.Contains(string(b), "-----BEGIN DH PARAMETERS-----") {
			return nil, fmt.Errorf("PEM_read_bio_DHparams(\"%s\") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)", s.DHParam)
		}
		warns = append(warns, fmt.Sprintf("\"ssl_dhparam\" \"%s\" is not used: Go's crypto/tls offers no DHE cipher suites (ECDHE and TLS 1.3 only)", s.DHParam))
	}
	if s.EarlyData {
		warns = append(warns, "\"ssl_early_data\" is not supported on this platform, ignored (Go's crypto/tls server does not accept 0-RTT data; clients send it again after the handshake)")
	}
	if s.Stapling {
		if s.StaplingFile == "" {
			warns = append(warns, "\"ssl_stapling\" ignored, goresty does not query OCSP responders: give the response with ssl_stapling_file")
			return warns, nil
		}
		der, err := os.ReadFile(s.StaplingFile)
		if err != nil {
			return nil, fmt.Errorf("BIO_new_file(\"%s\") failed (SSL: error:80000002:system library::%s)", s.StaplingFile, errnoMsg(err))
		}
		for i := range cfg.Certificates {
			cfg.Certificates[i].OCSPStaple = der
		}
	}
	return warns, nil
}
