package httpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi"
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

// proxy passes the request to proxy_pass's server, or to the servers of
// the upstream block it names, trying the next one as proxy_next_upstream
// says (the client's body is read first so that it can be sent again).
func (rq *request) proxy(pass string) {
	r := rq.r
	upstream, _, _ := proxyTarget(pass)
	lc := rq.loc.conf
	u, _ := url.Parse(upstream)
	raw := r.RequestURI
	if rq.uriSet || rq.hc != nil && rq.hc.ArgsSet {
		raw = escapePath(rq.uri)
		if r.URL.RawQuery != "" {
			raw += "?" + r.URL.RawQuery
		}
	}
	uri := proxyURI(pass, lc.Path, lc.Modifier, rq.uri, raw, r.URL.RawQuery)
	st := rq.settings()
	var body []byte
	if c := rq.hc; c != nil && c.BodyRead {
		body = c.Body // read (or set) by Lua
		if c.BodyFile != "" {
			b, err := os.ReadFile(c.BodyFile)
			if err != nil {
				rq.logErr(errlog.Error, fmt.Sprintf("open() \"%s\" failed (%s)", c.BodyFile, errlog.ErrnoText(err)))
				rq.errorPage(http.StatusInternalServerError)
				return
			}
			body = b
		}
	} else if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			rq.errorPage(http.StatusBadRequest)
			return
		}
		body = b
	}
	pool := rq.g.upstreams[u.Host]
	transport := rq.g.transport
	if pool != nil {
		transport = pool.transport
	}
	var ut *upstreamTLS
	if u.Scheme == "https" {
		p := rq.g.proxyTLS[st.ProxySSL]
		name := u.Hostname()
		if n := st.ProxySSL.Name; n != "" {
			name, _, _ = strings.Cut(rq.expand(n), ":")
		}
		ut = &upstreamTLS{p: p, name: name}
		transport = rq.g.tlsTransports.get(transport, p)
	}
	next := map[string]bool{}
	for _, n := range st.ProxyNextUpstream {
		next[n] = true
	}
	idempotent := r.Method != http.MethodPost && r.Method != http.MethodPatch && r.Method != "LOCK"
	tried := map[*peer]bool{}
	key := ""
	if pool != nil && pool.conf.Balance == "hash" {
		key = rq.expand(pool.conf.HashKey)
	}
	var bal *ngxapi.Balancer
	var balChunk *luavm.Chunk
	if pool != nil && pool.conf.BalancerByLua != nil {
		bal, balChunk = &ngxapi.Balancer{}, rq.g.chunks[pool.conf.BalancerByLua]
	}
	for attempt := 1; ; attempt++ {
		addr := u.Host
		var p *peer
		ast := st
		if bal != nil {
			if !rq.runBalancer(bal, balChunk) {
				rq.upstreamVars("", "500", 0)
				rq.errorPage(http.StatusInternalServerError)
				return
			}
			ast = bal.Settings(st)
		}
		if bal != nil && bal.Peer != "" {
			addr = bal.Peer
		} else if pool != nil {
			if p = pool.get(tried, key); p == nil {
				if attempt == 1 {
					rq.logUpstream(errlog.Error, "no live upstreams while connecting to upstream", u.Scheme+"://"+u.Host+uri)
				}
				rq.upstreamVars("", "502", 0)
				rq.errorPage(http.StatusBadGateway)
				return
			}
			tried[p] = true
			addr = p.addr
		}
		start := time.Now()
		resp, cancel, err := rq.proxyOnce(transport, u, addr, uri, body, ast, ut)
		elapsed := time.Since(start)
		last := pool == nil || (st.ProxyNextUpstreamTries > 0 && attempt >= st.ProxyNextUpstreamTries) || next["off"] ||
			bal != nil && attempt > bal.MoreTries // balancer_by_lua*: only the tries it allowed
		if err != nil {
			cancel()
			timeout := false
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				timeout = true
			}
			code := http.StatusBadGateway
			if timeout {
				code = http.StatusGatewayTimeout
				rq.logUpstream(errlog.Error, "upstream timed out (110: Connection timed out) while "+phaseOf(err)+" upstream", u.Scheme+"://"+addr+uri)
			} else {
				rq.logUpstream(errlog.Error, upstreamErr(err), u.Scheme+"://"+addr+uri)
			}
			rq.upstreamVars(addr, strconv.Itoa(code), elapsed)
			if p != nil && pool.done(p, true) {
				rq.logUpstream(errlog.Warn, "upstream server temporarily disabled while "+phaseOf(err)+" upstream", u.Scheme+"://"+addr+uri)
			}
			// a request already sent is not sent again unless idempotent
			resend := notSent(err) || idempotent || next["non_idempotent"]
			if !last && resend && ((timeout && next["timeout"]) || (!timeout && next["error"])) {
				if bal != nil {
					bal.LastFailure, bal.LastStatus = "failed", code
				}
				continue
			}
			rq.errorPage(code)
			return
		}
		sc := resp.StatusCode
		if !last && next["http_"+strconv.Itoa(sc)] && (idempotent || next["non_idempotent"]) {
			resp.Body.Close()
			cancel()
			rq.upstreamVars(addr, strconv.Itoa(sc), elapsed)
			if p != nil {
				pool.done(p, sc >= 500 && sc != 501) // http_500/502/503/504 count as failures
			}
			if bal != nil {
				bal.LastFailure, bal.LastStatus = "next", sc
			}
			continue
		}
		rq.upstreamVars(addr, strconv.Itoa(sc), elapsed)
		if sc >= 300 && st.ProxyInterceptErrors && rq.errorPageFor(sc) != nil {
			// proxy_intercept_errors: the error_page answers instead
			// (a 401 keeps the upstream's WWW-Authenticate, as nginx)
			if sc == http.StatusUnauthorized {
				if v := resp.Header.Values("WWW-Authenticate"); len(v) > 0 {
					rq.w.Header()["Www-Authenticate"] = v
				}
			}
			resp.Body.Close()
			cancel()
			if p != nil {
				pool.done(p, false)
			}
			rq.errorPage(sc)
			return
		}
		if up, ok := upgraded(r, resp); ok {
			rq.tunnel(resp, up, st, u.Scheme+"://"+addr+uri)
		} else {
			rq.relay(resp)
		}
		cancel()
		if p != nil {
			pool.done(p, false)
		}
		return
	}
}

