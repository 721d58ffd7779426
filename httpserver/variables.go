package httpserver

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/ngxapi"
	"github.com/goresty/goresty/ngxapi/tlsname"
)

// nginx variables: $name lookups, set, and expansion in directive values.

// Var implements ngxapi.VarSource.
func (rq *request) Var(name string) (string, bool) {
	if v, ok := rq.vars[name]; ok {
		return v, true
	}
	if len(rq.captures) > 0 {
		if name[0] >= '0' && name[0] <= '9' {
			if i, err := strconv.Atoi(name); err == nil && i < len(rq.captures) {
				return rq.captures[i], true
			}
			return "", false
		}
		for i, n := range rq.capNames {
			if n == name && i < len(rq.captures) {
				return rq.captures[i], true
			}
		}
	}
	r := rq.r
	switch name {
	case "uri", "document_uri":
		return rq.uri, !rq.noRequestLine
	case "args", "query_string":
		return r.URL.RawQuery, r.URL.RawQuery != ""
	case "request_length":
		return strconv.Itoa(requestLength(r)), true
	case "is_args":
		if r.URL.RawQuery != "" {
			return "?", true
		}
		return "", true
	case "request_uri":
		return r.RequestURI, !rq.noRequestLine
	case "request_method":
		return r.Method, !rq.noRequestLine
	case "request":
		return r.Method + " " + r.RequestURI + " " + r.Proto, true
	case "server_protocol":
		return r.Proto, !rq.noRequestLine
	case "host":
		if h := normHost(r.Host); h != "" {
			return h, true
		}
		return rq.srv.name, true
	case "hostname":
		h, _ := osHostname()
		return h, true
	case "remote_addr", "binary_remote_addr":
		return remoteIP(r.RemoteAddr), true
	case "remote_port":
		if _, p, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return p, true
		}
		return "", true
	case "remote_user":
		return "", false
	case "server_addr":
		h, _ := rq.serverAddr()
		return h, true
	case "server_port":
		return rq.serverPort(), true
	case "server_name":
		return rq.srv.name, true
	case "scheme":
		return rq.scheme(), true
	case "https":
		if r.TLS != nil {
			return "on", true
		}
		return "", true
	case "content_length":
		return r.Header.Get("Content-Length"), r.Header.Get("Content-Length") != ""
	case "content_type":
		return r.Header.Get("Content-Type"), r.Header.Get("Content-Type") != ""
	case "status":
		s := rq.w.status
		if s == 0 {
			return "000", true
		}
		return strconv.Itoa(s), true
	case "body_bytes_sent":
		body, _ := rq.sentBytes()
		return strconv.FormatInt(body, 10), true
	case "bytes_sent":
		_, all := rq.sentBytes()
		return strconv.FormatInt(all, 10), true
	case "request_time":
		d := time.Since(rq.start)
		return fmt.Sprintf("%d.%03d", d/time.Second, (d%time.Second)/time.Millisecond), true
	case "msec":
		now := time.Now()
		return fmt.Sprintf("%d.%03d", now.Unix(), now.Nanosecond()/1e6), true
	case "time_local":
		return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
	case "time_iso8601":
		return time.Now().Format("2006-01-02T15:04:05-07:00"), true
	case "pid":
		return strconv.Itoa(pid), true
	case "nginx_version":
		return ngxapi.NginxRelease, true
	case "connection":
		if rq.conn != nil {
			return strconv.FormatUint(rq.conn.id, 10), true
		}
		return "", true
	case "connection_requests":
		if rq.conn != nil {
			return strconv.FormatInt(rq.connSeq, 10), true
		}
		return "", true
	case "realpath_root", "document_root":
		return rq.settings().Root, true
	case "request_body":
		// the body read by ngx.req.read_body or lua_need_request_body
		if rq.hc != nil && rq.hc.BodyRead && len(rq.hc.Body) > 0 {
			return string(rq.hc.Body), true
		}
		return "", false
	case "ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_session_reused", "ssl_session_id",
		"ssl_client_verify", "ssl_client_s_dn", "ssl_client_i_dn", "ssl_client_serial", "ssl_client_fingerprint",
		"ssl_client_cert", "ssl_client_raw_cert", "ssl_client_escaped_cert":
		return rq.sslVar(name, r.TLS)
	}
	switch {
	case strings.HasPrefix(name, "http_"):
		k := headerKey(name[5:])
		if k == "Host" {
			return r.Host, r.Host != ""
		}
		v := r.Header.Values(k)
		if len(v) == 0 {
			return "", false
		}
		if k == "Cookie" {
			return strings.Join(v, "; "), true
		}
		return strings.Join(v, ", "), true
	case strings.HasPrefix(name, "sent_http_"):
		v := rq.w.Header().Get(headerKey(name[10:]))
		return v, v != ""
	case strings.HasPrefix(name, "arg_"):
		return argValue(r.URL.RawQuery, name[4:])
	case strings.HasPrefix(name, "cookie_"):
		if c, err := r.Cookie(name[7:]); err == nil {
			return c.Value, true
		}
		return "", false
	}
	if m := rq.g.maps[name]; m != nil {
		return rq.mapValue(m), true
	}
	if rq.g.setVars[name] {
		return "", true
	}
	return "", false
}

