package httpserver

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/textproto"
	"net/url"

	"github.com/goresty/goresty/confparse"
)

// The lean loop (lean.go) parses the requests it serves itself: a strict
// subset of HTTP/1.x that net/http would parse into the same
// http.Request. Anything outside it (a chunked body, an absolute URI,
// obs-fold, a bare LF, a header block over the read buffer, anything
// net/http would refuse) is not an error here: the connection is handed
// to net/http with the bytes read so far, which answers as it always did
// (badrequest.go turns its refusals into nginx's pages).

// headerEnd is the length of the header block at the start of b (through
// its blank line), or -1 when b does not hold all of it yet.
func headerEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return -1
}

// leanRequest is what parseLeanRequest fills in besides the http.Request.
type leanRequest struct {
	wants10KeepAlive bool // HTTP/1.0 with Connection: keep-alive
	wantsClose       bool // Connection: close
	expect100        bool // Expect: 100-continue
	// names: how header names nginx does not take go (given); ignored:
	// the lines that went (headernames.go)
	names   confparse.HeaderNames
	ignored []string
	// hdr and vals: the header map and the values' backing array of the
	// exchange's previous request, cleared (leanExchange.recycle)
	hdr  http.Header
	vals []string
}

// parseLeanRequest parses the header block hb (ending with its blank
// line) into r; false when net/http has to see it instead.
func parseLeanRequest(hb []byte, r *http.Request, u *url.URL, lr *leanRequest) bool {
	if len(hb) == 0 || !tchar[hb[0]] {
		return false // leading empty lines, garbage: net/http's rules
	}
	// One string holds the whole block; the request's strings are its
	// substrings (one allocation instead of one per field).
	s := string(hb[:len(hb)-2])
	eol := indexCRLF(s, 0)
	if eol < 0 {
		return false
	}
	line := s[:eol]
	sp1 := indexByteStr(line, ' ')
	if sp1 <= 0 || !isToken(line[:sp1]) {
		return false
	}
	rest := line[sp1+1:]
	sp2 := indexByteStr(rest, ' ')
	if sp2 <= 0 {
		return false
	}
	uri, proto := rest[:sp2], rest[sp2+1:]
	switch proto {
	case "HTTP/1.1":
		r.ProtoMinor = 1
	case "HTTP/1.0":
		r.ProtoMinor = 0
	default:
		return false
	}
	r.Proto, r.ProtoMajor = proto, 1
	r.Method = line[:sp1]
	if uri[0] != '/' || !parsePathQuery(uri, u) {
		return false
	}
	r.RequestURI, r.URL = uri, u

	// Header lines: every value of the block in one slice, as textproto.
	// Host is not one of them (net/http moves it to r.Host): the size
	// hint counts one line less, so that a request with Host alone gets
	// an empty map, made without room it would not use.
	n := bytes.Count(hb, []byte("\r\n")) - 3
	if n < 0 {
		n = 0
	}
	h, vals := lr.hdr, lr.vals[:0]
	if h == nil {
		h = make(http.Header, n)
	}
	if cap(vals) < n {
		vals = make([]string, 0, n)
	}
	lr.hdr, lr.vals = h, vals
	var host string
	hosts, cls := 0, 0
	for i := eol + 2; i < len(s); {
		e := indexCRLF(s, i)
		if e < 0 {
			return false
		}
		l := s[i:e]
		i = e + 2
		name, v := l, "" // a line without a colon: a name, no value (nginx's)
		if colon := indexByteStr(l, ':'); colon >= 0 {
			name, v = l[:colon], trimOWS(l[colon+1:])
		}
		if !plainName(name) {
			switch headerNameKind(name, lr.names) {
			case nameBad:
				return false // obs-fold, space before the colon: refused (net/http's answer)
			case nameInvalid:
				lr.ignored = append(lr.ignored, l)
				continue
			}
		}
		if !validFieldValue(v) {
			return false
		}
		key := canonicalKey(name)
		switch key {
		case "Host":
			host, hosts = v, hosts+1
			continue // not in the map: net/http deletes it
		case "Content-Length":
			n := parseLength([]byte(v))
			if n < 0 || cls > 0 {
				return false // net/http's rules (and its refusals)
			}
			r.ContentLength = n
			cls++
		case "Expect":
			if !asciiEqualFold([]byte(v), "100-continue") {
				return false // net/http's 417
			}
			lr.expect100 = true
		case "Transfer-Encoding":
			return false
		}
		if prev, ok := h[key]; ok {
			h[key] = append(prev, v)
		} else {
			vals = append(vals, v)
			h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	if hosts > 1 || cls > 1 || (hosts == 0 && r.ProtoMinor == 1) || !validHost(host) {
		return false
	}
	r.Host = host
	r.Header = h
	if r.ContentLength == 0 {
		r.Body = http.NoBody
	}
	conn := h["Connection"]
	lr.wantsClose = headerValuesContainsToken(conn, "close")
	lr.wants10KeepAlive = r.ProtoMinor == 0 && headerValuesContainsToken(conn, "keep-alive")
	r.Close = lr.wantsClose || (r.ProtoMinor == 0 && !lr.wants10KeepAlive)
	// net/http's fixPragmaCacheControl
	if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
	return true
}

// parsePathQuery fills u as url.ParseRequestURI would for an origin-form
// uri; the common case (no escapes) without its allocations.
func parsePathQuery(uri string, u *url.URL) bool {
	path, query, hasQuery := uri, "", false
	if q := indexByteStr(uri, '?'); q >= 0 {
		path, query, hasQuery = uri[:q], uri[q+1:], true
	}
	for i := 0; i < len(path); i++ {
		if !plainPathByte[path[i]] {
			pu, err := url.ParseRequestURI(uri)
			if err != nil {
				return false
			}
			*u = *pu
			return true
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < 0x21 || c > 0x7e {
			pu, err := url.ParseRequestURI(uri)
			if err != nil {
				return false
			}
			*u = *pu
			return true
		}
	}
	u.Path, u.RawQuery, u.ForceQuery = path, query, hasQuery && query == ""
	return true
}

func indexCRLF(s string, from int) int {
	for i := from; i+1 < len(s); i++ {
		if s[i] == '\n' {
			return -1 // a bare LF: net/http's rules
		}
		if s[i] == '\r' {
			if s[i+1] != '\n' {
				return -1
			}
			return i
		}
	}
	return -1
}

func indexByteStr(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// plainName: letters, digits and "-" only (the names nginx always takes).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if nameBytes[s[i]] != 0 {
			return false
		}
	}
	return len(s) > 0
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return len(s) > 0
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// validFieldValue is httpguts.ValidHeaderFieldValue: no control bytes but
// HT. Eight bytes at a time: a word with no byte under 0x20 and none
// equal to 0x7f is valid as a whole; one with such a byte (a tab, or a
// control byte) is checked byte by byte.
func validFieldValue(v string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(v[i : i+8]))
		del := x ^ (0x7f * ones)
		if ((x-0x20*ones)&^x|(del-ones)&^del)&highs != 0 && !validFieldBytes(v[i:i+8]) {
			return false
		}
	}
	return validFieldBytes(v[i:])
}

