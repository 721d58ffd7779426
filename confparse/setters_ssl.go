package confparse

import (
	"crypto/x509"
	"os"
	"strings"

	"github.com/goresty/goresty/luavm/errlog"
)

func setTicketKey(l *loader, d *directive) error {
	p := l.confPath(d.args[0])
	if err := fileMustExist(d, p); err != nil {
		return err
	}
	st, err := os.Stat(p)
	if err == nil && st.Size() != 48 && st.Size() != 80 {
		return d.errf(`"%s" must be 80 or 48 bytes`, p)
	}
	s := d.c.ssl()
	s.SessionTicketKeys = append(s.SessionTicketKeys, p)
	return nil
}

// pemCertsMustLoad checks that a CA file exists and holds at least one
// PEM certificate (what a cosocket's sslhandshake would fail on later).
func pemCertsMustLoad(d *directive, path string) error {
	if err := fileMustExist(d, path); err != nil || strings.Contains(path, "$") {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return d.errf(`open() "%s" failed (%s)`, path, errlog.ErrnoText(err))
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return d.errf(`SSL_CTX_load_verify_locations("%s") failed (no PEM certificate in it)`, path)
	}
	return nil
}

// setSealKey is ssl_session_seal_key: "off" (raw sessions), or a key file
// of at least 32 bytes (checked here so that -t catches a short key).
func setSealKey(l *loader, d *directive) error {
	h := d.c.http
	if d.args[0] == "off" {
		if len(h.SSLSessionSealKeys) > 0 || h.SSLSessionSealOff {
			return d.errf(`"ssl_session_seal_key off" cannot be combined with other ssl_session_seal_key directives`)
		}
		h.SSLSessionSealOff = true
		return nil
	}
	if h.SSLSessionSealOff {
		return d.errf(`"ssl_session_seal_key off" cannot be combined with other ssl_session_seal_key directives`)
	}
	p := l.confPath(d.args[0])
	if err := fileMustExist(d, p); err != nil {
		return err
	}
	if st, err := os.Stat(p); err == nil && st.Size() < 32 {
		return d.errf(`"%s" must be at least 32 bytes`, p)
	}
	h.SSLSessionSealKeys = append(h.SSLSessionSealKeys, p)
	return nil
}

// commands is the directive table: one declaration per directive.
// commands is the whole directive table, one slice per concern.