// runBalancer runs balancer_by_lua* for one attempt; false when it failed
// or asked for ngx.ERROR (a 500, as ngx_lua).
func (rq *request) runBalancer(b *ngxapi.Balancer, chunk *luavm.Chunk) bool {
	c := rq.luaCtx()
	b.Peer = ""
	c.Balancer = b
	res := c.Run(luavm.PhaseBalancer, chunk)
	c.Balancer = nil
	return res.Err == nil && !(res.Exited && res.Exit == -1)
}

// isDialErr: the connection could not be made (nothing was sent).
func isDialErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// tlsErr: the TLS handshake with the upstream failed or timed out.
func tlsErr(err error) bool {
	var te *upstreamTLSError
	var oe *net.OpError
	return errors.As(err, &te) || errors.As(err, &oe) && oe.Op == "tls"
}

// notSent: the request never reached the upstream.
func notSent(err error) bool { return isDialErr(err) || tlsErr(err) }

func phaseOf(err error) string {
	var oe *net.OpError
	switch {
	case tlsErr(err):
		return "SSL handshaking to"
	case isDialErr(err):
		return "connecting to"
	case errors.As(err, &oe) && oe.Op == "write":
		return "sending request to"
	}
	return "reading response header from"
}

// upstreamVars appends one attempt to $upstream_addr, $upstream_status and
// $upstream_response_time (", "-separated, as nginx).
func (rq *request) upstreamVars(addr, status string, d time.Duration) {
	if rq.vars == nil {
		rq.vars = map[string]string{}
	}
	add := func(name, v string) {
		if old, ok := rq.vars[name]; ok {
			v = old + ", " + v
		}
		rq.vars[name] = v
	}
	add("upstream_addr", addr)
	add("upstream_status", status)
	add("upstream_response_time", fmt.Sprintf("%.3f", d.Seconds()))
}

