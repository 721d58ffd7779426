package confparse

import (
	"fmt"
	"regexp"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// This file is the typed configuration every other package reads. The
// directive table (commands.go) fills it; after parsing, inheritable
// settings are merged downwards (http -> server -> location) so readers see
// resolved values and never look at raw directives.

// Pos is where a directive was written.
type Pos struct {
	File string // absolute path
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// LuaCode is one *_by_lua_block or *_by_lua_file.
type LuaCode struct {
	Source string // inline source verbatim; empty for _file
	File   string // absolute path for _file (resolved against the prefix)
	// PathVars is the path of a request phase's _file written with nginx
	// variables ("/lua/$1.lua", "$arg_x.lua"): OpenResty expands it for
	// each request and rebases a relative result on the prefix. File and
	// Name are empty then.
	PathVars string
	// Name is the chunk name: "content_by_lua(nginx.conf:40)" for a block
	// (base name of the conf file and the line of its "{"), the path for _file.
	Name string
	Pos  Pos
}

// Config is a whole parsed configuration.
type Config struct {
	File   string // absolute path of the main conf file
	Prefix string // absolute, with a trailing slash
	Main   MainConf
	Events EventsConf
	HTTP   *HTTPConf    // nil when there is no http block
	Files  []SourceFile // every file read (main first, then includes), for -T
	// Lua is every Lua chunk the configuration holds (all phases and
	// levels), in reading order: "goresty -t" compiles them all.
	Lua []*LuaCode
	// Warnings found while loading, each ending with " in FILE:LINE" (e.g.
	// an ignored load_module): "goresty -t" prints them as "[warn]", the
	// server logs them at warn.
	Warnings []string
}

type MainConf struct {
	WorkerProcesses int  // "auto" resolved to runtime.NumCPU(); default 1
	Daemon          bool // default true, as nginx
	MasterProcess   bool // accepted; default true
	ErrorLogs       []errlog.Target
	PID             string // absolute; default PREFIX/logs/nginx.pid
	Env             []EnvVar
	User            string
	// worker_shutdown_timeout: how long QUIT waits for in-flight work
	// before closing it; 0 (default) waits as long as it takes
	WorkerShutdownTimeout time.Duration
	Group                 string // "" = the user's primary group
}

type EnvVar struct {
	Name  string
	Value string
	Set   bool // NAME=VALUE form
}

type EventsConf struct {
	WorkerConnections int // default 512
}

// SharedDict is one lua_shared_dict.
type SharedDict struct {
	Name string
	Size int64 // bytes
	Pos  Pos
}

type HTTPConf struct {
	Servers     []*ServerConf
	Upstreams   []*Upstream
	Maps        []*Map
	SharedDicts []SharedDict
	LogFormats  map[string]string // name -> format ("combined" predefined)

	LuaPackagePath  string // ";;" already replaced by the default path
	LuaPackageCPath string
	InitByLua       *LuaCode
	InitWorkerByLua *LuaCode
	SSLSessionStore *LuaCode // ssl_session_store_by_lua_block / _file (http only)
	SSLSessionFetch *LuaCode // ssl_session_fetch_by_lua_block / _file (http only)

	// rewrite_by_lua_no_postpone, access_by_lua_no_postpone: run those
	// handlers before the other modules of their phase (rewrite: set,
	// return, set_by_lua*) instead of after them.
	RewriteByLuaNoPostpone bool
	AccessByLuaNoPostpone  bool

	LuaMaxPendingTimers int           // default 1024
	LuaMaxRunningTimers int           // default 256
	LuaHookTimeout      time.Duration // lua_hook_timeout: deadline for hooks that cannot yield; default 1s
	LuaContentTimeout   time.Duration // lua_content_timeout: bound of a content_by_lua* run; default 60s, 0 none
	LuaMaxStringSize    int64         // lua_max_string_size; 0: luavm's default (256m)
	LuaMaxMemory        int64         // lua_max_memory; 0: luavm's default, -1: off

	// resolver, resolver_timeout and lua_ssl_* written at http level (also
	// allowed in server and location: LuaSocketSettings has the resolved
	// values there).
	Resolver        []string // "host[:port]" of each resolver; empty = system resolver
	ResolverTimeout time.Duration

	LuaSocketConnectTimeout time.Duration // default 60s
	LuaSocketReadTimeout    time.Duration
	LuaSocketSendTimeout    time.Duration
	LuaSocketPoolSize       int // default 30
	LuaSocketKeepalive      time.Duration
	LuaSocketNoLogErrors    bool // lua_socket_log_errors off

	LuaSSLTrustedCertificate string
	LuaSSLVerifyDepth        int // default 1
	LuaSSLProtocols          []string

	// SSLSessionSealKeys (ssl_session_seal_key FILE, repeatable): serialized
	// sessions handed to Lua are AEAD-sealed with the first key and opened
	// with any of them.
	SSLSessionSealKeys []string
	// SSLSessionSealOff (ssl_session_seal_key off): sessions stay raw.
	// Without either, they are sealed with a random key per process.
	SSLSessionSealOff bool

	Settings
	SSL SSLSettings

	ResolverValid time.Duration // resolver valid=TIME; 0 = use the answers' TTL
	ResolverIPv6  bool          // resolver ipv6=on|off; default on

	HTTP2 bool // "http2 on;" at http level, the default of its servers

	ClientHeaderTimeout time.Duration // client_header_timeout at http level; default 60s

	HeaderNames // underscores_in_headers, ignore_invalid_headers at http level
}

// HeaderNames is how request header lines with names nginx does not take
// as they are go (http or server level; the listen address's default
// server decides, as nginx's).
type HeaderNames struct {
	UnderscoresInHeaders bool // underscores_in_headers on
	KeepInvalidHeaders   bool // ignore_invalid_headers off
}

// Settings are the directives allowed in http, server and location that
// inherit downwards.
type Settings struct {
	Root                   string // absolute; default PREFIX/html
	Index                  []string
	DefaultType            string
	KeepaliveTimeout       time.Duration // default 75s; 0: no keep-alive
	KeepaliveHeader        time.Duration // keepalive_timeout's header_timeout: "Keep-Alive: timeout=N"
	KeepaliveRequests      int           // keepalive_requests: requests per client connection; default 1000
	ClientMaxBodySize      int64         // default 1m; 0 = unlimited
	ServerTokens           bool          // default on
	LuaNeedRequestBody     bool          // lua_need_request_body on
	AccessLogs             []AccessLog   // nil = inherit; [{Off:true}] = off
	ErrorLogs              []errlog.Target
	ProxySetHeaders        []Header
	AddHeaders             []AddHeader   // add_header: inherited only when a level has none
	ErrorPages             []ErrorPage   // error_page: inherited only when a level has none
	RecursiveErrorPages    bool          // recursive_error_pages; default off
	RewriteLog             bool          // rewrite_log: the rewrite module's matches at notice
	AbsoluteRedirect       bool          // absolute_redirect; default on
	PortInRedirect         bool          // port_in_redirect; default on
	ServerNameInRedirect   bool          // server_name_in_redirect; default off
	ProxyInterceptErrors   bool          // proxy_intercept_errors: error_page for upstream statuses >= 300
	ProxyConnectTimeout    time.Duration // default 60s
	ProxyReadTimeout       time.Duration // default 60s
	ProxySendTimeout       time.Duration // default 60s
	SendTimeout            time.Duration // send_timeout, default 60s (upgraded connections)
	ProxyHTTPVersion       string        // "1.0" (default) or "1.1"
	ProxyNextUpstream      []string      // default error timeout
	ProxyNextUpstreamTries int           // 0: no limit
	ProxySSL               *ProxySSL     // proxy_ssl_*: shared by the levels that write none
	// Types maps a lower-case file extension to its MIME type ("types"
	// blocks, e.g. an included mime.types); nil: nginx's built-in three.
	Types map[string]string
	// client_body_buffer_size, client_body_in_file_only ("off", "on",
	// "clean") and client_body_temp_path (absolute, with its levels): where
	// ngx.req.read_body keeps the body
	ClientBodyBufferSize int64
	ClientBodyInFileOnly string
	ClientBodyTempPath   string
	ClientBodyTempLevels []int
	// LuaCheckClientAbort: lua_check_client_abort on (ngx.on_abort)
	LuaCheckClientAbort bool
	LuaPhases
}

// ProxySSL are the proxy_ssl_* settings: TLS to "proxy_pass https://...".
type ProxySSL struct {
	Verify         bool     // proxy_ssl_verify; default off (as nginx: no check at all)
	TrustedCert    string   // proxy_ssl_trusted_certificate: PEM CAs
	VerifyDepth    int      // default 1
	ServerName     bool     // proxy_ssl_server_name: send SNI; default off
	Name           string   // proxy_ssl_name; "" = the proxy_pass host; may hold $variables
	Protocols      []string // default TLSv1.2 TLSv1.3
	Certificate    string   // proxy_ssl_certificate: a client certificate, with
	CertificateKey string   // proxy_ssl_certificate_key
	SessionReuse   bool     // proxy_ssl_session_reuse; default on
}

// LuaPhases are the request-phase Lua handlers written in http, server or
// location; a level without one inherits its parent's (as ngx_lua).
type LuaPhases struct {
	RewriteByLua      *LuaCode // rewrite_by_lua*
	AccessByLua       *LuaCode // access_by_lua*
	HeaderFilterByLua *LuaCode // header_filter_by_lua*
	BodyFilterByLua   *LuaCode // body_filter_by_lua*
	LogByLua          *LuaCode // log_by_lua*
}

type AccessLog struct {
	Syslog errlog.Syslog // a "syslog:" target (Path is then the text as written)
	Path   string        // absolute
	Format string        // log_format name; "combined" by default
	Off    bool
	Pos    Pos
}

// ErrorPage is one "error_page code ... [=[response]] uri".
type ErrorPage struct {
	Codes    []int
	Response int    // =NNN; -1 for "=" (the new location's status); 0: the error's code
	URI      string // "/path[?args]", "@name" or a URL (a redirect); may hold $variables
}

// AddHeader is one "add_header name value [always]".
type AddHeader struct {
	Name, Value string // Value may hold $variables
	Always      bool   // also for error statuses
}

type Header struct {
	Name  string
	Value string // may hold $variables
}

// SSLSettings are the TLS directives allowed in http and server.
type SSLSettings struct {
	Certificates        []CertPair // ssl_certificate / ssl_certificate_key, paired in order
	Protocols           []string   // "TLSv1.2", "TLSv1.3"; default both
	Ciphers             string     // OpenSSL cipher string as written
	PreferServerCiphers bool
	ECDHCurve           string        // as written; "auto" by default
	SessionTimeout      time.Duration // default 5m
	SessionTickets      bool          // default on
	SessionTicketKeys   []string      // absolute paths; first encrypts
	SessionCache        SessionCache

	// Client certificates (mTLS).
	VerifyClient      string // "off" (default), "on", "optional", "optional_no_ca"
	ClientCertificate string // CA file: trusted and sent as acceptable CAs
	TrustedCert       string // ssl_trusted_certificate: trusted, not sent
	VerifyDepth       int    // default 1
	CRL               string // ssl_crl file (PEM CRLs)

	DHParam      string // ssl_dhparam: checked; Go offers no DHE suites
	EarlyData    bool   // ssl_early_data on: Go's server does not accept 0-RTT
	Stapling     bool
	StaplingFile string // DER OCSP response stapled to every certificate
	// CertificateByLua (ssl_certificate_by_lua*) picks or loads the
	// certificate at handshake time, before sessions are looked at.
	CertificateByLua *LuaCode
	// ClientHelloByLua (ssl_client_hello_by_lua*) runs first, on the client
	// hello; the listen address's default server's applies (as nginx,
	// which picks the server block by SNI only after it).
	ClientHelloByLua *LuaCode
}

type CertPair struct {
	Cert string // absolute
	Key  string // absolute
	Pos  Pos
}

type SessionCacheMode int

const (
	SessionCacheNone SessionCacheMode = iota // default: "none"
	SessionCacheOff
	SessionCacheBuiltin
	SessionCacheShared
)

type SessionCache struct {
	Mode SessionCacheMode
	Name string // shared:NAME
	Size int64  // bytes for shared, sessions for builtin (0 = default)
}

// LuaSocketSettings are the cosocket settings in effect in a server or
// location: lua_socket_*, resolver, resolver_timeout and lua_ssl_* may also
// be written there (as in nginx + OpenResty), and unset values come from
// the level above, up to http's (HTTPConf.LuaSocket*, Resolver*, LuaSSL*).
type LuaSocketSettings struct {
	ConnectTimeout   time.Duration
	ReadTimeout      time.Duration
	SendTimeout      time.Duration
	KeepaliveTimeout time.Duration
	PoolSize         int
	NoLogErrors      bool // lua_socket_log_errors off

	Resolver        []string // "host:port" of each resolver; empty = system resolver
	ResolverTimeout time.Duration
	ResolverValid   time.Duration
	ResolverIPv6    bool

	SSLTrustedCertificate string // lua_ssl_trusted_certificate
	SSLVerifyDepth        int
	SSLProtocols          []string
}

type ServerConf struct {
	Pos       Pos
	Listens   []Listen // default: *:80 (or *:8000 when not root)
	Names     []string // server_name values as written ("" , "*.a.com", "~re", ...)
	HTTP2     bool     // "http2 on;" (here or inherited from http)
	Locations []*LocationConf
	Rewrite   []RewriteStep // set / return at server level, in order
	TryFiles  []string      // try_files at server level: for URIs no location matches
	// Unmatched is the configuration of the requests whose URI no location
	// matches: the server's own settings as an implicit location (nginx's
	// server-level location configuration), its try_files included.
	Unmatched *LocationConf
	Settings
	SSL SSLSettings

	LuaSocket LuaSocketSettings // resolved lua_socket_* for this server

	// ClientHeaderTimeout (client_header_timeout, http or server; default
	// 60s): reading a request's header, and the TLS handshake (session
	// hooks included) of connections whose address has this server as its
	// default, as nginx.
	ClientHeaderTimeout time.Duration

	HeaderNames // underscores_in_headers, ignore_invalid_headers
}

// EachLocation calls fn for every location configuration of the server,
// nested locations, the blocks of "if" in a location and Unmatched
// included.
func (s *ServerConf) EachLocation(fn func(*LocationConf) error) error {
	if s.Unmatched != nil {
		if err := fn(s.Unmatched); err != nil {
			return err
		}
	}
	var walk func([]*LocationConf) error
	walk = func(locs []*LocationConf) error {
		for _, l := range locs {
			if err := fn(l); err != nil {
				return err
			}
			for _, ifl := range l.IfBlocks {
				if err := fn(ifl); err != nil {
					return err
				}
			}
			if err := walk(l.Locations); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(s.Locations)
}

type Listen struct {
	Network       string // "tcp" or "unix"
	Addr          string // "127.0.0.1:443", "[::]:443", ":1984", or the socket path
	SSL           bool
	DefaultServer bool
	Reuseport     bool
	HTTP2         bool
	Pos           Pos
}

type LocationConf struct {
	Pos       Pos
	Modifier  string // "", "=", "^~", "~", "~*", "@"
	Path      string
	Locations []*LocationConf
	Rewrite   []RewriteStep // set / return, in order
	Content   *LuaCode      // content_by_lua_block / _file
	ProxyPass string        // "http://host:port[/uri]"
	Alias     string        // absolute; a trailing "/" kept as written
	TryFiles  []string      // files ..., then a URI or =code (in Unmatched: the server's)
	// SSLSessionMetrics (ssl_session_metrics;) serves the session counters
	// in Prometheus text format.
	SSLSessionMetrics bool
	// IfBlocks are the configurations of the location's "if" blocks (their
	// If steps in Rewrite point to them), merged from this location.
	IfBlocks []*LocationConf
	Settings

	LuaSocket LuaSocketSettings // resolved lua_socket_* for this location
}

// RewriteStep is one "set $var value;", "return code [text|url];",
// "rewrite ...", "break;", "if (...) { ... }" or set_by_lua*.
type RewriteStep struct {
	Rewrite *Rewrite
	Set     *SetVar
	Return  *Return
	SetLua  *SetLua
	If      *If
	Break   bool
	Pos     Pos
}

// If is one "if (condition) { ... }". When the condition holds, its
// rewrite-module steps run in place (as nginx compiles them into the
// enclosing level's codes) and, in a location, the request takes the
// block's configuration (Loc: the location's, with what the block sets)
// for the rest of its processing.
type If struct {
	Cond  Condition
	Steps []RewriteStep
	Loc   *LocationConf // nil for an "if" at server level
}

// Condition is an "if" condition, as nginx's rewrite module reads it.
type Condition struct {
	Var string // "$name": the variable tested or compared
	// Op is "" (the variable is neither empty nor "0"), "=", "!=", "~",
	// "~*", "!~", "!~*", or a file test "-f" "!-f" "-d" "!-d" "-e" "!-e"
	// "-x" "!-x" (on Value; Var is empty then).
	Op    string
	Value string         // compared string or tested path (may hold $variables); the ~ forms' expression as written
	Re    *regexp.Regexp // the ~ forms' expression ((?i) for ~*)
}

// Rewrite is one "rewrite regex replacement [last|break|redirect|permanent]".
type Rewrite struct {
	Re          *regexp.Regexp
	Replacement string // may hold $1.. and $variables
	Flag        string // "", "last", "break", "redirect", "permanent"
}

// SetLua is one set_by_lua*: the variable gets what the code returns.
type SetLua struct {
	Name string   // without "$"
	Code *LuaCode //
	Args []string // ngx.arg values; may hold $variables
}

type SetVar struct {
	Name  string // without "$"
	Value string // may hold $variables
}

type Return struct {
	Code int
	Text string // body text or redirect URL; may hold $variables
}
