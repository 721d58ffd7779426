package httpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/goresty/goresty/confparse"
)

// h2Server serves connections with goresty's HTTP/2 server over TLS
// pipes: dial gives the client's end of a new one.
func h2Server(t testing.TB, h http.Handler) (dial func(cfg *tls.Config) *tls.Conn) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(certDir+"/ecdsa.crt", certDir+"/ecdsa.key")
	if err != nil {
		t.Fatal(err)
	}
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	grp := &addrGroup{def: &vserver{conf: &confparse.ServerConf{}}, srv: &http.Server{Handler: h}}
	grp.def.conf.KeepaliveTimeout = time.Minute
	t.Cleanup(grp.lean.closeAll)
	return func(cfg *tls.Config) *tls.Conn {
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
			sc := newH2Conn(lc, tc)
			lc.h2.Store(sc)
			sc.serve()
		}()
		return tls.Client(cl, cfg)
	}
}

// h2Pipe is a client whose every connection h2Server serves.
func h2Pipe(t *testing.T, h http.Handler) *http.Client {
	t.Helper()
	dial := h2Server(t, h)
	tr := &http2.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			c := dial(cfg)
			return c, c.HandshakeContext(ctx)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
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
	handlers["bigheader"] = func(w http.ResponseWriter, r *http.Request) { // CONTINUATION frames
		w.Header().Set("X-Big", strings.Repeat("b", 40000))
		io.WriteString(w, "ok")
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

// h2Raw is a raw HTTP/2 client connection: the preface and SETTINGS
// sent, frames read and written by hand.
type h2Raw struct {
	c   *tls.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	hb  bytes.Buffer
	ids uint32 // the streams nextID opened
}

// nextID is the next stream's id (from 1).
func (r *h2Raw) nextID() uint32 {
	r.ids++
	return 2*r.ids - 1
}

func dialH2Raw(t *testing.T, addr string) *h2Raw {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	return newH2Raw(t, c)
}

func newH2Raw(t *testing.T, c *tls.Conn) *h2Raw {
	t.Helper()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q", p)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &h2Raw{c: c, fr: http2.NewFramer(c, c)}
	r.enc = hpack.NewEncoder(&r.hb)
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	io.WriteString(c, http2.ClientPreface)
	r.fr.WriteSettings()
	return r
}

func (r *h2Raw) get(t testing.TB, id uint32, path string, hdr ...string) {
	t.Helper()
	r.open(t, id, "GET", path, true, hdr...)
}

// post opens a POST to / whose body is still to come (WriteData ends it).
func (r *h2Raw) post(t testing.TB, id uint32) {
	t.Helper()
	r.open(t, id, "POST", "/", false)
}

func (r *h2Raw) open(t testing.TB, id uint32, method, path string, end bool, hdr ...string) {
	t.Helper()
	r.hb.Reset()
	for _, f := range [][2]string{{":method", method}, {":scheme", "https"}, {":authority", "test.com"}, {":path", path}} {
		r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.enc.WriteField(hpack.HeaderField{Name: hdr[i], Value: hdr[i+1]})
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.hb.Bytes(), EndStream: end, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// until reads frames until f returns true (false: EOF or an error first).
func (r *h2Raw) until(f func(http2.Frame) bool) bool {
	for {
		fr, err := r.fr.ReadFrame()
		if err != nil {
			return false
		}
		if f(fr) {
			return true
		}
	}
}

func endOf(id uint32) func(http2.Frame) bool {
	return func(f http2.Frame) bool {
		return f.Header().StreamID == id && f.Header().Flags.Has(http2.FlagDataEndStream)
	}
}

func goAwayWith(code http2.ErrCode) func(http2.Frame) bool {
	return func(f http2.Frame) bool {
		g, ok := f.(*http2.GoAwayFrame)
		return ok && g.ErrCode == code
	}
}

// TestH2ClosedStream: a HEADERS frame on a stream both ends have ended
// is a connection error STREAM_CLOSED (RFC 9113 5.1), also while the
// stream's handler is still running (here: its log phase).
func TestH2ClosedStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	dial := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
		w.(interface{ finishEarly() }).finishEarly()
		<-release
	}))
	r := newH2Raw(t, dial(&tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}))
	r.get(t, 1, "/")
	if !r.until(endOf(1)) {
		t.Fatal("no answer on stream 1")
	}
	r.get(t, 1, "/")
	if !r.until(goAwayWith(http2.ErrCodeStreamClosed)) {
		t.Fatal("no GOAWAY STREAM_CLOSED for HEADERS on the closed stream 1")
	}
}

