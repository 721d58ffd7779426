package confparse

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
	ctxSIf // an "if" block in a server: rewrite-module directives only
	ctxLIf // an "if" block in a location: nginx's "if in location"

	ctxHS  = ctxHTTP | ctxServer
	ctxHSL = ctxHTTP | ctxServer | ctxLocation
	ctxSL  = ctxServer | ctxLocation
	ctxIf  = ctxSIf | ctxLIf
	ctxAny = ctxMain | ctxEvents | ctxHSL | ctxUpstream | ctxIf
)

var ctxNames = []struct {
	k    ctxKind
	name string
}{{ctxMain, "main"}, {ctxEvents, "events"}, {ctxHTTP, "http"}, {ctxServer, "server"}, {ctxLocation, "location"}, {ctxUpstream, "upstream"}, {ctxSIf, "if in server"}, {ctxLIf, "if in location"}}

// dctx is the context a directive is being handled in.
type dctx struct {
	kind ctxKind
	id   any // *MainConf, *EventsConf, *HTTPConf, *ServerConf, *LocationConf or *If
	http *HTTPConf
	srv  *ServerConf
	loc  *LocationConf // in an "if" in a location: the block's configuration
	ups  *Upstream
	ifb  *If // the "if" block being read
}

func (c *dctx) settings() *Settings {
	switch c.kind {
	case ctxLocation, ctxLIf:
		return &c.loc.Settings
	case ctxServer, ctxSIf: // an "if" in a server changes no configuration: the server's
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
	case ctxLocation, ctxLIf:
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
	if c.ifb != nil {
		return &c.ifb.Steps
	}
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
// file's base name and the line where the directive ends ("{" of a block);
// plain "ssl_client_hello_by_lua" for that phase.
func luaCode(l *loader, d *directive) (*LuaCode, error) {
	if d.lua == nil && strings.HasSuffix(d.name, "_file") {
		if d.args[0] == "" {
			return nil, d.errf("invalid location config: no runnable Lua code")
		}
		if varPathFiles[d.name] && strings.Contains(d.args[0], "$") {
			return &LuaCode{PathVars: d.args[0], Pos: d.pos}, nil
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
	name := strings.TrimSuffix(d.name, "_block")
	if name != "ssl_client_hello_by_lua" { // lua-nginx-module 0.10.23 gives that one no position
		name = fmt.Sprintf("%s(%s:%d)", name, base, d.errPos.Line)
	}
	return &LuaCode{Source: src, Name: name, Pos: d.errPos}, nil
}

// varPathFiles are the _file directives whose path may hold nginx
// variables, as in OpenResty: those of the request phases (a complex
// value evaluated per request). The others (init, ssl, balancer) take
// the path as written.
var varPathFiles = map[string]bool{
	"set_by_lua_file": true, "rewrite_by_lua_file": true, "access_by_lua_file": true,
	"content_by_lua_file": true, "header_filter_by_lua_file": true,
	"body_filter_by_lua_file": true, "log_by_lua_file": true,
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
			l.addLua(code)
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

var commands = concatCommands(mainCommands, httpCommands, sslCommands, luaCommands, luaPhases, upstreamCommands, mapCommands, ifCommands, proxySSLCommands,
	hashTuning(ctxHTTP, "server_names", "variables", "map"), hashTuning(ctxHSL, "types", "proxy_headers"))

func mainOf(d *directive) *MainConf { return d.c.id.(*MainConf) }

func concatCommands(parts ...[]command) []command {
	var all []command
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
