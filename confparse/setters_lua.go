package confparse

import (
	"strings"
	"time"
)

func setSharedDict(l *loader, d *directive) error {
	h := d.c.http
	name := d.args[0]
	if name == "" {
		return d.errf(`invalid lua shared dict name "%s"`, name)
	}
	sz, ok := parseSize(d.args[1])
	if !ok || sz <= 8191 {
		return d.errf(`invalid lua shared dict size "%s"`, d.args[1])
	}
	for _, sd := range h.SharedDicts {
		if sd.Name == name {
			if sd.Size != sz {
				return d.errf(`the size %d of shared memory zone "%s" conflicts with already declared size %d`, sz, name, sd.Size)
			}
			return d.errf(`lua_shared_dict "%s" is already defined as "%s"`, name, sd.Name)
		}
	}
	h.SharedDicts = append(h.SharedDicts, SharedDict{Name: name, Size: sz, Pos: d.pos})
	return nil
}

// resolverConf is what one "resolver" directive says.
type resolverConf struct {
	servers []string
	valid   time.Duration
	ipv6    bool
}

func setResolver(l *loader, d *directive) error {
	r := resolverConf{ipv6: true}
	for _, a := range d.args {
		switch {
		case strings.HasPrefix(a, "valid="):
			v, ok := parseTime(a[len("valid="):], true)
			if !ok {
				return d.errf("invalid parameter: %s", a)
			}
			r.valid = v
		case strings.HasPrefix(a, "ipv6="):
			switch a[len("ipv6="):] {
			case "on":
				r.ipv6 = true
			case "off":
				r.ipv6 = false
			default:
				return d.errf("invalid parameter: %s", a)
			}
		case strings.HasPrefix(a, "status_zone="):
		default:
			host, port := a, "53"
			if strings.HasPrefix(a, "[") {
				end := strings.IndexByte(a, ']')
				if end < 0 {
					return d.errf(`invalid host in resolver "%s"`, a)
				}
				host = a[1:end]
				if rest := a[end+1:]; rest != "" {
					if rest[0] != ':' {
						return d.errf(`invalid host in resolver "%s"`, a)
					}
					port = rest[1:]
				}
			} else if strings.Count(a, ":") == 1 {
				host, port = a[:strings.IndexByte(a, ':')], a[strings.IndexByte(a, ':')+1:]
			}
			if p, ok := parseInt(port); !ok || p < 1 || p > 65535 {
				return d.errf(`invalid port in resolver "%s"`, a)
			}
			if host == "" || !validHost(host) {
				return d.errf(`host not found in resolver "%s"`, a)
			}
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			r.servers = append(r.servers, host+":"+port)
		}
	}
	if ls := d.c.luaSocket(); ls != nil {
		ls.Resolver, ls.ResolverValid, ls.ResolverIPv6 = r.servers, r.valid, r.ipv6
	} else {
		h := d.c.http
		h.Resolver, h.ResolverValid, h.ResolverIPv6 = r.servers, r.valid, r.ipv6
	}
	return nil
}
