package httpserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/ngxapi"
)

// proxyTLS is one proxy_ssl_* configuration made ready for handshakes:
// its trusted CAs and client certificate loaded, a session cache when
// proxy_ssl_session_reuse is on.
type proxyTLS struct {
	conf  *confparse.ProxySSL
	roots *x509.CertPool
	base  *tls.Config
}

func newProxyTLS(ps *confparse.ProxySSL) (*proxyTLS, error) {
	p := &proxyTLS{conf: ps}
	if ps.TrustedCert != "" {
		b, err := os.ReadFile(ps.TrustedCert)
		if err != nil {
			return nil, err
		}
		p.roots = x509.NewCertPool()
		p.roots.AppendCertsFromPEM(b)
	}
	// verification is ours (after the handshake, resumed ones included),
	// as nginx checks SSL_get_verify_result and the name itself
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}
	if min, max, ok := tlsVersionRange(ps.Protocols); ok {
		cfg.MinVersion, cfg.MaxVersion = min, max
	}
	if ps.Certificate != "" {
		cert, err := tls.LoadX509KeyPair(ps.Certificate, ps.CertificateKey)
		if err != nil {
			return nil, err
		}
		// sent whatever CAs the upstream names, as OpenSSL does
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	if ps.SessionReuse {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	p.base = cfg
	return p, nil
}

// tlsVersionRange is the range Go can offer for protocol names; false when
// none of them is TLS 1.2 or 1.3.
func tlsVersionRange(names []string) (uint16, uint16, bool) {
	var min, max uint16
	for _, n := range names {
		v := map[string]uint16{"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}[n]
		if v == 0 {
			continue
		}
		if min == 0 || v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	return min, max, max != 0
}

// proxyTLSKey carries a request's *upstreamTLS to upstreamDialTLS.
type proxyTLSKey struct{}

type upstreamTLS struct {
	p    *proxyTLS
	name string // proxy_ssl_name, expanded; by default the proxy_pass host
}

// upstreamTLSError is a failed TLS handshake with an upstream, in nginx's
// words; nothing was sent, so the next server may be tried.
type upstreamTLSError struct{ msg string }

func (e *upstreamTLSError) Error() string { return e.msg }

// upstreamDialTLS connects and handshakes within proxy_connect_timeout (as
// nginx's SSL handshake timer), then verifies when proxy_ssl_verify is on;
// the requests are written as upstreamDial's.
func upstreamDialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	ut, _ := ctx.Value(proxyTLSKey{}).(*upstreamTLS)
	if ut == nil {
		return nil, errors.New("no TLS settings for the upstream")
	}
	conn, err := dialRaw(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := ut.p.base.Clone()
	// as nginx, no SNI for an IP address
	if ut.p.conf.ServerName && net.ParseIP(ut.name) == nil {
		cfg.ServerName = ut.name
	}
	to, _ := ctx.Value(dialTimeoutKey{}).(time.Duration)
	if to <= 0 {
		to = 60 * time.Second
	}
	tc := tls.Client(conn, cfg)
	tc.SetDeadline(time.Now().Add(to))
	err = tc.HandshakeContext(ctx)
	tc.SetDeadline(time.Time{})
	if err != nil {
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &net.OpError{Op: "tls", Err: timeoutErr{}}
		}
		return nil, &upstreamTLSError{"SSL_do_handshake() failed (" + err.Error() + ")"}
	}
	if ut.p.conf.Verify {
		certs := tc.ConnectionState().PeerCertificates
		if e := ngxapi.VerifyChain(certs, ut.p.roots, ut.p.conf.VerifyDepth, x509.ExtKeyUsageServerAuth); e != "" {
			tc.Close()
			return nil, &upstreamTLSError{"upstream SSL certificate verify error: (" + strings.Replace(e, ": ", ":", 1) + ")"}
		}
		if !ngxapi.CheckHost(certs[0], ut.name) {
			tc.Close()
			return nil, &upstreamTLSError{`upstream SSL certificate does not match "` + ut.name + `"`}
		}
	}
	return wrapUpstream(ctx, tc), nil
}

// proxyTransports are the transports that speak TLS to upstreams: one per
// base transport (the generation's, an upstream block's) and proxy_ssl_*
// configuration, so that a connection made under one configuration is
// never reused under another.
type proxyTransports struct {
	mu sync.Mutex
	m  map[[2]any]*http.Transport
}

func (pt *proxyTransports) get(base *http.Transport, p *proxyTLS) *http.Transport {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	k := [2]any{base, p}
	t := pt.m[k]
	if t == nil {
		t = base.Clone()
		t.DialTLSContext = upstreamDialTLS
		if pt.m == nil {
			pt.m = map[[2]any]*http.Transport{}
		}
		pt.m[k] = t
	}
	return t
}

func (pt *proxyTransports) closeIdle() {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for _, t := range pt.m {
		t.CloseIdleConnections()
	}
}

// proxyTLSConfigs loads every proxy_ssl_* configuration a location
// proxying to https:// uses.
func proxyTLSConfigs(h *confparse.HTTPConf) (map[*confparse.ProxySSL]*proxyTLS, error) {
	out := map[*confparse.ProxySSL]*proxyTLS{}
	for _, s := range h.Servers {
		err := s.EachLocation(func(lc *confparse.LocationConf) error {
			ps := lc.ProxySSL
			if !strings.HasPrefix(lc.ProxyPass, "https://") || out[ps] != nil {
				return nil
			}
			p, err := newProxyTLS(ps)
			if err != nil {
				return &buildError{err.Error()}
			}
			out[ps] = p
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
