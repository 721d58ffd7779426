package runner

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var requestLineRe = regexp.MustCompile(`^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?\s*$`)
var leadingCommentRe = regexp.MustCompile(`^\s*#[^\n]+\s+|^\s+`)

// BuildRequest turns a "--- request" text into the bytes Test::Nginx
// sends: request line completed with "/" and "HTTP/1.1", Host and
// Connection headers unless more_headers has them, more_headers, and a
// Content-Length for a body.
func BuildRequest(req, moreHeaders, serverName, conn string, body *string) (string, error) {
	for {
		n := leadingCommentRe.ReplaceAllString(req, "")
		if n == req {
			break
		}
		req = n
	}
	first, content, _ := strings.Cut(req, "\n")
	m := requestLineRe.FindStringSubmatch(first)
	if m == nil {
		return "", fmt.Errorf("request line is not valid, should be 'meth [url [version]]' but got %q", first)
	}
	meth, url, ver := m[2], m[4], m[6]
	if url == "" {
		url = "/"
	}
	if ver == "" {
		ver = "HTTP/1.1"
	}
	if body != nil {
		content = *body
	}
	hdrs, chunked := parseMoreHeaders(moreHeaders)
	lenHdr := ""
	if !chunked && content != "" && !contentLengthHdrRe.MatchString(hdrs) {
		if body == nil {
			content = strings.TrimSpace(content)
		}
		lenHdr = "Content-Length: " + strconv.Itoa(len(content)) + "\r\n"
	}
	var b strings.Builder
	b.WriteString(meth + " " + url + " " + ver + "\r\n")
	if !hostHdrRe.MatchString(hdrs) {
		b.WriteString("Host: " + serverName + "\r\n")
	}
	if !connectionHdrRe.MatchString(hdrs) {
		b.WriteString("Connection: " + conn + "\r\n")
	}
	b.WriteString(hdrs)
	b.WriteString(lenHdr)
	b.WriteString("\r\n")
	b.WriteString(content)
	return b.String(), nil
}

func parseMoreHeaders(in string) (string, bool) {
	var out strings.Builder
	chunked := false
	for _, h := range strings.Split(in, "\n") {
		if h == "" || commentLineRe.MatchString(h) {
			continue
		}
		k, v, _ := strings.Cut(h, ":")
		v = strings.TrimLeft(v, " \t")
		if strings.EqualFold(k, "transfer-encoding") && v == "chunked" {
			chunked = true
		}
		out.WriteString(k + ": " + v + "\r\n")
	}
	return out.String(), chunked
}

// TLSOptions configures HTTPS requests (the goresty "--- tls" section).
type TLSOptions struct {
	ServerName string // SNI; empty: none
	MinVersion uint16
	MaxVersion uint16
	Verify     bool
	RootCAs    *tls.Config // holds RootCAs when Verify
	Cache      tls.ClientSessionCache
	ALPN       []string
}

// clientConfig is the client TLS configuration o describes, ALPN aside.
func (o *TLSOptions) clientConfig() *tls.Config {
	cfg := &tls.Config{
		ServerName:         o.ServerName,
		MinVersion:         o.MinVersion,
		MaxVersion:         o.MaxVersion,
		InsecureSkipVerify: !o.Verify,
		ClientSessionCache: o.Cache,
	}
	if o.Verify && o.RootCAs != nil {
		cfg.RootCAs = o.RootCAs.RootCAs
	}
	return cfg
}

// Response is a parsed HTTP response.
type Response struct {
	Code       string // "" when no status line could be parsed
	Headers    [][2]string
	RawHeaders string
	Body       string
	// TLS facts, set for HTTPS requests
	TLS      bool
	Resumed  bool
	Protocol string // "TLSv1.2", "TLSv1.3"
}

// Header returns the values of a header joined by ", " (as HTTP::Headers
// does), and whether it was present.
func (r *Response) Header(name string) (string, bool) {
	var vals []string
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			vals = append(vals, h[1])
		}
	}
	return strings.Join(vals, ", "), len(vals) > 0
}

// SendResult is what came back on one connection.
type SendResult struct {
	Raw      []byte
	TimedOut bool
	Err      error // connection-level error (connect, handshake, write)
	TLS      *tls.ConnectionState
}

