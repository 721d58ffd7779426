package confparse

// The proxy_ssl_* directives: TLS to "proxy_pass https://..." servers. A
// level writing one gets a ProxySSL of its own; its unset fields come from
// the level above when merging (mergeProxySSL).
var proxySSLCommands = []command{
	{name: "proxy_ssl_verify", syntax: "on | off  (default off)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { proxySSL(d).Verify = v })},
	{name: "proxy_ssl_trusted_certificate", syntax: "file  (PEM CAs the upstream's certificate is verified against)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		proxySSL(d).TrustedCert = p
		return pemCertsMustLoad(d, p)
	}},
	{name: "proxy_ssl_verify_depth", syntax: "number  (default 1)", ctx: ctxHSL, min: 1, max: 1, once: true, set: num(func(d *directive, v int) { proxySSL(d).VerifyDepth = v })},
	{name: "proxy_ssl_server_name", syntax: "on | off  (default off: no SNI)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { proxySSL(d).ServerName = v })},
	{name: "proxy_ssl_name", syntax: "name  (default: the proxy_pass host; may hold $variables)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		proxySSL(d).Name = d.args[0]
		return nil
	}},
	{name: "proxy_ssl_protocols", syntax: "protocol ...  (default TLSv1.2 TLSv1.3)", ctx: ctxHSL, min: 1, max: many, once: true, set: func(l *loader, d *directive) error {
		p, err := protocols(d)
		proxySSL(d).Protocols = p
		return err
	}},
	{name: "proxy_ssl_ciphers", syntax: "ciphers  (accepted; Go's TLS 1.2 suites)", ctx: ctxHSL, min: 1, max: 1, once: true, set: accepted},
	{name: "proxy_ssl_certificate", syntax: "file  (client certificate sent to the upstream)", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		proxySSL(d).Certificate = p
		return fileMustExist(d, p)
	}},
	{name: "proxy_ssl_certificate_key", syntax: "file", ctx: ctxHSL, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		p := l.confPath(d.args[0])
		proxySSL(d).CertificateKey = p
		return fileMustExist(d, p)
	}},
	{name: "proxy_ssl_session_reuse", syntax: "on | off  (default on)", ctx: ctxHSL, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { proxySSL(d).SessionReuse = v })},
}

// proxySSL is the ProxySSL of the level being read, made on first use.
func proxySSL(d *directive) *ProxySSL {
	s := d.c.settings()
	if s.ProxySSL == nil {
		s.ProxySSL = &ProxySSL{}
	}
	return s.ProxySSL
}

// mergeProxySSL gives the ProxySSL written at level id the values it does
// not set from p; a level writing none shares p's.
func (l *loader) mergeProxySSL(id any, s, p *Settings) {
	own, up := s.ProxySSL, p.ProxySSL
	if own == nil {
		s.ProxySSL = up
		return
	}
	set := func(n string) bool { return l.isSet(id, "proxy_ssl_"+n) }
	if !set("verify") {
		own.Verify = up.Verify
	}
	if !set("trusted_certificate") {
		own.TrustedCert = up.TrustedCert
	}
	if !set("verify_depth") {
		own.VerifyDepth = up.VerifyDepth
	}
	if !set("server_name") {
		own.ServerName = up.ServerName
	}
	if !set("name") {
		own.Name = up.Name
	}
	if !set("protocols") {
		own.Protocols = up.Protocols
	}
	if !set("certificate") && !set("certificate_key") {
		own.Certificate, own.CertificateKey = up.Certificate, up.CertificateKey
	}
	if !set("session_reuse") {
		own.SessionReuse = up.SessionReuse
	}
}
