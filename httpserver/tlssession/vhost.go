package tlssession

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goresty/goresty/confparse"
)

// VhostName is a stable identity of a server block for Configure: its
// server_name set and the contents of its certificates — what a client
// trusts, as issue 5's binding asks. Neither the block's position nor its
// listen addresses nor where the certificate files live take part, so a
// reload that leaves the block as it was keeps its sessions resumable, and
// fleet hosts listening on other ports or keeping their files elsewhere
// resume each other's sessions; changing the names or the certificates
// starts afresh.
func VhostName(srv *confparse.ServerConf) string {
	if srv == nil {
		return ""
	}
	names := append([]string(nil), srv.Names...)
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("names=")
	b.WriteString(strings.Join(names, ","))
	b.WriteString(";certs=")
	for i, c := range srv.SSL.Certificates {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(certIdentity(c.Cert))
	}
	if p := VerifyPolicy(&srv.SSL); p != "" {
		b.WriteString(";")
		b.WriteString(p)
	}
	return b.String()
}

// VerifyPolicy identifies a server block's client certificate policy
// (ssl_verify_client, its CAs, CRLs and depth), "" when it checks none. It
// is part of VhostName, so a session made where client certificates are not
// checked (or checked against other CAs) is never resumed where they are:
// the shape of nginx's CVE-2025-23419. Blocks with different policies also
// refuse each other's requests on one connection (421).
func VerifyPolicy(s *confparse.SSLSettings) string {
	if s.VerifyClient == "" || s.VerifyClient == "off" {
		return ""
	}
	var b strings.Builder
	b.WriteString("verify=" + s.VerifyClient + ",depth=" + strconv.Itoa(s.VerifyDepth))
	for _, f := range []struct{ k, path string }{{"ca", s.ClientCertificate}, {"trusted", s.TrustedCert}, {"crl", s.CRL}} {
		if f.path != "" {
			b.WriteString("," + f.k + "=" + certIdentity(f.path))
		}
	}
	return b.String()
}

// certIdentity is the SHA-256 of the certificate file; an unreadable file
// (reported elsewhere when the certificate is loaded) falls back to its path.
func certIdentity(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return path
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
