// Command tlsprobe is a small TLS client for specs and benchmarks. It connects
// to a server one or more times, offering the session it got from the previous
// connection (or from a session file written by another run, possibly against
// another server), and prints one line per connection in the words of
// `openssl s_client`:
//
//	New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256
//	Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256
//
// Go's TLS client resumes only through tickets (TLS 1.2 session tickets and
// TLS 1.3 PSKs), never through TLS 1.2 session ids: against a server that has
// tickets disabled and resumes TLS 1.2 by session id (nginx with
// `ssl_session_tickets off`), use `openssl s_client -sess_out/-sess_in`.
//
// For TLS 1.3 the ticket arrives after the handshake, so each connection reads
// from the server until a ticket arrives (or -wait elapses) before it closes;
// with -request the HTTP response read does that.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/ngxapi/tlsname"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	connect    string
	serverName string
	tls12      bool
	tls13      bool
	n          int
	sessOut    string
	sessIn     string
	request    string
	caFile     string
	insecure   bool
	noTicket   bool
	keyType    bool
	timeout    time.Duration
	wait       time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tlsprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.connect, "connect", "127.0.0.1:443", "`host:port` to connect to")
	fs.StringVar(&o.serverName, "servername", "", "SNI `name` to send (and to verify the certificate against)")
	fs.BoolVar(&o.tls12, "tls1_2", false, "only TLSv1.2")
	fs.BoolVar(&o.tls13, "tls1_3", false, "only TLSv1.3")
	fs.IntVar(&o.n, "n", 1, "number of connections, each offering the session of the previous one")
	fs.StringVar(&o.sessOut, "sess_out", "", "write the last session to `file`")
	fs.StringVar(&o.sessIn, "sess_in", "", "offer the session in `file` on the first connection")
	fs.StringVar(&o.request, "request", "", "HTTP request to send on each connection: `\"GET /path\"` (Host and Connection: close are added), or a raw request with literal \\r\\n escapes")
	fs.StringVar(&o.caFile, "ca", "", "verify the server certificate against the CA certificates in `file`")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server certificate")
	fs.BoolVar(&o.noTicket, "no_ticket", false, "do not offer or accept session tickets (no resumption)")
	fs.BoolVar(&o.keyType, "key_type", false, "add the server certificate's key type (\", key RSA\", \", key ECDSA\") to each line")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-connection time limit")
	fs.DurationVar(&o.wait, "wait", 500*time.Millisecond, "TLS 1.3 without -request: how long to wait for the post-handshake ticket")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.tls12 && o.tls13 {
		return nil, errors.New("-tls1_2 and -tls1_3 exclude each other")
	}
	if o.n < 1 {
		return nil, errors.New("-n must be at least 1")
	}
	if o.caFile != "" && o.insecure {
		return nil, errors.New("-ca and -insecure exclude each other")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "tlsprobe:", err)
		return 2
	}
	if err := probe(o, stdout); err != nil {
		fmt.Fprintln(stderr, "tlsprobe:", err)
		return 1
	}
	return 0
}

func probe(o *options, stdout io.Writer) error {
	cache := &slotCache{}
	if o.sessIn != "" {
		cs, err := readSession(o.sessIn)
		if err != nil {
			return err
		}
		cache.cs = cs
	}
	cfg := &tls.Config{
		ServerName:             o.serverName,
		InsecureSkipVerify:     o.insecure,
		ClientSessionCache:     cache,
		SessionTicketsDisabled: o.noTicket,
		MinVersion:             tls.VersionTLS12,
		MaxVersion:             tls.VersionTLS13,
	}
	if o.tls12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	if o.tls13 {
		cfg.MinVersion = tls.VersionTLS13
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(o.connect)
		if err != nil {
			return fmt.Errorf("-connect %q: %v", o.connect, err)
		}
		cfg.ServerName = host // verified, but not sent as SNI when it is an IP address
	}
	if o.caFile != "" {
		pemData, err := os.ReadFile(o.caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return fmt.Errorf("%s: no certificates found", o.caFile)
		}
		cfg.RootCAs = pool
	}
	var req []byte
	if o.request != "" {
		var err error
		if req, err = buildRequest(o.request, cfg.ServerName, o.connect); err != nil {
			return err
		}
	}
	for i := 1; i <= o.n; i++ {
		if err := connectOnce(o, cfg, cache, req, stdout); err != nil {
			if o.n > 1 {
				return fmt.Errorf("connection %d: %w", i, err)
			}
			return err
		}
	}
	if o.sessOut != "" {
		cs := cache.get()
		if cs == nil {
			return errors.New("no session to write: the server sent no ticket")
		}
		if err := writeSession(o.sessOut, cs, cfg.ServerName); err != nil {
			return err
		}
	}
	return nil
}