func validFieldBytes(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost is httpguts.ValidHostHeader's byte check.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if !hostByte[h[i]] {
			return false
		}
	}
	return true
}

// headerValuesContainsToken is httpguts.HeaderValuesContainsToken.
func headerValuesContainsToken(values []string, token string) bool {
	for _, v := range values {
		if valueContainsToken(v, token) {
			return true
		}
	}
	return false
}

// valueContainsToken is whether the comma-separated list v holds token
// (ASCII case-insensitive).
func valueContainsToken(v, token string) bool {
	for len(v) > 0 {
		var f string
		if i := indexByteStr(v, ','); i >= 0 {
			f, v = v[:i], v[i+1:]
		} else {
			f, v = v, ""
		}
		if f = trimOWS(f); len(f) == len(token) && asciiEqualFold([]byte(f), token) {
			return true
		}
	}
	return false
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey, without an
// allocation for the names requests usually carry.
func canonicalKey(k string) string {
	if c, ok := commonHeaders[k]; ok {
		return c
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

var commonHeaders = map[string]string{}

func init() {
	for _, k := range []string{"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Accept-Charset", "Connection", "Keep-Alive", "Cookie", "Content-Length", "Content-Type",
		"Cache-Control", "Pragma", "Referer", "Origin", "Authorization", "If-Modified-Since",
		"If-None-Match", "If-Match", "If-Unmodified-Since", "If-Range", "Range", "Transfer-Encoding",
		"Expect", "Upgrade", "Te", "Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto",
		"X-Forwarded-Host", "X-Real-Ip", "X-Requested-With", "Dnt", "Upgrade-Insecure-Requests",
		"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Priority", "Date"} {
		commonHeaders[k] = k
		commonHeaders[lowerASCII(k)] = k
	}
	for c := 'a'; c <= 'z'; c++ {
		plainPathByte[c], plainPathByte[c-'a'+'A'] = true, true
		hostByte[c], hostByte[c-'a'+'A'] = true, true
		tchar[c], tchar[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		plainPathByte[c], hostByte[c], tchar[c] = true, true, true
	}
	for _, c := range []byte("-._~/$&+,:;=@") {
		plainPathByte[c] = true
	}
	for _, c := range []byte("!$%&'()*+,-.:;=[]_~") {
		hostByte[c] = true
	}
	for _, c := range []byte("!#$%&'*+-.^_`|~") {
		tchar[c] = true
	}
}

var plainPathByte, hostByte, tchar [256]bool

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