// proxyOnce sends the request to addr; the response's body is to be read
// before cancel. proxy_read_timeout bounds the wait for the header and for
// each read of the body.
func (rq *request) proxyOnce(t *http.Transport, u *url.URL, addr, uri string, body []byte, st *confparse.Settings, ut *upstreamTLS) (*http.Response, func(), error) {
	r, lc := rq.r, rq.loc.conf
	ctx := context.WithValue(r.Context(), dialTimeoutKey{}, st.ProxyConnectTimeout)
	ctx = context.WithValue(ctx, upstreamIOKey{}, upstreamIO{sendTimeout: st.ProxySendTimeout, http10: st.ProxyHTTPVersion != "1.1"})
	if ut != nil {
		ctx = context.WithValue(ctx, proxyTLSKey{}, ut)
	}
	ctx, cancel := context.WithCancel(ctx)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, u.Scheme+"://"+addr+uri, rd)
	if err != nil {
		return nil, cancel, err
	}
	out.ContentLength = int64(len(body))
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
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
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // none, as nginx (net/http would send its own)
	}
	// as nginx's default "proxy_set_header Connection close": the
	// connection carries one request unless HTTP/1.1 is asked for and the
	// Connection header is cleared (keepalive) or set to something else
	out.Close = st.ProxyHTTPVersion != "1.1" || !connectionKept(lc.ProxySetHeaders, rq.expand)
	rto := st.ProxyReadTimeout
	if rto <= 0 {
		rto = 60 * time.Second
	}
	timer := time.AfterFunc(rto, cancel)
	resp, err := t.RoundTrip(out)
	if err != nil {
		timedOut := !timer.Stop()
		if timedOut {
			err = &net.OpError{Op: "read", Err: timeoutErr{}}
		}
		return nil, cancel, err
	}
	timer.Stop()
	if _, ok := resp.Body.(io.Writer); !ok { // a 101's connection is tunnelled (tunnel)
		resp.Body = &readTimeoutBody{ReadCloser: resp.Body, timeout: rto, cancel: cancel}
	}
	return resp, cancel, nil
}

// connectionKept: proxy_set_header Connection gives something else than
// "close" (an empty value for keepalive, "upgrade", ...).
func connectionKept(hs []confparse.Header, expand func(string) string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Connection") {
			return !strings.EqualFold(expand(h.Value), "close")
		}
	}
	return false
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// readTimeoutBody cancels the upstream request when one read waits longer
// than proxy_read_timeout.
type readTimeoutBody struct {
	io.ReadCloser
	timeout time.Duration
	cancel  func()
}

func (b *readTimeoutBody) Read(p []byte) (int, error) {
	t := time.AfterFunc(b.timeout, b.cancel)
	defer t.Stop()
	return b.ReadCloser.Read(p)
}

// relay sends the upstream's response to the client.
func (rq *request) relay(resp *http.Response) {
	r := rq.r
	defer resp.Body.Close()
	rq.relayHeader(resp)
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

// upstreamErr words a failed attempt as nginx does.
func upstreamErr(err error) string {
	var te *upstreamTLSError
	if errors.As(err, &te) {
		return te.msg + " while SSL handshaking to upstream"
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "upstream error (" + err.Error() + ") while reading response header from upstream"
	}
	return "connect() failed (" + errlog.ErrnoText(err) + ") while connecting to upstream"
}

// logUpstream logs msg with the attempt's upstream URL where nginx puts
// it (after the request, before the host).
func (rq *request) logUpstream(level errlog.Level, msg, upstream string) {
	c := *rq.errConn()
	c.Upstream = upstream
	rq.errorLog().LogConn(level, &c, msg)
}

// relayHeader passes the upstream's header fields to the client's
// response, but for those nginx hides by default and the hop-by-hop ones
// (keepalive set ours); a 101's Upgrade names the protocol switched to,
// and goes.
func (rq *request) relayHeader(resp *http.Response) {
	h := rq.w.Header()
	for k, vs := range resp.Header {
		switch k {
		case "Server", "Date", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset":
			continue
		case "Upgrade":
			if resp.StatusCode == http.StatusSwitchingProtocols {
				h[k] = vs
			}
			continue
		}
		if slices.Contains(hopHeaders, k) {
			continue
		}
		h[k] = vs
	}
	if _, ok := resp.Header["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
}
