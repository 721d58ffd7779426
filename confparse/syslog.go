package confparse

import (
	"net"
	"slices"
	"strings"

	"github.com/goresty/goresty/luavm/errlog"
)

// parseSyslog reads the part after "syslog:" of an error_log or access_log
// target ("server=ADDR[,facility=F][,severity=S][,tag=T][,nohostname]"),
// with nginx's checks and wording.
func parseSyslog(d *directive, spec string) (errlog.Syslog, error) {
	s := errlog.Syslog{Facility: errlog.SyslogFacilityLocal7, Tag: "nginx"}
	seen := map[string]bool{}
	once := func(name string) error {
		if seen[name] {
			return d.errf(`duplicate syslog "%s"`, name)
		}
		seen[name] = true
		return nil
	}
	for _, p := range strings.Split(spec, ",") {
		name, val, hasVal := strings.Cut(p, "=")
		if !hasVal && name != "nohostname" {
			return s, d.errf(`unknown syslog parameter "%s"`, p)
		}
		switch name {
		case "server":
			if err := once(name); err != nil {
				return s, err
			}
			if err := syslogServer(d, val, &s); err != nil {
				return s, err
			}
		case "facility":
			if err := once(name); err != nil {
				return s, err
			}
			i := slices.Index(errlog.SyslogFacilities, val)
			if i < 0 {
				return s, d.errf(`unknown syslog facility "%s"`, val)
			}
			s.Facility = i
		case "severity":
			// error_log lines carry their own level as the severity; the
			// name is still checked, as nginx does
			if err := once(name); err != nil {
				return s, err
			}
			lv, ok := errlog.ParseLevel(val)
			if !ok || lv == errlog.Stderr {
				return s, d.errf(`unknown syslog severity "%s"`, val)
			}
			s.Severity = lv
		case "tag":
			if err := once(name); err != nil {
				return s, err
			}
			if len(val) > 32 {
				return s, d.errf("syslog tag length exceeds 32")
			}
			for i := 0; i < len(val); i++ {
				c := val[i]
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return s, d.errf(`syslog "tag" only allows alphanumeric characters and underscore`)
				}
			}
			s.Tag = val
		case "nohostname":
			if hasVal {
				return s, d.errf(`unknown syslog parameter "%s"`, p)
			}
			s.NoHostname = true
		default:
			return s, d.errf(`unknown syslog parameter "%s"`, p)
		}
	}
	if s.Addr == "" {
		return s, d.errf("no syslog server specified")
	}
	return s, nil
}

// syslogServer reads server=: "unix:PATH", or a host (name, IPv4, [IPv6])
// with an optional port (default 514), resolved now as nginx does.
func syslogServer(d *directive, a string, s *errlog.Syslog) error {
	if path, ok := strings.CutPrefix(a, "unix:"); ok {
		if path == "" {
			return d.errf(`no path in the unix domain socket in syslog server "%s"`, a)
		}
		s.Network, s.Addr = "unixgram", path
		return nil
	}
	host, port := a, "514"
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return d.errf(`invalid host in syslog server "%s"`, a)
		}
		host = a[1:end]
		if rest := a[end+1:]; rest != "" {
			if rest[0] != ':' {
				return d.errf(`invalid host in syslog server "%s"`, a)
			}
			port = rest[1:]
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	if host == "" {
		return d.errf(`no host in syslog server "%s"`, a)
	}
	if p, ok := parseInt(port); !ok || p < 1 || p > 65535 {
		return d.errf(`invalid port in syslog server "%s"`, a)
	}
	addrs, err := net.LookupHost(host)
	if !validHost(host) || err != nil || len(addrs) == 0 {
		return d.errf(`host not found in syslog server "%s"`, a)
	}
	s.Network, s.Addr = "udp", net.JoinHostPort(addrs[0], port)
	return nil
}
