package confparse

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// ctxKind is a bitmask of the contexts a directive may appear in.
type ctxKind uint16

const (
	ctxMain ctxKind = 1 << iota
	ctxEvents
	ctxHTTP
	ctxServer
	ctxLocation
	ctxUpstream

	ctxHS  = ctxHTTP | ctxServer
	ctxHSL = ctxHTTP | ctxServer | ctxLocation
	ctxSL  = ctxServer | ctxLocation
	ctxAny = ctxMain | ctxEvents | ctxHSL | ctxUpstream
)

var ctxNames = []struct {
	k    ctxKind
	name string
}{{ctxMain, "main"}, {ctxEvents, "events"}, {ctxHTTP, "http"}, {ctxServer, "server"}, {ctxLocation, "location"}, {ctxUpstream, "upstream"}}

// dctx is the context a directive is being handled in.
type dctx struct {
	kind ctxKind
	id   any // *MainConf, *EventsConf, *HTTPConf, *ServerConf or *LocationConf
	http *HTTPConf
	srv  *ServerConf
	loc  *LocationConf
	ups  *Upstream
}

func (c *dctx) settings() *Settings {
	switch c.kind {
	case ctxLocation:
		return &c.loc.Settings
	case ctxServer:
		return &c.srv.Settings
	default:
		return &c.http.Settings
	}
}

func (c *dctx) ssl() *SSLSettings {
	if c.kind == ctxServer {
		return &c.srv.SSL
	}
	return &c.http.SSL
}

// luaSocket is where a lua_socket_* directive written in a server or
// location goes; nil at http level (HTTPConf's own fields).
func (c *dctx) luaSocket() *LuaSocketSettings {
	switch c.kind {
	case ctxLocation:
		return &c.loc.LuaSocket
	case ctxServer:
		return &c.srv.LuaSocket
	}
	return nil
}

// luaSocketSet stores a lua_socket_* value in the server or location being
// read (its LuaSocketSettings field), or at http level in HTTPConf's field.
func luaSocketSet[T any](field func(*LuaSocketSettings) *T, httpField func(*HTTPConf) *T) func(d *directive, v T) {
	return func(d *directive, v T) {
		if ls := d.c.luaSocket(); ls != nil {
			*field(ls) = v
		} else {
			*httpField(d.c.http) = v
		}
	}
}

func (c *dctx) rewrite() *[]RewriteStep {
	if c.kind == ctxLocation {
		return &c.loc.Rewrite
	}
	return &c.srv.Rewrite
}

// directive is one directive occurrence being handled.
type directive struct {
	name    string
	args    []string
	c       *dctx
	pos     Pos // line of the directive's name
	errPos  Pos // line of its ";" or "{": where nginx reports errors
	endPos  Pos // line of a block's "}"
	isBlock bool
	block   []*astStmt
	lua     *string // raw source of a *_by_lua_block
}

func (d *directive) errf(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...), Pos: d.errPos}
}

func (d *directive) invalidValue() error {
	return d.errf(`"%s" directive invalid value`, d.name)
}

// command is one row of the directive table: the single declaration of a
// directive (as nginx's ngx_command_t).
type command struct {
	name     string
	syntax   string // arguments, for the directive reference
	ctx      ctxKind
	min, max int  // number of arguments; max < 0: no upper bound
	block    bool // takes a { } block
	once     bool // a second occurrence at the same level is "duplicate"
	slot     string
	set      func(l *loader, d *directive) error
}

// Arity helpers.
const many = -1

// commandIndex lists the rows of each name: a name may have one row per
// context family, as nginx's modules do ("server" in http and in upstream).
var commandIndex = map[string][]*command{}

func init() {
	for i := range commands {
		c := &commands[i]
		for _, o := range commandIndex[c.name] {
			if o.ctx&c.ctx != 0 {
				panic("confparse: directive declared twice: " + c.name)
			}
		}
		commandIndex[c.name] = append(commandIndex[c.name], c)
	}
}

