package confparse

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/goresty/goresty/luavm/errlog"
)

// Options says what to load; they are nginx's -p, -c, -g and -e.
type Options struct {
	Prefix   string // -p; default: the current directory
	ConfFile string // -c; default: conf/nginx.conf under the prefix
	Globals  string // -g "directives;"
	// ErrorLog is -e: the default error log when the configuration names
	// none ("stderr" or a path, relative to the prefix). Empty means
	// PREFIX/logs/error.log.
	ErrorLog string
}

// SourceFile is one configuration file as read (main file and includes), in
// reading order, for "goresty -T".
type SourceFile struct {
	Name string // absolute path
	Text string
}

// Error is a configuration error. Error() renders nginx's wording without
// the "[emerg]" prefix: `unknown directive "foo" in /abs/nginx.conf:3`.
type Error struct {
	Msg string
	Pos Pos // zero if none; File "command line" with Line 0 for -g
}

func (e *Error) Error() string {
	msg := printable(e.Msg)
	switch {
	case e.Pos.File == "":
		return msg
	case e.Pos.Line == 0:
		return msg + " in " + printable(e.Pos.File)
	default:
		return fmt.Sprintf("%s in %s:%d", msg, printable(e.Pos.File), e.Pos.Line)
	}
}

// printable keeps an error on one readable line: control characters and
// bytes that are not UTF-8 (from a binary file) are shown as \xNN.
func printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", s[i])
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

const cmdlineName = "command line"

// maxIncludeDepth bounds nested includes (loops are caught before that).
const maxIncludeDepth = 32

// maxFileSize bounds one configuration file.
const maxFileSize = 64 << 20

type loader struct {
	opts      Options
	cfg       *Config
	confDir   string                        // directory of the main conf file, with a trailing slash
	including []string                      // include stack, for loop detection
	seen      map[any]map[string]*directive // directives met per conf level (slot -> first)
	serverPos map[*ServerConf]Pos           // line of each server's "{"
	locPos    map[*LocationConf]Pos         // line of each location's "{" (duplicate location)
	modsUsed  bool                          // an events/http block was read: load_module is too late
	certs     map[*SSLSettings][]CertPair   // ssl_certificate per level, paired in finish
	keys      map[*SSLSettings][]string     // ssl_certificate_key per level
	data      []byte                        // main file text when given (loadData)
}

// Load reads, checks and resolves a configuration.
func Load(opts Options) (*Config, error) {
	l, err := newLoader(opts)
	if err != nil {
		return nil, err
	}
	return l.load()
}

// ConfPath is the path of the main configuration file named file (the -c
// value; "" for conf/nginx.conf), relative to prefix (which ends in "/").
func ConfPath(prefix, file string) string {
	if file == "" {
		file = "conf/nginx.conf"
	}
	if !filepath.IsAbs(file) {
		file = prefix + file
	}
	return filepath.Clean(file)
}

func newLoader(opts Options) (*loader, error) {
	prefix := opts.Prefix
	if prefix == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, &Error{Msg: "getcwd() failed (" + errlog.ErrnoText(err) + ")"}
		}
		prefix = wd
	}
	prefix, err := filepath.Abs(prefix)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	conf := ConfPath(prefix, opts.ConfFile)
	l := &loader{
		opts:      opts,
		confDir:   filepath.Dir(conf) + "/",
		seen:      map[any]map[string]*directive{},
		serverPos: map[*ServerConf]Pos{},
		certs:     map[*SSLSettings][]CertPair{},
		keys:      map[*SSLSettings][]string{},
		cfg:       &Config{File: conf, Prefix: prefix},
	}
	return l, nil
}

func (l *loader) load() (*Config, error) {
	opts, conf := l.opts, l.cfg.File
	main := &dctx{kind: ctxMain, id: &l.cfg.Main}
	if opts.Globals != "" {
		ast, err := parseBytes(cmdlineName, []byte(opts.Globals), true)
		if err != nil {
			return nil, &Error{Msg: err.Error(), Pos: Pos{File: cmdlineName}}
		}
		if err := l.walk(ast.Stmts, main); err != nil {
			return nil, err
		}
	}
	if err := l.includeFile(conf, main, nil); err != nil {
		return nil, err
	}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// loadData is Load with the main file's text given (tests and fuzzing).
func loadData(opts Options, data []byte) (*Config, error) {
	l, err := newLoader(opts)
	if err != nil {
		return nil, err
	}
	l.data = data
	return l.load()
}

// readFile reads one configuration file with nginx's error wording.
func (l *loader) readFile(path string) ([]byte, error) {
	// Stat first: opening a FIFO or a device could block or never end.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("read() \"%s\" failed (21: Is a directory)", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("\"%s\" is not a regular file", path)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("configuration file \"%s\" is too large (%d bytes)", path, st.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read() \"%s\" failed (%s)", path, errlog.ErrnoText(err))
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("configuration file \"%s\" is too large", path)
	}
	return b, nil
}

