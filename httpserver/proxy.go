package httpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/goresty/goresty/luavm/errlog"
)

// proxyTarget splits proxy_pass "http://host:port[/uri]" into the upstream
// (scheme://host:port) and the URI part; hasURI tells whether a URI (even
// "/") was given.
func proxyTarget(pass string) (upstream, uri string, hasURI bool) {
	rest := pass
	scheme := "http://"
	if strings.HasPrefix(rest, "https://") {
		scheme = "https://"
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "http://"), "https://")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return scheme + rest[:i], rest[i:], true
	}
	return scheme + rest, "", false
}

// proxyURI is the URI sent upstream, by nginx's rules: without a URI in
// proxy_pass the client's request URI goes as sent; with one, the part of
// the normalised URI matching the (prefix) location is replaced by it.
func proxyURI(pass, locPath, locModifier, uri, rawRequestURI, args string) string {
	_, puri, hasURI := proxyTarget(pass)
	if !hasURI {
		return rawRequestURI
	}
	var out string
	if locModifier == "~" || locModifier == "~*" || locModifier == "@" {
		out = puri
	} else if strings.HasPrefix(uri, locPath) {
		out = puri + escapePath(uri[len(locPath):])
	} else {
		out = puri
	}
	if args != "" {
		out += "?" + args
	}
	return out
}

func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (rq *request) proxy(pass string) {
	r := rq.r
	upstream, _, _ := proxyTarget(pass)
	lc := rq.loc.conf
	target := upstream + proxyURI(pass, lc.Path, lc.Modifier, rq.uri, r.RequestURI, r.URL.RawQuery)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var body io.Reader
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		body = r.Body
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		rq.logErr(errlog.Error, fmt.Sprintf("invalid URL prefix in \"%s\"", target))
		rq.errorPage(http.StatusInternalServerError)
		return
	}
	out.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
	u, _ := url.Parse(upstream)
	out.Host = u.Host
	if strings.HasSuffix(out.Host, ":80") && u.Scheme == "http" {
		out.Host = strings.TrimSuffix(out.Host, ":80")
	}
	for _, h := range lc.ProxySetHeaders {
		v := rq.expand(h.Value)
		if strings.EqualFold(h.Name, "Host") {
			if v != "" {
				out.Host = v
			}
			continue
		}
		if v == "" {
			out.Header.Del(h.Name)
		} else {
			out.Header.Set(h.Name, v)
		}
	}
	out.Close = false
	resp, err := rq.g.transport.RoundTrip(out)
	if err != nil {
		rq.logErr(errlog.Error, rq.upstreamErr(err, upstream+out.URL.RequestURI()))
		code := http.StatusBadGateway
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			code = http.StatusGatewayTimeout
		}
		rq.errorPage(code)
		return
	}
	defer resp.Body.Close()
	h := rq.w.Header()
	for k, vs := range resp.Header {
		switch k {
		case "Server", "Date", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset":
			continue
		}
		h[k] = vs
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	if _, ok := resp.Header["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
	rq.w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := rq.w.Write(buf[:n]); werr != nil {
				return
			}
			rq.w.Flush()
		}
		if err != nil {
			if err != io.EOF {
				rq.logErr(errlog.Error, "upstream prematurely closed connection while reading upstream")
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
}

func (rq *request) upstreamErr(err error, upstream string) string {
	what := "connect() failed (" + errlog.ErrnoText(err) + ") while connecting to upstream"
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		what = "upstream error (" + err.Error() + ") while reading response header from upstream"
	}
	return what + ", upstream: \"" + upstream + "\""
}
