package confparse

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goresty/goresty/luavm/errlog"
)

func setListen(l *loader, d *directive) error {
	network, addr, msg := parseListen(d.args[0])
	if msg != "" {
		return d.errf("%s", msg)
	}
	ls := Listen{Network: network, Addr: addr, Pos: d.pos}
	for _, p := range d.args[1:] {
		switch {
		case p == "ssl":
			ls.SSL = true
		case p == "default_server" || p == "default":
			ls.DefaultServer = true
		case p == "reuseport":
			ls.Reuseport = true
		case p == "http2":
			ls.HTTP2 = true
		case p == "bind" || p == "deferred",
			strings.HasPrefix(p, "backlog="), strings.HasPrefix(p, "rcvbuf="),
			strings.HasPrefix(p, "sndbuf="), strings.HasPrefix(p, "ipv6only="),
			strings.HasPrefix(p, "so_keepalive="), strings.HasPrefix(p, "fastopen="):
			// accepted; the Go runtime picks these
		default:
			return d.errf(`invalid parameter "%s"`, p)
		}
	}
	d.c.srv.Listens = append(d.c.srv.Listens, ls)
	return nil
}

func setSessionCache(l *loader, d *directive) error {
	sc := &d.c.ssl().SessionCache
	var got SessionCache
	seenShared := false
	for _, a := range d.args {
		bad := func() error { return d.errf(`invalid session cache "%s"`, a) }
		switch {
		case a == "off":
			got = SessionCache{Mode: SessionCacheOff}
		case a == "none":
			got = SessionCache{Mode: SessionCacheNone}
		case a == "builtin":
			if !seenShared {
				got = SessionCache{Mode: SessionCacheBuiltin}
			}
		case strings.HasPrefix(a, "builtin:"):
			n, ok := parseInt(a[len("builtin:"):])
			if !ok || n == 0 {
				return bad()
			}
			if !seenShared {
				got = SessionCache{Mode: SessionCacheBuiltin, Size: int64(n)}
			}
		case strings.HasPrefix(a, "shared:"):
			rest := a[len("shared:"):]
			i := strings.LastIndexByte(rest, ':')
			if i <= 0 {
				return bad()
			}
			sz, ok := parseSize(rest[i+1:])
			if !ok || sz == 0 {
				return bad()
			}
			if sz < 8*4096 {
				return d.errf(`session cache "%s" is too small`, a)
			}
			got = SessionCache{Mode: SessionCacheShared, Name: rest[:i], Size: sz}
			seenShared = true
		default:
			return bad()
		}
	}
	if len(d.args) > 1 && (got.Mode == SessionCacheOff || got.Mode == SessionCacheNone) {
		return d.errf(`invalid session cache "%s"`, strings.Join(d.args, " "))
	}
	*sc = got
	return nil
}