// TestH2HeaderBlocks: a request's header block split over CONTINUATION
// frames (a field across two) is decoded whole; a malformed one resets
// its stream only, the HPACK state kept for the next; a header list
// beyond SETTINGS_MAX_HEADER_LIST_SIZE is answered 431.
func TestH2HeaderBlocks(t *testing.T) {
	dial := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %d %s", r.Header.Get("X-A"), len(r.Header.Get("X-Big")), r.URL.RawQuery)
	}))
	r := newH2Raw(t, dial(&tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}))
	defer r.c.Close()
	send := func(id uint32, fields ...string) {
		r.hb.Reset()
		for _, f := range append([]string{":method=GET", ":scheme=https", ":authority=a.test"}, fields...) {
			name, value, _ := strings.Cut(f, "=")
			r.enc.WriteField(hpack.HeaderField{Name: name, Value: value})
		}
		hb := r.hb.Bytes()
		k := min(len(hb), 7) // the first frame ends inside a field
		if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb[:k], EndStream: true, EndHeaders: k == len(hb)}); err != nil {
			t.Fatal(err)
		}
		for hb = hb[k:]; len(hb) > 0; hb = hb[k:] {
			k = min(len(hb), 16384)
			if err := r.fr.WriteContinuation(id, k == len(hb), hb[:k]); err != nil {
				t.Fatal(err)
			}
		}
	}
	answer := func(id uint32) string {
		var got string
		if !r.until(func(f http2.Frame) bool {
			switch f := f.(type) {
			case *http2.MetaHeadersFrame:
				got += f.PseudoValue("status") + " "
			case *http2.DataFrame:
				got += string(f.Data())
			case *http2.RSTStreamFrame:
				got += f.ErrCode.String()
				return f.StreamID == id
			case *http2.GoAwayFrame:
				got += "GOAWAY " + f.ErrCode.String()
			}
			return f.Header().StreamID == id && f.Header().Flags.Has(http2.FlagDataEndStream)
		}) {
			_, err := r.fr.ReadFrame()
			t.Fatalf("no answer on stream %d: %v %q", id, err, got)
		}
		return got
	}
	big := "x-big=" + strings.Repeat("b", 30000)
	for _, c := range []struct {
		fields []string
		want   string
	}{
		{[]string{":path=/?q=1", "x-a=one", big}, "200 one 30000 q=1"},
		{[]string{":path=/", "x-a=two", "X-Upper=v"}, "PROTOCOL_ERROR"},
		{[]string{"x-a=two", ":path=/"}, "PROTOCOL_ERROR"}, // a pseudo-header field after a regular one
		{[]string{":path=/", ":path=/"}, "PROTOCOL_ERROR"},
		{[]string{":path=/", "x-a=two", big}, "200 two 30000 "}, // both indexed by now
		{[]string{":path=/", "connection=close"}, `400 request header "Connection" is not valid in HTTP/2` + "\n"},
		{[]string{":path=/", big[:5] + strings.Repeat("b", 600000), big[:5] + strings.Repeat("c", 600000)}, "431 <h1>HTTP Error 431</h1><p>Request Header Field(s) Too Large</p>"},
		{[]string{":path=/", "x-a=three"}, "200 three 0 "},
	} {
		id := r.nextID()
		send(id, c.fields...)
		if got := answer(id); got != c.want {
			t.Errorf("%.60q: got %q, want %q", c.fields, got, c.want)
		}
	}
}

// TestH2IdleBusy: keepalive_timeout (2 s here) counts from the last
// stream's end: not while a stream is open longer than it, nor from an
// earlier idle time (the read deadline set then passes while the
// connection is idle again, and is re-armed for the rest).
func TestH2IdleBusy(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(h2Conf, "2s", port, certDir, certDir))
	defer g.close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// goAwayAfter reads the answer on stream id, then wants GOAWAY no
	// sooner than keepalive_timeout after it.
	goAwayAfter := func(t *testing.T, r *h2Raw, id uint32) {
		early := false
		if !r.until(func(f http2.Frame) bool {
			_, away := f.(*http2.GoAwayFrame)
			early = early || away
			return f.Header().StreamID == id && f.Header().Flags.Has(http2.FlagDataEndStream)
		}) {
			t.Fatalf("no answer on stream %d", id)
		}
		if early {
			t.Fatalf("GOAWAY before the answer on stream %d", id)
		}
		start := time.Now()
		if !r.until(goAwayWith(http2.ErrCodeNo)) {
			t.Fatal("no GOAWAY for the idle connection")
		}
		if d := time.Since(start); d < 1800*time.Millisecond {
			t.Errorf("GOAWAY %v after the answer, before keepalive_timeout", d)
		}
	}
	t.Run("both", func(t *testing.T) { // g closed once both are done
		t.Run("open longer", func(t *testing.T) {
			t.Parallel()
			r := dialH2Raw(t, addr)
			r.post(t, 1)
			time.Sleep(2500 * time.Millisecond) // the stream open longer than keepalive_timeout
			r.fr.WriteData(1, true, []byte("body"))
			goAwayAfter(t, r, 1)
		})
		t.Run("idle before", func(t *testing.T) {
			t.Parallel()
			r := dialH2Raw(t, addr)
			r.get(t, 1, "/")
			if !r.until(endOf(1)) {
				t.Fatal("no answer on stream 1")
			}
			time.Sleep(1200 * time.Millisecond) // idle for part of keepalive_timeout
			r.get(t, 3, "/slow")                // 0.3 s
			goAwayAfter(t, r, 3)
		})
	})
}