// mapValue evaluates a map variable: its source's value looked up (exact
// strings ignoring case, then the regexes in order), else the default.
func (rq *request) mapValue(m *confparse.Map) string {
	src := rq.expand(m.Source)
	key := strings.ToLower(src)
	if m.Hostnames {
		key = strings.TrimSuffix(key, ".")
	}
	v, ok := m.Exact[key]
	if !ok && m.Hostnames {
		v, ok = wildcardLookup(m, key)
	}
	if !ok {
		v = m.Default
		for _, r := range m.Regexes {
			if r.Re.MatchString(src) {
				v = r.Value
				break
			}
		}
	}
	if strings.IndexByte(v, '$') >= 0 {
		v = rq.expand(v)
	}
	return v
}

// wildcardLookup is a map's hostnames lookup: the longest "*.suffix"
// match, else the longest "prefix.*" one.
func wildcardLookup(m *confparse.Map, host string) (string, bool) {
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			if v, ok := m.WildHead[host[i:]]; ok {
				return v, true
			}
		}
	}
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == '.' {
			if v, ok := m.WildTail[host[:i+1]]; ok {
				return v, true
			}
		}
	}
	return "", false
}

// requestLength is $request_length: the request line, the header lines
// and the body as received.
func requestLength(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	n += 2
	if r.ContentLength > 0 {
		n += int(r.ContentLength)
	}
	return n
}

func headerKey(s string) string { return http.CanonicalHeaderKey(strings.ReplaceAll(s, "_", "-")) }

// argValue is $arg_NAME: the raw (not unescaped) value of the first NAME
// argument, matched case-insensitively.
func argValue(q, name string) (string, bool) {
	for q != "" {
		var p string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			p, q = q[:i], q[i+1:]
		} else {
			p, q = q, ""
		}
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// SetVar implements ngxapi.VarSource.
func (rq *request) SetVar(name, value string) error {
	if rq.g.setVars[name] {
		if rq.vars == nil {
			rq.vars = map[string]string{}
		}
		rq.vars[name] = value
		return nil
	}
	switch {
	case name == "args" || name == "query_string":
		rq.r.URL.RawQuery = value
		return nil
	case name == "uri" || name == "request_uri" || name == "host" || name == "remote_addr" ||
		name == "scheme" || name == "server_name" || name == "request_method" || strings.HasPrefix(name, "ssl_") ||
		strings.HasPrefix(name, "http_") || strings.HasPrefix(name, "arg_") || name == "status" || name == "request_time":
		return fmt.Errorf("variable \"%s\" not changeable", name)
	}
	return fmt.Errorf("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
}

var goCipherNames = func() map[uint16]string {
	m := map[uint16]string{
		tls.TLS_AES_128_GCM_SHA256:       "TLS_AES_128_GCM_SHA256",
		tls.TLS_AES_256_GCM_SHA384:       "TLS_AES_256_GCM_SHA384",
		tls.TLS_CHACHA20_POLY1305_SHA256: "TLS_CHACHA20_POLY1305_SHA256",
	}
	for n, id := range opensslCiphers {
		m[id] = n
	}
	return m
}()

func (rq *request) sslVar(name string, cs *tls.ConnectionState) (string, bool) {
	if cs == nil {
		return "", false
	}
	switch name {
	case "ssl_protocol":
		name, _ := tlsname.Name(cs.Version)
		return name, true
	case "ssl_cipher":
		return goCipherNames[cs.CipherSuite], true
	case "ssl_server_name":
		return cs.ServerName, cs.ServerName != ""
	case "ssl_session_reused":
		if cs.DidResume {
			return "r", true
		}
		return ".", true
	case "ssl_session_id":
		if rq.conn != nil && rq.conn.sess != nil {
			return rq.conn.sess.ID(), true
		}
		return "", true
	}
	if strings.HasPrefix(name, "ssl_client_") {
		return rq.clientVar(name, cs)
	}
	return "", false
}

// expand replaces $name and ${name} in s.
func (rq *request) expand(s string) string {
	if strings.IndexByte(s, '$') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		var name string
		if s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				b.WriteByte(c)
				continue
			}
			name = s[j+1 : j+k]
			i = j + k
		} else {
			k := j
			for k < len(s) && isVarChar(s[k]) {
				k++
			}
			if k == j {
				b.WriteByte(c)
				continue
			}
			name = s[j:k]
			i = k - 1
		}
		v, _ := rq.Var(strings.ToLower(name))
		b.WriteString(v)
	}
	return b.String()
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// sentBytes is $body_bytes_sent and $bytes_sent as nginx counts them:
// what went on the connection, the header included in the second, a
// chunked body's framing in both. The lean loop's writer knows; for a
// request it did not serve, the body as written by the handler.
func (rq *request) sentBytes() (body, all int64) {
	body = rq.w.bytes
	lw, ok := rq.w.ResponseWriter.(*leanWriter)
	switch {
	case !ok:
		return body, body
	case lw.hijacked: // the raw socket's or the tunnel's bytes, after the header
		return body, lw.headerSize + body
	}
	return lw.sent - lw.headerSize, lw.sent
}
