package confparse

import (
	"strings"
	"time"
)

// sslFile sets a file-valued ssl_* directive (resolved against the conf
// directory, as nginx's ngx_conf_full_name); its content is checked when
// the TLS configuration is built (-t and start), as nginx does.
func sslFile(field func(*SSLSettings) *string) func(*loader, *directive) error {
	return func(l *loader, d *directive) error {
		*field(d.c.ssl()) = l.confPath(d.args[0])
		return nil
	}
}

// The ssl_* directives (TLS of server blocks, session resumption and its hooks).
var sslCommands = []command{
	{name: "ssl_session_seal_key", syntax: "file | off  (repeatable; first seals, all open; default: a random key per process)", ctx: ctxHTTP, min: 1, max: 1, set: setSealKey},

	{name: "ssl_certificate", syntax: "file  (repeatable, paired in order with ssl_certificate_key)", ctx: ctxHS, min: 1, max: 1, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		if err := fileMustExist(d, p); err != nil {
			return err
		}
		l.certs[d.c.ssl()] = append(l.certs[d.c.ssl()], CertPair{Cert: p, Pos: d.pos})
		return nil
	}},
	{name: "ssl_certificate_key", syntax: "file", ctx: ctxHS, min: 1, max: 1, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		if err := fileMustExist(d, p); err != nil {
			return err
		}
		l.keys[d.c.ssl()] = append(l.keys[d.c.ssl()], p)
		return nil
	}},
	{name: "ssl_protocols", syntax: "protocol ...  (default TLSv1.2 TLSv1.3)", ctx: ctxHS, min: 1, max: many, once: true, set: func(l *loader, d *directive) error {
		p, err := protocols(d)
		d.c.ssl().Protocols = p
		return err
	}},
	{name: "ssl_ciphers", syntax: "ciphers  (OpenSSL names)", ctx: ctxHS, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		d.c.ssl().Ciphers = d.args[0]
		return nil
	}},
	{name: "ssl_prefer_server_ciphers", syntax: "on | off  (default off)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.ssl().PreferServerCiphers = v })},
	{name: "ssl_ecdh_curve", syntax: "curve[:curve ...] | auto  (default auto)", ctx: ctxHS, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		d.c.ssl().ECDHCurve = d.args[0]
		return nil
	}},
	{name: "ssl_session_timeout", syntax: "time  (default 5m)", ctx: ctxHS, min: 1, max: 1, once: true, set: sec(func(d *directive, v time.Duration) { d.c.ssl().SessionTimeout = v })},
	{name: "ssl_session_tickets", syntax: "on | off  (default on)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.ssl().SessionTickets = v })},
	{name: "ssl_session_ticket_key", syntax: "file  (48 or 80 bytes; repeatable, first encrypts)", ctx: ctxHS, min: 1, max: 1, set: setTicketKey},
	{name: "ssl_session_cache", syntax: "off | none | [builtin[:size]] [shared:name:size]  (default none)", ctx: ctxHS, min: 1, max: 2, once: true, set: setSessionCache},

	{name: "ssl_verify_client", syntax: "on | off | optional | optional_no_ca  (default off)", ctx: ctxHS, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		v := strings.ToLower(d.args[0]) // an enum slot: case-insensitive
		switch v {
		case "on", "off", "optional", "optional_no_ca":
		default:
			return d.errf(`invalid value "%s"`, d.args[0])
		}
		d.c.ssl().VerifyClient = v
		return nil
	}},
	{name: "ssl_client_certificate", syntax: "file  (CAs for client certificates, sent to clients)", ctx: ctxHS, min: 1, max: 1, once: true, set: sslFile(func(s *SSLSettings) *string { return &s.ClientCertificate })},
	{name: "ssl_trusted_certificate", syntax: "file  (CAs for client certificates, not sent)", ctx: ctxHS, min: 1, max: 1, once: true, set: sslFile(func(s *SSLSettings) *string { return &s.TrustedCert })},
	{name: "ssl_verify_depth", syntax: "number  (default 1)", ctx: ctxHS, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { d.c.ssl().VerifyDepth = v })},
	{name: "ssl_crl", syntax: "file  (PEM CRLs; every CA of a client chain needs one)", ctx: ctxHS, min: 1, max: 1, once: true, set: sslFile(func(s *SSLSettings) *string { return &s.CRL })},
	{name: "ssl_dhparam", syntax: "file  (checked; Go offers no DHE cipher suites, -t warns)", ctx: ctxHS, min: 1, max: 1, once: true, set: sslFile(func(s *SSLSettings) *string { return &s.DHParam })},
	{name: "ssl_early_data", syntax: "on | off  (default off; on: ignored with a warning, Go's TLS server does not accept 0-RTT data)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.ssl().EarlyData = v })},
	{name: "ssl_stapling", syntax: "on | off  (default off; staples ssl_stapling_file, no OCSP queries)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.ssl().Stapling = v })},
	{name: "ssl_stapling_file", syntax: "file  (DER OCSP response)", ctx: ctxHS, min: 1, max: 1, once: true, set: sslFile(func(s *SSLSettings) *string { return &s.StaplingFile })},
	{name: "ssl_buffer_size", syntax: "size  (accepted; Go's TLS sizes records itself: small at first, then full)", ctx: ctxHS, min: 1, max: 1, once: true, set: size(nil)},
	{name: "ssl_stapling_verify", syntax: "on | off  (accepted; no effect)", ctx: ctxHS, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "ssl_stapling_responder", syntax: "url  (accepted; goresty does not query OCSP responders)", ctx: ctxHS, min: 1, max: 1, once: true, set: accepted},

	{name: "ssl_session_metrics", syntax: "(no arguments)", ctx: ctxLocation, min: 0, max: 0, once: true, set: func(l *loader, d *directive) error {
		newHandler(d.c.loc)
		d.c.loc.SSLSessionMetrics = true
		return nil
	}},
}
