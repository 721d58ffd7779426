package tlssession

import (
	"sort"
	"strings"

	"github.com/goresty/goresty/confparse"
)

// VhostName is a stable identity of a server block for Configure: its
// listen addresses, server names and certificate files. It does not depend
// on where the block sits in the file, so a reload that leaves the block
// as it was keeps its sessions resumable; changing the names or the
// certificates starts afresh.
func VhostName(srv *confparse.ServerConf) string {
	if srv == nil {
		return ""
	}
	var listens []string
	for _, l := range srv.Listens {
		listens = append(listens, l.Network+":"+l.Addr)
	}
	sort.Strings(listens)
	var b strings.Builder
	b.WriteString("listen=")
	b.WriteString(strings.Join(listens, ","))
	b.WriteString(";names=")
	b.WriteString(strings.Join(srv.Names, ","))
	b.WriteString(";certs=")
	for i, c := range srv.SSL.Certificates {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Cert)
	}
	return b.String()
}