// TestH2CloseNotifyAfterBusy: a read deadline that passed while a stream
// was open is not the client going away: the connection still ends with
// close_notify when it is closed gracefully (a reload's GOAWAY) after.
func TestH2CloseNotifyAfterBusy(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(h2Conf, "2s", port, certDir, certDir))
	raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	rc := &alertSeen{Conn: raw}
	// TLS 1.2: an alert record's type is in the clear
	r := newH2Raw(t, tls.Client(rc, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}, MaxVersion: tls.VersionTLS12}))
	r.get(t, 1, "/") // its end arms keepalive_timeout's deadline
	if !r.until(endOf(1)) {
		t.Fatal("no answer on stream 1")
	}
	r.post(t, 3)
	time.Sleep(2500 * time.Millisecond) // open while that deadline passes
	r.fr.WriteData(3, true, []byte("body"))
	if !r.until(endOf(3)) {
		t.Fatal("no answer on stream 3")
	}
	// The answer's end can reach the client before the server's Write
	// returns, and tls.Conn.Close sends no close_notify while a Write is
	// in flight: wait for the server to be done with stream 3.
	for deadline := time.Now().Add(10 * time.Second); !h2Quiet(g); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stream 3 still open on the server")
		}
	}
	g.close() // well within keepalive_timeout of the answer
	for err == nil {
		_, err = r.fr.ReadFrame()
	}
	if !rc.alert {
		t.Errorf("the connection ended (%v) without close_notify", err)
	}
}

// h2Quiet is whether g's HTTP/2 connections have no stream open and
// no write in flight.
func h2Quiet(g *generation) bool {
	quiet := true
	for _, grp := range g.groups {
		grp.lean.each(func(lc *leanConn) {
			sc := lc.h2.Load()
			if sc == nil {
				return
			}
			sc.mu.Lock()
			quiet = quiet && len(sc.streams) == 0 && len(sc.ctrl) == 0
			sc.mu.Unlock()
			if quiet && sc.wmu.TryLock() {
				sc.wmu.Unlock()
			} else {
				quiet = false
			}
		})
	}
	return quiet
}

// alertSeen notes whether a TLS 1.2 alert record came in.
type alertSeen struct {
	net.Conn
	hdr   []byte // the record header being read
	skip  int    // what is left of the record's body
	alert bool
}

func (c *alertSeen) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	for p := b[:n]; len(p) > 0; {
		if c.skip > 0 {
			k := min(c.skip, len(p))
			c.skip, p = c.skip-k, p[k:]
			continue
		}
		k := min(5-len(c.hdr), len(p))
		c.hdr, p = append(c.hdr, p[:k]...), p[k:]
		if len(c.hdr) == 5 {
			c.alert = c.alert || c.hdr[0] == 0x15
			c.skip, c.hdr = int(c.hdr[3])<<8|int(c.hdr[4]), c.hdr[:0]
		}
	}
	return n, err
}

const h2Conf = `daemon off;
error_log logs/error.log info;
events {}
http {
    access_log off;
    keepalive_timeout %s;
    server {
        listen 127.0.0.1:%d ssl http2;
        ssl_certificate %s/ecdsa.crt;
        ssl_certificate_key %s/ecdsa.key;
        location / { content_by_lua_block { ngx.req.read_body() ngx.say("ok") } }
        location /slow { content_by_lua_block { ngx.log(ngx.WARN, "slow started") ngx.sleep(0.3) ngx.say("slow done") } }
    }
}
`

// TestH2Idle: an HTTP/2 connection with no stream gets GOAWAY and is
// closed after keepalive_timeout; one with a stream open is not.
func TestH2Idle(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(h2Conf, "1s", port, certDir, certDir))
	defer g.close()
	r := dialH2Raw(t, fmt.Sprintf("127.0.0.1:%d", port))
	r.get(t, 1, "/slow") // 0.3 s: no GOAWAY meanwhile, the stream answered
	start := time.Now()
	if !r.until(endOf(1)) {
		t.Fatal("no answer on stream 1")
	}
	if !r.until(goAwayWith(http2.ErrCodeNo)) {
		t.Fatal("no GOAWAY for the idle connection")
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("GOAWAY %v after the answer, before keepalive_timeout", d)
	}
	if r.until(func(http2.Frame) bool { return true }) {
		t.Error("a frame after GOAWAY; want the connection closed")
	}
}