// includeFile parses path and walks its directives in context c. at is the
// include directive (nil for the main file).
func (l *loader) includeFile(path string, c *dctx, at *directive) error {
	errPos := Pos{}
	if at != nil {
		errPos = at.errPos
	}
	for _, p := range l.including {
		if p == path {
			return &Error{Msg: fmt.Sprintf(`include loop: "%s" is already being included`, path), Pos: errPos}
		}
	}
	if len(l.including) >= maxIncludeDepth {
		return &Error{Msg: fmt.Sprintf(`too many nested includes (more than %d)`, maxIncludeDepth), Pos: errPos}
	}
	b, err := l.data, error(nil)
	if b == nil || at != nil {
		b, err = l.readFile(path)
	}
	if err != nil {
		return &Error{Msg: err.Error(), Pos: errPos}
	}
	l.cfg.Files = append(l.cfg.Files, SourceFile{Name: path, Text: string(b)})
	ast, err := parseBytes(path, b, false)
	if err != nil {
		return &Error{Msg: "cannot parse: " + err.Error(), Pos: Pos{File: path}}
	}
	l.including = append(l.including, path)
	defer func() { l.including = l.including[:len(l.including)-1] }()
	return l.walk(ast.Stmts, c)
}

// include handles "include PATH" (globs allowed) relative to the conf dir.
func (l *loader) include(d *directive) error {
	pat := l.confPath(d.args[0])
	if strings.ContainsAny(pat, "*?[") {
		matches, err := filepath.Glob(pat)
		if err != nil {
			return d.errf(`invalid pattern "%s"`, pat)
		}
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.IsDir() {
				continue
			}
			if err := l.includeFile(m, d.c, d); err != nil {
				return err
			}
		}
		return nil
	}
	return l.includeFile(pat, d.c, d)
}

// confPath resolves p against the directory of the main conf file (nginx's
// conf prefix: include, certificates, keys).
func (l *loader) confPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Clean(l.confDir + p)
}

// prefixPath resolves p against the prefix (logs, pid, root, Lua files).
func (l *loader) prefixPath(p string) string {
	if filepath.IsAbs(p) || p == "stderr" {
		return filepath.Clean(p)
	}
	return filepath.Clean(l.cfg.Prefix + p)
}

// walk runs the directives of one block in context c, in order, as nginx's
// ngx_conf_handler does.
func (l *loader) walk(stmts []*astStmt, c *dctx) error {
	for _, st := range stmts {
		if st.Err != nil {
			return l.syntaxErr(*st.Err, st.Pos)
		}
		if st.Term.Err != nil {
			return l.syntaxErr(*st.Term.Err, st.Term.Pos)
		}
		d := &directive{
			name: st.Name.value(),
			c:    c,
			pos:  l.mkPos(st.Name.Pos),
		}
		d.errPos = l.mkPos(st.Term.Pos)
		for _, a := range st.Args {
			d.args = append(d.args, a.value())
		}
		switch {
		case st.Term.Lua != nil:
			d.lua, d.isBlock = st.Term.Lua, true
		case st.Term.Block != nil:
			d.block, d.isBlock = st.Term.Block.Stmts, true
			if cl := st.Term.Block.Close; cl != nil {
				d.endPos = l.mkPos(cl.Pos)
			}
		}
		if err := l.handle(d); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) mkPos(p lexer.Position) Pos {
	if p.Filename == cmdlineName {
		return Pos{File: cmdlineName}
	}
	return Pos{File: p.Filename, Line: p.Line}
}

func (l *loader) syntaxErr(msg string, p lexer.Position) error {
	return &Error{Msg: msg, Pos: l.mkPos(p)}
}

func (l *loader) handle(d *directive) error {
	cmd := lookup(d.name, d.c.kind)
	if cmd == nil {
		return d.errf(`unknown directive "%s"`, d.name)
	}
	if cmd.ctx&d.c.kind == 0 {
		return d.errf(`"%s" directive is not allowed here`, d.name)
	}
	if !cmd.block && d.isBlock {
		return d.errf(`directive "%s" is not terminated by ";"`, d.name)
	}
	if cmd.block && !d.isBlock {
		return d.errf(`directive "%s" has no opening "{"`, d.name)
	}
	if n := len(d.args); n < cmd.min || (cmd.max >= 0 && n > cmd.max) {
		return d.errf(`invalid number of arguments in "%s" directive`, d.name)
	}
	slot := cmd.slot
	if slot == "" {
		slot = cmd.name
	}
	m := l.seen[d.c.id]
	if m == nil {
		m = map[string]*directive{}
		l.seen[d.c.id] = m
	}
	if _, dup := m[slot]; dup && cmd.once {
		return d.errf(`"%s" directive is duplicate`, d.name)
	}
	if _, ok := m[slot]; !ok {
		m[slot] = d
	}
	m[cmd.name+"\x00"] = d // "set at this level", by directive name
	return cmd.set(l, d)
}

// isSet reports whether the directive name was written at the level id.
func (l *loader) isSet(id any, name string) bool {
	_, ok := l.seen[id][name+"\x00"]
	return ok
}

func validHost(h string) bool {
	if strings.Contains(h, ":") {
		_, err := netip.ParseAddr(h)
		return err == nil
	}
	numeric := true
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9', c == '.':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
			numeric = false
		default:
			return false
		}
	}
	if numeric {
		_, err := netip.ParseAddr(h)
		return err == nil
	}
	return true
}
