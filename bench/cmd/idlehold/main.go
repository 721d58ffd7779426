// Command idlehold is the benchmark's idle keep-alive client: it opens -c TLS
// connections, makes one GET request on each (HTTP/1.1, or HTTP/2 with -h2),
// reads the whole response and keeps every connection open, as browsers and
// HTTP/2 clients do between requests. Once all are held it prints one JSON
// object on stdout and holds them until stdin is closed (or -hold passes),
// so the caller can read the server's memory in between.
//
// The HTTP/2 client is written out here (preface, SETTINGS and its ACK, one
// HEADERS frame with an HPACK block of static-table entries and one literal
// :authority) so a held connection costs the client little and does nothing
// the server has to answer while idle.
package main

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what idlehold prints once the connections are held.
type Result struct {
	Held    int64            `json:"held"` // connections open after their request
	Errors  int64            `json:"errors"`
	Kinds   map[string]int64 `json:"error_kinds,omitempty"`
	Seconds float64          `json:"seconds"` // time to open them all
	Proto   string           `json:"proto"`   // negotiated on the last one
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type options struct {
	connect, serverName, path string
	tls12, tls13, h2          bool
	conns, par                int
	hold, timeout             time.Duration
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{}
	fs := flag.NewFlagSet("idlehold", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.connect, "connect", "127.0.0.1:443", "`host:port`")
	fs.StringVar(&o.serverName, "servername", "test.com", "SNI and Host `name`")
	fs.StringVar(&o.path, "path", "/", "request `path`")
	fs.BoolVar(&o.tls12, "tls1_2", false, "only TLSv1.2")
	fs.BoolVar(&o.tls13, "tls1_3", false, "only TLSv1.3")
	fs.BoolVar(&o.h2, "h2", false, "HTTP/2 (ALPN h2) instead of HTTP/1.1")
	fs.IntVar(&o.conns, "c", 1000, "connections to hold")
	fs.IntVar(&o.par, "p", 32, "connections opened at a time")
	fs.DurationVar(&o.hold, "hold", 10*time.Minute, "hold at most this long")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-connection time limit to open and answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: o.serverName,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}, ClientSessionCache: nil}
	switch {
	case o.tls12:
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	case o.tls13:
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	}
	if o.h2 {
		cfg.NextProtos = []string{"h2"}
	} else {
		cfg.NextProtos = []string{"http/1.1"}
	}

	var (
		mu    sync.Mutex
		held  []net.Conn
		kinds = map[string]int64{}
		errs  atomic.Int64
		proto atomic.Value
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range max(o.par, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(o.conns) {
				c, err := open(o, cfg)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					kinds[kind(err)]++
					mu.Unlock()
					continue
				}
				proto.Store(c.ConnectionState().NegotiatedProtocol)
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p, _ := proto.Load().(string)
	res := Result{Held: int64(len(held)), Errors: errs.Load(), Seconds: time.Since(start).Seconds(), Proto: p}
	if len(kinds) > 0 {
		res.Kinds = kinds
	}
	out, _ := json.Marshal(res)
	fmt.Fprintf(stdout, "%s\n", out)
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(o.hold):
	}
	for _, c := range held {
		c.Close()
	}
	return 0
}

// open dials, handshakes and makes the one request.
func open(o *options, cfg *tls.Config) (*tls.Conn, error) {
	d := net.Dialer{Timeout: o.timeout}
	raw, err := d.Dial("tcp", o.connect)
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Now().Add(o.timeout))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err == nil {
		if o.h2 {
			err = h2Request(c, o.serverName, o.path)
		} else {
			err = h1Request(c, o.serverName, o.path)
		}
		if err == nil {
			raw.SetDeadline(time.Time{})
			return c, nil
		}
		c.Close()
		return nil, err
	} else {
		raw.Close()
		return nil, err
	}
}

func h1Request(c net.Conn, host, path string) error {
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		return err
	}
	// The buffer is dropped after the response: only the connection stays.
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if br.Buffered() > 0 {
		return errors.New("bytes after the response")
	}
	return nil
}

const (
	frameData     = 0x0
	frameHeaders  = 0x1
	frameSettings = 0x4
	frameGoAway   = 0x7
	flagEndStream = 0x1
	flagAck       = 0x1
)

func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	_, err := w.Write(append(h[:], payload...))
	return err
}

// h2Request sends the preface, empty SETTINGS and GET path on stream 1, and
// reads frames (acknowledging the server's SETTINGS) until the response
// ends. The status is the first byte of the HPACK block: 0x88 is the static
// table's ":status 200".
func h2Request(c net.Conn, host, path string) error {
	if _, err := io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); err != nil {
		return err
	}
	if err := writeFrame(c, frameSettings, 0, 0, nil); err != nil {
		return err
	}
	block := []byte{0x82, 0x87} // :method GET, :scheme https
	if path == "/" {
		block = append(block, 0x84)
	} else {
		block = append(block, 0x04, byte(len(path))) // :path, literal without indexing
		block = append(block, path...)
	}
	block = append(block, 0x01, byte(len(host))) // :authority, literal without indexing
	block = append(block, host...)
	if err := writeFrame(c, frameHeaders, 0x4|flagEndStream, 1, block); err != nil { // END_HEADERS
		return err
	}
	var h [9]byte
	status := byte(0)
	for {
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return err
		}
		n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		payload := make([]byte, n)
		if _, err := io.ReadFull(c, payload); err != nil {
			return err
		}
		typ, flags, stream := h[3], h[4], binary.BigEndian.Uint32(h[5:])&0x7fffffff
		switch {
		case typ == frameSettings && flags&flagAck == 0:
			if err := writeFrame(c, frameSettings, flagAck, 0, nil); err != nil {
				return err
			}
		case typ == frameGoAway:
			return errors.New("GOAWAY")
		case typ == frameHeaders && stream == 1 && status == 0 && n > 0:
			status = payload[0]
		}
		if stream == 1 && (typ == frameData || typ == frameHeaders) && flags&flagEndStream != 0 {
			if status != 0x88 {
				return fmt.Errorf("HPACK status byte %#x, not 200", status)
			}
			return nil
		}
	}
}

func kind(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