// TestH2Shutdown: a retiring generation sends GOAWAY on its HTTP/2
// connections, closes the idle one at once, lets a stream in flight
// finish, and is done once it has.
func TestH2Shutdown(t *testing.T) {
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(h2Conf, "75s", port, certDir, certDir))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	idle := dialH2Raw(t, addr)
	idle.get(t, 1, "/")
	if !idle.until(endOf(1)) {
		t.Fatal("no answer on the idle connection's stream")
	}
	busy := dialH2Raw(t, addr)
	busy.get(t, 1, "/slow")
	waitLog(t, prefix+"logs/error.log", "slow started")
	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		g.shutdown(ctx)
		close(stopped)
	}()
	if !idle.until(goAwayWith(http2.ErrCodeNo)) {
		t.Error("no GOAWAY on the idle connection")
	}
	if idle.until(func(http2.Frame) bool { return true }) {
		t.Error("the idle connection stayed open after GOAWAY")
	}
	var body []byte
	gotAway := false
	done := busy.until(func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			gotAway = true
		case *http2.DataFrame:
			body = append(body, f.Data()...)
		}
		return f.Header().StreamID == 1 && f.Header().Flags.Has(http2.FlagDataEndStream)
	})
	if !done || string(body) != "slow done\n" || !gotAway {
		t.Errorf("the stream in flight: ended %v, body %q, GOAWAY first %v", done, body, gotAway)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not return")
	}
	if busy.until(func(http2.Frame) bool { return true }) {
		t.Error("the busy connection stayed open after its stream")
	}
}

// h2specKnown are the h2spec checks goresty fails on purpose: a request
// with a connection-specific header or a TE other than "trailers" is
// answered 400, as net/http and nginx answer it, not reset.
var h2specKnown = []string{
	"Sends a HEADERS frame that contains the connection-specific header field",
	`Sends a HEADERS frame that contains the TE header field with any value other than "trailers"`,
}

// TestH2Spec runs h2spec (HTTP/2 conformance, GORESTY_H2SPEC: t/run
// installs it) against goresty's HTTP/2 server over TLS.
func TestH2Spec(t *testing.T) {
	bin := os.Getenv("GORESTY_H2SPEC")
	if bin == "" {
		t.Skip("h2spec not installed: GORESTY_H2SPEC=path (bash t/run installs it with go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible)")
	}
	prefix := testPrefix(t)
	port := freePort(t)
	g := startGeneration(t, prefix, fmt.Sprintf(h2Conf, "75s", port, certDir, certDir))
	defer g.close()
	out, _ := exec.Command(bin, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "-k", "-o", "5").CombinedOutput()
	summary := regexp.MustCompile(`(\d+) tests, (\d+) passed, \d+ skipped, (\d+) failed`).FindStringSubmatch(string(out))
	if summary == nil {
		t.Fatalf("no h2spec summary:\n%s", out)
	}
	var failed []string
	for _, line := range strings.Split(string(out), "\n") {
		if _, name, ok := strings.Cut(line, "× "); ok {
			if _, name, ok = strings.Cut(name, ": "); ok && !slices.Contains(failed, name) {
				failed = append(failed, name)
			}
		}
	}
	for _, name := range failed {
		if !slices.Contains(h2specKnown, name) {
			t.Errorf("h2spec: %s", name)
		}
	}
	t.Logf("h2spec: %s tests, %s passed, %s failed", summary[1], summary[2], summary[3])
}

// BenchmarkH2Request: one GET at a time on one HTTP/2 connection (as
// h2load -m1, with its user-agent field), the handler writing "ok": the
// HTTP/2 server's own cost per
// request (frames read, the request built, the stream handed to a
// serving goroutine, the answer framed and written) and its allocations
// (the client's share: its HEADERS written, the answer's frames read);
// cpu-ns/op is the process's CPU time per request, steadier than ns/op
// on a shared machine.
func BenchmarkH2Request(b *testing.B) {
	dial := h2Server(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	}))
	c := dial(&tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	defer c.Close()
	r := &h2Raw{c: c, fr: http2.NewFramer(c, c)}
	r.enc = hpack.NewEncoder(&r.hb)
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	r.fr.SetReuseFrames()
	io.WriteString(c, http2.ClientPreface)
	r.fr.WriteSettings()
	r.fr.WriteWindowUpdate(0, 1<<30)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
	for i := 0; i < b.N; i++ {
		id := uint32(2*i + 1)
		r.get(b, id, "/", "user-agent", "h2load nghttp2/1.64.0")
		if !r.until(endOf(id)) {
			b.Fatal("no answer")
		}
		if i%1000 == 999 { // give the window back as a client does
			r.fr.WriteWindowUpdate(0, 3000*1000)
		}
	}
}