func setLocation(l *loader, d *directive) error {
	mod, path := "", d.args[0]
	if len(d.args) == 2 {
		mod, path = d.args[0], d.args[1]
		switch mod {
		case "=", "~", "~*", "^~":
		default:
			return d.errf(`invalid location modifier "%s"`, mod)
		}
	} else {
		for _, m := range []string{"=", "~*", "~", "^~", "@"} {
			if strings.HasPrefix(path, m) && len(path) > len(m) {
				mod, path = m, path[len(m):]
				break
			}
		}
	}
	show := path
	if mod == "@" {
		show = "@" + path
	}
	regex := mod == "~" || mod == "~*"
	if regex {
		expr := path
		if mod == "~*" {
			expr = "(?i)" + expr
		}
		if _, err := regexp.Compile(expr); err != nil {
			return d.errf(`invalid regular expression "%s": %s`, path, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	loc := &LocationConf{Pos: d.pos, Modifier: mod, Path: path}
	if l.locPos == nil {
		l.locPos = map[*LocationConf]Pos{}
	}
	l.locPos[loc] = d.errPos
	if p := d.c.loc; p != nil {
		pshow := p.Path
		switch {
		case p.Modifier == "=":
			return d.errf(`location "%s" cannot be inside the exact location "%s"`, show, pshow)
		case p.Modifier == "@":
			return d.errf(`location "%s" cannot be inside the named location "@%s"`, show, pshow)
		case mod == "@":
			return d.errf(`named location "%s" can be on the server level only`, show)
		case !regex && p.Modifier != "~" && p.Modifier != "~*" && !strings.HasPrefix(path, p.Path):
			return d.errf(`location "%s" is outside location "%s"`, show, pshow)
		}
		p.Locations = append(p.Locations, loc)
	} else {
		d.c.srv.Locations = append(d.c.srv.Locations, loc)
	}
	return l.walk(d.block, &dctx{kind: ctxLocation, id: loc, http: d.c.http, srv: d.c.srv, loc: loc})
}

// checkDupLocations reports two non-regex, non-named locations with the
// same match (exact vs exact, prefix or "^~" vs prefix or "^~") at one
// level, as nginx: nested levels first, the later one's position.
func (l *loader) checkDupLocations(locs []*LocationConf) error {
	for _, lc := range locs {
		if err := l.checkDupLocations(lc.Locations); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, lc := range locs {
		var key string
		switch lc.Modifier {
		case "~", "~*", "@":
			continue
		case "=":
			key = "=" + lc.Path
		default:
			key = " " + lc.Path
		}
		if seen[key] {
			return &Error{Msg: fmt.Sprintf(`duplicate location "%s"`, lc.Path), Pos: l.locPos[lc]}
		}
		seen[key] = true
	}
	return nil
}

// setLoadModule accepts nginx's load_module so configurations shared with
// nginx (Test::Nginx's TEST_NGINX_LOAD_MODULES) still start: the file must
// exist (as nginx's dlopen), is not loaded, and a warning says so.
func setLoadModule(l *loader, d *directive) error {
	if l.modsUsed {
		return d.errf(`"load_module" directive is specified too late`)
	}
	path := l.prefixPath(d.args[0])
	if _, err := os.Stat(path); err != nil {
		return d.errf(`dlopen() "%s" failed (%s: cannot open shared object file: %s)`, path, path, errlog.Strerror(err))
	}
	l.cfg.Warnings = append(l.cfg.Warnings, fmt.Sprintf("load_module ignored: goresty has no dynamic modules in %s", d.errPos))
	return nil
}

func setReturn(l *loader, d *directive) error {
	r := &Return{}
	a := d.args[0]
	if len(d.args) == 1 && (strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") || strings.HasPrefix(a, "$scheme")) {
		r.Code, r.Text = 302, a
	} else {
		n, ok := parseInt(a)
		if !ok || n > 999 {
			return d.errf(`invalid return code "%s"`, a)
		}
		r.Code = n
		if len(d.args) == 2 {
			r.Text = d.args[1]
		}
	}
	rw := d.c.rewrite()
	*rw = append(*rw, RewriteStep{Return: r, Pos: d.pos})
	return nil
}

func setSet(l *loader, d *directive) error {
	name := d.args[0]
	if len(name) < 2 || name[0] != '$' {
		return d.errf(`invalid variable name "%s"`, name)
	}
	rw := d.c.rewrite()
	*rw = append(*rw, RewriteStep{Set: &SetVar{Name: name[1:], Value: d.args[1]}, Pos: d.pos})
	return nil
}

func setAccessLog(l *loader, d *directive) error {
	s := d.c.settings()
	if d.args[0] == "off" {
		if len(d.args) > 1 {
			return d.errf(`invalid number of arguments in "%s" directive`, d.name)
		}
		s.AccessLogs = []AccessLog{{Off: true, Pos: d.pos}}
		return nil
	}
	al := AccessLog{Path: l.prefixPath(d.args[0]), Format: "combined", Pos: d.pos}
	if spec, ok := strings.CutPrefix(d.args[0], "syslog:"); ok {
		sl, err := parseSyslog(d, spec)
		if err != nil {
			return err
		}
		al.Path, al.Syslog = d.args[0], sl
	}
	if len(d.args) > 1 {
		al.Format = d.args[1]
		if _, ok := d.c.http.LogFormats[al.Format]; !ok {
			return d.errf(`unknown log format "%s"`, al.Format)
		}
		for _, p := range d.args[2:] {
			if !(strings.HasPrefix(p, "buffer=") || strings.HasPrefix(p, "flush=") ||
				strings.HasPrefix(p, "if=") || p == "gzip" || strings.HasPrefix(p, "gzip=")) {
				return d.errf(`invalid parameter "%s"`, p)
			}
		}
	}
	if al.Syslog.Addr == "" {
		if err := dirMustExist(d, al.Path); err != nil {
			return err
		}
	}
	if len(s.AccessLogs) == 1 && s.AccessLogs[0].Off {
		s.AccessLogs = nil
	}
	s.AccessLogs = append(s.AccessLogs, al)
	return nil
}

func setLogFormat(l *loader, d *directive) error {
	h := d.c.http
	name := d.args[0]
	if _, dup := h.LogFormats[name]; dup {
		return d.errf(`duplicate "log_format" name "%s"`, name)
	}
	parts := d.args[1:]
	if strings.HasPrefix(parts[0], "escape=") {
		switch parts[0] {
		case "escape=default", "escape=json", "escape=none":
		default:
			return d.errf(`unknown log format escaping "%s"`, parts[0][len("escape="):])
		}
		parts = parts[1:]
		if len(parts) == 0 {
			return d.errf(`invalid number of arguments in "%s" directive`, d.name)
		}
	}
	h.LogFormats[name] = strings.Join(parts, "")
	return nil
}