// lookup is the row of name for context kind (the first row when none
// allows it there).
func lookup(name string, kind ctxKind) *command {
	rows := commandIndex[name]
	for _, c := range rows {
		if c.ctx&kind != 0 {
			return c
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

// DirectiveInfo describes one directive for the README's reference.
type DirectiveInfo struct {
	Name     string
	Contexts []string // "main", "events", "http", "server", "location"
	Block    bool
	Syntax   string // arguments and default, e.g. "on | off  (default on)"
	MinArgs  int
	MaxArgs  int // -1: no upper bound
}

// Directives lists every directive goresty knows, sorted by name.
func Directives() []DirectiveInfo {
	out := make([]DirectiveInfo, 0, len(commands))
	for _, c := range commands {
		di := DirectiveInfo{Name: c.name, Syntax: c.syntax, Block: c.block, MinArgs: c.min, MaxArgs: c.max}
		for _, cn := range ctxNames {
			if c.ctx&cn.k != 0 {
				di.Contexts = append(di.Contexts, cn.name)
			}
		}
		out = append(out, di)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ---- value helpers used by the table ----

func flagValue(d *directive) (bool, error) {
	switch strings.ToLower(d.args[0]) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, d.errf(`invalid value "%s" in "%s" directive, it must be "on" or "off"`, d.args[0], d.name)
}

func onOff(set func(d *directive, v bool)) func(*loader, *directive) error {
	return func(_ *loader, d *directive) error {
		v, err := flagValue(d)
		if err == nil && set != nil {
			set(d, v)
		}
		return err
	}
}

// argValue makes the handler of a one-argument directive: parse reads the
// argument (bad is the error when it cannot) and set (nil: checked only)
// takes the value.
func argValue[T any](parse func(string) (T, bool), bad func(*directive) error, set func(d *directive, v T)) func(*loader, *directive) error {
	return func(_ *loader, d *directive) error {
		v, ok := parse(d.args[0])
		if !ok {
			return bad(d)
		}
		if set != nil {
			set(d, v)
		}
		return nil
	}
}

func msec(set func(d *directive, v time.Duration)) func(*loader, *directive) error {
	return argValue(func(s string) (time.Duration, bool) { return parseTime(s, false) }, (*directive).invalidValue, set)
}

func sec(set func(d *directive, v time.Duration)) func(*loader, *directive) error {
	return argValue(func(s string) (time.Duration, bool) { return parseTime(s, true) }, (*directive).invalidValue, set)
}

func num(set func(d *directive, v int)) func(*loader, *directive) error {
	return argValue(parseInt, func(d *directive) error { return d.errf(`"%s" directive invalid number`, d.name) }, set)
}

func size(set func(d *directive, v int64)) func(*loader, *directive) error {
	return argValue(parseSize, (*directive).invalidValue, set)
}

// dirMustExist checks that a log file can be created where it is named:
// nginx opens logs while reading the configuration.
func dirMustExist(d *directive, path string) error {
	if path == "stderr" || strings.Contains(path, "$") {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return d.errf(`open() "%s" failed (%s)`, path, errlog.ErrnoText(err))
	}
	if !st.IsDir() {
		return d.errf(`open() "%s" failed (20: Not a directory)`, path)
	}
	return nil
}

// setTypes reads a "types { type ext...; }" block: its lines are MIME
// types and file extensions, not directives.
func setTypes(l *loader, d *directive) error {
	h := d.c.settings()
	if h.Types == nil {
		h.Types = map[string]string{}
	}
	for _, st := range d.block {
		if st.Err != nil {
			return l.syntaxErr(*st.Err, st.Pos)
		}
		if st.Term.Err != nil {
			return l.syntaxErr(*st.Term.Err, st.Term.Pos)
		}
		if !st.Term.Semi {
			return l.syntaxErr(`unexpected "{"`, st.Term.Pos)
		}
		if len(st.Args) == 0 {
			return l.syntaxErr(`invalid number of arguments in "types" directive`, st.Term.Pos)
		}
		typ := st.Name.value()
		for _, a := range st.Args {
			h.Types[strings.ToLower(a.value())] = typ
		}
	}
	return nil
}

// accepted: the directive is recognised and its arguments ignored.
func accepted(*loader, *directive) error { return nil }

// fileMustExist checks a file named in the configuration the way nginx
// reports failing to open it.
func fileMustExist(d *directive, path string) error {
	if strings.Contains(path, "$") {
		return nil // holds variables: resolved at run time
	}
	st, err := os.Stat(path)
	if err != nil {
		return d.errf(`open() "%s" failed (%s)`, path, errlog.ErrnoText(err))
	}
	if st.IsDir() {
		return d.errf(`read() "%s" failed (21: Is a directory)`, path)
	}
	if !st.Mode().IsRegular() {
		return d.errf(`"%s" is not a regular file`, path)
	}
	f, err := os.Open(path) // a regular file: opening it cannot block
	if err != nil {
		return d.errf(`open() "%s" failed (%s)`, path, errlog.ErrnoText(err))
	}
	f.Close()
	return nil
}

var sslProtocolNames = []string{"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// protocols reads ssl_protocols / lua_ssl_protocols: as nginx's bitmask
// slot, names match case-insensitively ("TLSV1.2"); they are returned in
// their canonical spelling.
func protocols(d *directive) ([]string, error) {
	out := make([]string, 0, len(d.args))
	for _, a := range d.args {
		i := slices.IndexFunc(sslProtocolNames, func(n string) bool { return strings.EqualFold(n, a) })
		if i < 0 {
			return nil, d.errf(`invalid value "%s"`, a)
		}
		out = append(out, sslProtocolNames[i])
	}
	return out, nil
}

func errorLogTarget(l *loader, d *directive) (errlog.Target, error) {
	t := errlog.Target{Path: l.prefixPath(d.args[0]), Level: errlog.Error}
	if spec, ok := strings.CutPrefix(d.args[0], "syslog:"); ok {
		sl, err := parseSyslog(d, spec)
		if err != nil {
			return t, err
		}
		t.Path, t.Syslog = d.args[0], sl
	}
	if len(d.args) > 1 {
		lv, ok := errlog.ParseLevel(d.args[1])
		if !ok || lv == errlog.Stderr {
			return t, d.errf(`invalid log level "%s"`, d.args[1])
		}
		t.Level = lv
	}
	return t, nil
}

// luaCode builds a LuaCode from a *_by_lua_block (d.lua), a *_by_lua_file
// or the string form (*_by_lua 'code'). Inline code (block and string) is
// named as OpenResty names it: "content_by_lua(nginx.conf:40)", the conf
// file's base name and the line where the directive ends ("{" of a block).
func luaCode(l *loader, d *directive) (*LuaCode, error) {
	if d.lua == nil && strings.HasSuffix(d.name, "_file") {
		if d.args[0] == "" {
			return nil, d.errf("invalid location config: no runnable Lua code")
		}
		p := l.prefixPath(d.args[0])
		if err := fileMustExist(d, p); err != nil {
			return nil, err
		}
		return &LuaCode{File: p, Name: p, Pos: d.pos}, nil
	}
	src := ""
	if d.lua != nil {
		src = *d.lua
	} else {
		src = d.args[0]
	}
	if src == "" {
		return nil, d.errf("invalid location config: no runnable Lua code")
	}
	base := filepath.Base(d.errPos.File)
	if d.errPos.File == cmdlineName {
		base = cmdlineName
	}
	return &LuaCode{
		Source: src,
		Name:   fmt.Sprintf("%s(%s:%d)", strings.TrimSuffix(d.name, "_block"), base, d.errPos.Line),
		Pos:    d.errPos,
	}, nil
}

// luaPhase declares one Lua phase the way OpenResty offers it: NAME_block
// { lua }, NAME_file path and, when str is set, the string form NAME 'lua'
// (the oldest form, still in most configurations). The forms share one
// slot: two of them at one level are "is duplicate". target is where the
// code goes for the level being read.
func luaPhase(name string, ctx ctxKind, str bool, note string, target func(d *directive) **LuaCode) []command {
	if note != "" {
		note = "  (" + note + ")"
	}
	set := func(l *loader, d *directive) error {
		code, err := luaCode(l, d)
		if err == nil {
			*target(d) = code
			l.cfg.Lua = append(l.cfg.Lua, code)
		}
		return err
	}
	rows := []command{
		{name: name + "_block", syntax: "{ lua }" + note, ctx: ctx, block: true, once: true, slot: name, set: set},
		{name: name + "_file", syntax: "file" + note, ctx: ctx, min: 1, max: 1, once: true, slot: name, set: set},
	}
	if str {
		rows = append(rows, command{name: name, syntax: "'lua'" + note, ctx: ctx, min: 1, max: 1, once: true, slot: name, set: set})
	}
	return rows
}

const (
	defaultLuaPath  = "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
	defaultLuaCPath = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so"
	combinedFormat  = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
)

// luaPath replaces ";;" with the default path and $prefix with the prefix.
func luaPath(l *loader, p, def string) string {
	p = strings.ReplaceAll(p, "${prefix}", l.cfg.Prefix)
	p = strings.ReplaceAll(p, "$prefix", l.cfg.Prefix)
	if strings.Contains(p, ";;") {
		p = strings.Replace(p, ";;", ";"+def+";", 1)
		for strings.Contains(p, ";;") {
			p = strings.ReplaceAll(p, ";;", ";")
		}
		p = strings.Trim(p, ";")
	}
	return p
}

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
		return d.errf(`dlopen() "%s" failed (%s: cannot open shared object file: %s)`, path, path, errnoMessage(err))
	}
	l.cfg.Warnings = append(l.cfg.Warnings, fmt.Sprintf("load_module ignored: goresty has no dynamic modules in %s", d.errPos))
	return nil
}

// errnoMessage is strerror's text for a file error ("No such file or directory").
func errnoMessage(err error) string {
	t := errlog.ErrnoText(err)
	if _, msg, ok := strings.Cut(t, ": "); ok {
		return msg
	}
	return t
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
var commands = concatCommands(mainCommands, httpCommands, sslCommands, luaCommands, luaPhases, upstreamCommands, mapCommands)

func mainOf(d *directive) *MainConf { return d.c.id.(*MainConf) }

var _ = strconv.Itoa

func concatCommands(parts ...[]command) []command {
	var all []command
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