// Send connects to addr (over TLS when topts is set), writes the packets
// and reads until the server closes the connection or timeout expires.
func Send(addr string, packets []string, middleDelay, timeout time.Duration, topts *TLSOptions) SendResult {
	var res SendResult
	deadline := time.Now().Add(timeout)
	var conn net.Conn
	var err error
	for tries := 0; ; tries++ {
		conn, err = net.DialTimeout("tcp", addr, timeout)
		if err == nil || tries >= 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Duration(tries+1) * 10 * time.Millisecond)
	}
	if err != nil {
		res.Err = fmt.Errorf("can't connect to %s: %v", addr, err)
		return res
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	if topts != nil {
		cfg := topts.clientConfig()
		cfg.NextProtos = topts.ALPN
		tc := tls.Client(conn, cfg)
		if err := tc.Handshake(); err != nil {
			res.Err = fmt.Errorf("TLS handshake failed: %v", err)
			return res
		}
		st := tc.ConnectionState()
		res.TLS = &st
		conn = tc
	}
	for i, p := range packets {
		if i > 0 && middleDelay > 0 {
			time.Sleep(middleDelay)
		}
		if _, err := io.WriteString(conn, p); err != nil {
			res.Err = fmt.Errorf("write failed: %v", err)
			break
		}
	}
	var buf bytes.Buffer
	// Read until the server closes. A reset or an EOF without close_notify
	// after the response is not an error here: the response checks decide.
	_, err = io.Copy(&buf, conn)
	res.Raw = buf.Bytes()
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		res.TimedOut = true
	}
	if tc, ok := conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		res.TLS = &st
	}
	return res
}

var statusLineRe = regexp.MustCompile(`^HTTP/\d+(?:\.\d+)?\s+(\S+)`)

// ParseResponse parses one response off raw (Test::Nginx style): the raw
// header block, the status code, headers, and the body according to
// Transfer-Encoding: chunked or Content-Length (else everything left).
// left is what follows the response (the next pipelined response).
func ParseResponse(raw []byte, head bool) (*Response, []byte, error) {
	res := &Response{}
	s := string(raw)
	hdrEnd := strings.Index(s, "\r\n\r\n")
	var headPart, body string
	if hdrEnd >= 0 {
		res.RawHeaders = s[:hdrEnd+2]
		headPart = s[:hdrEnd]
		body = s[hdrEnd+4:]
	} else if i := strings.Index(s, "\n\n"); i >= 0 {
		headPart = s[:i]
		body = s[i+2:]
	} else {
		headPart = s
	}
	lines := strings.Split(strings.ReplaceAll(headPart, "\r\n", "\n"), "\n")
	if len(lines) > 0 {
		if m := statusLineRe.FindStringSubmatch(lines[0]); m != nil {
			if _, err := strconv.Atoi(m[1]); err == nil {
				res.Code = m[1]
			}
			lines = lines[1:]
		}
	}
	for _, l := range lines {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(res.Headers) > 0 {
			res.Headers[len(res.Headers)-1][1] += " " + strings.TrimSpace(l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		res.Headers = append(res.Headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if res.Code == "304" || res.Code == "101" {
		return res, nil, nil
	}
	if head {
		res.Body = ""
		if body != "" {
			return res, []byte(body), nil
		}
		return res, nil, nil
	}
	te, _ := res.Header("Transfer-Encoding")
	cl, hasCL := res.Header("Content-Length")
	switch {
	case te == "chunked":
		var dec strings.Builder
		rest := body
		for {
			line, after, ok := strings.Cut(rest, "\r\n")
			if !ok {
				res.Body = dec.String()
				return res, nil, fmt.Errorf("no last chunk found - %q", rest)
			}
			szs := strings.TrimSpace(line)
			if i := strings.IndexByte(szs, ';'); i >= 0 {
				szs = szs[:i]
			}
			sz, err := strconv.ParseInt(szs, 16, 64)
			if err != nil {
				res.Body = dec.String()
				return res, nil, fmt.Errorf("invalid chunked body received: %q", rest)
			}
			if sz == 0 {
				// optional trailers, then CRLF
				after, _ = skipTrailers(after)
				res.Body = dec.String()
				if after != "" {
					return res, []byte(after), nil
				}
				return res, nil, nil
			}
			if int64(len(after)) < sz+2 {
				res.Body = dec.String()
				return res, nil, fmt.Errorf("invalid chunked data received (not enough octets for the data section)")
			}
			dec.WriteString(after[:sz])
			if after[sz:sz+2] != "\r\n" {
				res.Body = dec.String()
				return res, nil, fmt.Errorf("invalid chunked data received (expected CRLF)")
			}
			rest = after[sz+2:]
		}
	case hasCL && cl != "":
		n, err := strconv.Atoi(strings.TrimSpace(cl))
		if err == nil && n >= 0 {
			if len(body) > n {
				res.Body = body[:n]
				return res, []byte(body[n:]), nil
			}
			res.Body = body
			if len(body) < n {
				return res, nil, fmt.Errorf("response body truncated: %d expected, but got %d", n, len(body))
			}
			return res, nil, nil
		}
	}
	res.Body = body
	return res, nil, nil
}

func skipTrailers(s string) (string, bool) {
	for {
		line, after, ok := strings.Cut(s, "\r\n")
		if !ok {
			return "", false
		}
		s = after
		if line == "" {
			return s, true
		}
	}
}

var contentLengthHdrRe = regexp.MustCompile(`(?:^|\n)Content-Length:`)
var hostHdrRe = regexp.MustCompile(`(?mi)(?:^|\n)Host:`)
var connectionHdrRe = regexp.MustCompile(`(?mi)(?:^|\n)Connection`)
var commentLineRe = regexp.MustCompile(`^\s*#`)
