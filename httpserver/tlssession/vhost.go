package tlssession

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sort"
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