func connectOnce(o *options, cfg *tls.Config, cache *slotCache, req []byte, stdout io.Writer) error {
	deadline := time.Now().Add(o.timeout)
	d := &net.Dialer{Deadline: deadline}
	raw, err := d.Dial("tcp", o.connect)
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetDeadline(deadline)
	ticket := cache.expect()
	conn := tls.Client(raw, cfg)
	if err := conn.Handshake(); err != nil {
		return err
	}
	st := conn.ConnectionState()
	word := "New"
	if st.DidResume {
		word = "Reused"
	}
	key := ""
	if o.keyType && len(st.PeerCertificates) > 0 {
		key = ", key " + st.PeerCertificates[0].PublicKeyAlgorithm.String()
	}
	fmt.Fprintf(stdout, "%s, %s, Cipher is %s%s\n", word, tlsname.String(st.Version), cipherName(st.CipherSuite), key)
	switch {
	case req != nil:
		if _, err := conn.Write(req); err != nil {
			return err
		}
		if err := readResponses(bufio.NewReader(conn), stdout); err != nil {
			return err
		}
	case st.Version == tls.VersionTLS13 && !o.noTicket:
		waitTicket(conn, ticket, o.wait)
	}
	return conn.Close()
}

// readResponses prints the responses to a request (or, raw, to several
// pipelined ones): status line and body of each, up to one that closes the
// connection.
func readResponses(br *bufio.Reader, stdout io.Writer) error {
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("reading the response: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
		if len(body) > 0 {
			stdout.Write(body)
			if body[len(body)-1] != '\n' {
				fmt.Fprintln(stdout)
			}
		}
		if err != nil {
			return fmt.Errorf("reading the body: %w", err)
		}
		if resp.Close {
			return nil
		}
	}
}

// waitTicket reads from conn until a TLS 1.3 ticket has been stored in the
// cache (ticket is closed), the server sends data or closes, or wait elapses.
func waitTicket(conn *tls.Conn, ticket <-chan struct{}, wait time.Duration) {
	conn.SetReadDeadline(time.Now().Add(wait))
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [1]byte
		conn.Read(b[:]) // processes post-handshake messages; data or errors end it
	}()
	select {
	case <-ticket:
		conn.SetReadDeadline(time.Now()) // interrupt the read
	case <-done:
	}
	<-done
	conn.SetReadDeadline(time.Time{})
}

// buildRequest turns "GET /path" (or "GET /path HTTP/1.0") into a request
// with Host and Connection: close; a string with literal \r\n escapes is sent
// as written (escapes replaced).
func buildRequest(s, serverName, connect string) ([]byte, error) {
	if strings.Contains(s, `\r\n`) || strings.Contains(s, `\n`) {
		r := strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\t`, "\t", `\\`, `\`)
		return []byte(r.Replace(s)), nil
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return nil, fmt.Errorf("-request %q: want \"METHOD /path [HTTP/1.x]\"", s)
	}
	proto := "HTTP/1.1"
	if len(f) == 3 {
		proto = f[2]
	}
	host := serverName
	if net.ParseIP(host) != nil {
		host = connect
	}
	return []byte(fmt.Sprintf("%s %s %s\r\nHost: %s\r\nConnection: close\r\n\r\n", f[0], f[1], proto, host)), nil
}

// slotCache is a client session cache with one slot that ignores the cache
// key, so a session can be offered under another server name or to another
// address than the one it came from.
type slotCache struct {
	mu     sync.Mutex
	cs     *tls.ClientSessionState
	notify chan struct{}
}

func (c *slotCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cs, c.cs != nil
}

func (c *slotCache) Put(_ string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cs = cs
	if cs != nil && c.notify != nil {
		close(c.notify)
		c.notify = nil
	}
}

func (c *slotCache) get() *tls.ClientSessionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cs
}

// expect returns a channel closed by the next Put of a session.
func (c *slotCache) expect() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notify = make(chan struct{})
	return c.notify
}

const (
	pemTicket = "TLS SESSION TICKET"
	pemState  = "TLS SESSION STATE"
)

// writeSession stores a client session as two PEM blocks: the ticket (the
// identity the server gave) and the serialized tls.SessionState.
func writeSession(path string, cs *tls.ClientSessionState, serverName string) error {
	ticket, state, err := cs.ResumptionState()
	if err != nil {
		return err
	}
	if state == nil {
		return errors.New("no session to write")
	}
	data, err := state.Bytes()
	if err != nil {
		return err
	}
	var b strings.Builder
	pem.Encode(&b, &pem.Block{Type: pemTicket, Headers: map[string]string{"Server-Name": serverName}, Bytes: ticket})
	pem.Encode(&b, &pem.Block{Type: pemState, Bytes: data})
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func readSession(path string) (*tls.ClientSessionState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ticket, state []byte
	var haveTicket bool
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		switch blk.Type {
		case pemTicket:
			ticket, haveTicket = blk.Bytes, true
		case pemState:
			state = blk.Bytes
		}
	}
	if !haveTicket || state == nil {
		return nil, fmt.Errorf("%s: not a tlsprobe session file", path)
	}
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	cs, err := tls.NewResumptionState(ticket, ss)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return cs, nil
}

// openSSLNames maps Go's cipher suite names to OpenSSL's for TLS 1.2 and
// below; TLS 1.3 suites have the same names in both.
var openSSLNames = map[uint16]string{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
}

func cipherName(id uint16) string {
	if n, ok := openSSLNames[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}
