package httpserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/goresty/goresty/confparse"
)

// h2Pipe serves each connection the returned client makes with goresty's
// HTTP/2 server over a TLS pipe.
func h2Pipe(t *testing.T, h http.Handler) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(certDir+"/ecdsa.crt", certDir+"/ecdsa.key")
	if err != nil {
		t.Fatal(err)
	}
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	grp := &addrGroup{def: &vserver{conf: &confparse.ServerConf{}}, srv: &http.Server{Handler: h}}
	grp.def.conf.KeepaliveTimeout = time.Minute
	tr := &http2.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			cl, sv := net.Pipe()
			go func() {
				tc := tls.Server(sv, srvTLS)
				if tc.Handshake() != nil {
					return
				}
				st := tc.ConnectionState()
				qc := &quietConn{Conn: sv}
				lc := &leanConn{c: tc, wire: tc, tc: tc, qc: qc, grp: grp, h: h, remote: "192.0.2.1:1234", tlsState: &st}
				grp.lean.add(lc)
				lc.h2 = newH2Conn(lc)
				lc.h2.serve()
			}()
			c := tls.Client(cl, cfg)
			return c, c.HandshakeContext(ctx)
		},
	}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		grp.lean.closeAll()
	})
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// h2NetHTTP serves h with net/http's HTTP/2 server.
func h2NetHTTP(t *testing.T, h http.Handler) (*http.Client, string) {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.Timeout = 10 * time.Second
	return c, srv.URL
}

// h2Seen is what a client sees of an answer, Date left out.
func h2Seen(resp *http.Response, err error) string {
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var keys []string
	for k, vv := range resp.Header {
		if k != "Date" {
			keys = append(keys, fmt.Sprintf("%s=%q", k, vv))
		}
	}
	slices.Sort(keys)
	s := fmt.Sprintf("%s %d %s\n%q err=%v", resp.Proto, resp.StatusCode, strings.Join(keys, " "), b, err != nil)
	if len(resp.Trailer) > 0 {
		s += fmt.Sprintf(" trailer=%v", resp.Trailer)
	}
	return s
}

type h2Req struct {
	method, path, body string
	hdr                []string
}

func (q h2Req) do(c *http.Client, base string) (*http.Response, error) {
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	req, _ := http.NewRequest(q.method, base+q.path, body)
	for i := 0; i+1 < len(q.hdr); i += 2 {
		req.Header.Add(q.hdr[i], q.hdr[i+1])
	}
	return c.Do(req)
}

// TestH2AnswersAsNetHTTP: the same handlers, the same requests, the same
// answers seen by Go's HTTP/2 client from goresty's HTTP/2 server and
// from net/http's.
func TestH2AnswersAsNetHTTP(t *testing.T) {
	handlers := answerHandlers()
	huge := strings.Repeat("z", 300000) // beyond the client's stream window
	handlers["huge"] = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, huge) }
	handlers["trailers"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "4")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	}
	handlers["request"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s %q %q %d %v %q", r.Proto, r.Method, r.RequestURI, r.Host, r.Header["Cookie"],
			r.ContentLength, r.TLS != nil, r.Header.Get("Expect"))
	}
	handlers["hopbyhop"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Ok", "1")
		w.Header().Set("Transfer-Encoding", "chunked")
		io.WriteString(w, "ok")
	}
	upload := strings.Repeat("u", 700000)
	requests := []h2Req{
		{method: "GET", path: "/a?b=c"},
		{method: "HEAD", path: "/a"},
		{method: "POST", path: "/p", body: "hello"},
		{method: "PUT", path: "/p", body: "hello", hdr: []string{"Expect", "100-continue"}},
		{method: "POST", path: "/p", body: upload},
		{method: "GET", path: "/c", hdr: []string{"Cookie", "a=1", "Cookie", "b=2", "X", "x"}},
	}
	for name, h := range handlers {
		ours := h2Pipe(t, h)
		theirs, base := h2NetHTTP(t, h)
		for _, q := range requests {
			want := h2Seen(q.do(theirs, base))
			if got := h2Seen(q.do(ours, base)); got != want {
				t.Errorf("%s, %s %s:\ngoresty  %s\nnet/http %s", name, q.method, q.path, got, want)
			}
		}
	}
}

// TestH2Streams: many concurrent streams on one connection, each answered
// whole, bodies beyond the windows both ways.
func TestH2Streams(t *testing.T) {
	c := h2Pipe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		for i := 0; i < 20; i++ {
			w.Write(b)
		}
	}))
	const n = 40
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			body := strings.Repeat(string(rune('a'+i%26)), 5000+i*100)
			resp, err := c.Post("https://h2.test/", "text/plain", strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && string(b) != strings.Repeat(body, 20) {
				err = fmt.Errorf("stream %d: %d bytes back, want %d", i, len(b), 20*len(body))
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestH2ClientGone: a stream the client resets, and a connection it
// closes, cancel the handler's context.
func TestH2ClientGone(t *testing.T) {
	started, canceled := make(chan struct{}, 1), make(chan struct{}, 1)
	c := h2Pipe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			canceled <- struct{}{}
		case <-time.After(10 * time.Second):
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://h2.test/", nil)
	go c.Do(req)
	<-started
	cancel()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not canceled by RST_STREAM")
	}
}
