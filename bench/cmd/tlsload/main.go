// Command tlsload is the benchmark's TLS load client. It runs -c concurrent
// loops of connect + handshake + close for -t seconds or -n connections,
// whichever ends first, and prints one JSON object with the counts and the
// handshake latency distribution.
//
// -mode new: every connection is a full handshake. The client still advertises
// tickets (as browsers and `openssl s_time -new` do), so servers issue and
// store sessions just as in real traffic; it never offers one.
//
// -mode reuse: one full handshake first, reading until the TLS 1.3
// post-handshake ticket arrives; then every connection offers that same
// session (like `openssl s_time -reuse`). Connections the server did not
// resume are counted as not resumed.
//
// Key exchange is X25519 (P-256 is also listed, for ECDSA certificates), the curve nginx 1.22/OpenSSL 3.0 and `openssl
// s_time` use, so Go servers are not made to do the costlier hybrid
// X25519MLKEM768 that Go clients offer by default.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what tlsload prints (one JSON object).
type Result struct {
	Connections int64            `json:"connections"` // successful handshakes
	Resumed     int64            `json:"resumed"`
	Errors      int64            `json:"errors"`
	ErrorKinds  map[string]int64 `json:"error_kinds,omitempty"` // first words of each error, counted
	Seconds     float64          `json:"seconds"`
	PerSecond   float64          `json:"per_second"`
	P50ms       float64          `json:"p50_ms"`
	P90ms       float64          `json:"p90_ms"`
	P99ms       float64          `json:"p99_ms"`
	MaxMs       float64          `json:"max_ms"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	connect, serverName, mode string
	tls12, tls13              bool
	conc                      int
	dur                       time.Duration
	n                         int64
	timeout                   time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := flag.NewFlagSet("tlsload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.connect, "connect", "127.0.0.1:443", "`host:port`")
	fs.StringVar(&o.serverName, "servername", "", "SNI `name`")
	fs.StringVar(&o.mode, "mode", "new", "`new` (full handshakes) or reuse (offer one session)")
	fs.BoolVar(&o.tls12, "tls1_2", false, "only TLSv1.2")
	fs.BoolVar(&o.tls13, "tls1_3", false, "only TLSv1.3")
	fs.IntVar(&o.conc, "c", 1, "concurrent connection loops")
	fs.DurationVar(&o.dur, "t", 5*time.Second, "run time limit")
	fs.Int64Var(&o.n, "n", 0, "connection limit (0: none)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-connection time limit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(stderr, "tlsload:", err)
		return 2
	}
	res, err := load(o)
	if err != nil {
		fmt.Fprintln(stderr, "tlsload:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.Encode(res)
	return 0
}

func (o *options) check() error {
	switch {
	case o.tls12 && o.tls13:
		return errors.New("-tls1_2 and -tls1_3 exclude each other")
	case o.mode != "new" && o.mode != "reuse":
		return fmt.Errorf("-mode %q: want new or reuse", o.mode)
	case o.conc < 1 || o.conc > 20000:
		return errors.New("-c must be in 1..20000")
	case o.dur <= 0 || o.dur > 10*time.Minute:
		return errors.New("-t must be in (0, 10m]")
	case o.n < 0:
		return errors.New("-n must not be negative")
	}
	return nil
}

// fixedCache offers one session forever and ignores later ones; with no
// session it offers nothing (but the client still advertises tickets).
type fixedCache struct {
	mu     sync.Mutex
	cs     *tls.ClientSessionState
	frozen bool
	got    chan struct{}
}

func (c *fixedCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cs, c.cs != nil
}

func (c *fixedCache) Put(_ string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen || cs == nil {
		return
	}
	c.cs = cs
	if c.got != nil {
		close(c.got)
		c.got = nil
	}
}

func (o *options) config(cache tls.ClientSessionCache) *tls.Config {
	cfg := &tls.Config{
		ServerName:         o.serverName,
		InsecureSkipVerify: true,
		ClientSessionCache: cache,
		// X25519 for the key exchange; P-256 too, as in TLS 1.2 the list
		// also bounds the ECDSA certificate's curve.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
		MinVersion:       tls.VersionTLS12,
		MaxVersion:       tls.VersionTLS13,
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost" // the cache needs a key; IPs are not sent as SNI anyway
	}
	if o.tls12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	if o.tls13 {
		cfg.MinVersion = tls.VersionTLS13
	}
	return cfg
}

// prime does one full handshake and waits for a session to be stored.
func prime(o *options, cfg *tls.Config, cache *fixedCache) error {
	cache.mu.Lock()
	got := make(chan struct{})
	cache.got = got
	cache.mu.Unlock()
	raw, err := net.DialTimeout("tcp", o.connect, o.timeout)
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(o.timeout))
	conn := tls.Client(raw, cfg)
	if err := conn.Handshake(); err != nil {
		return err
	}
	if conn.ConnectionState().Version == tls.VersionTLS13 {
		// The ticket comes after the handshake: read until it is stored.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		done := make(chan struct{})
		go func() {
			defer close(done)
			var b [1]byte
			conn.Read(b[:])
		}()
		select {
		case <-got:
			conn.SetReadDeadline(time.Now())
		case <-done:
		}
		<-done
	}
	conn.Close()
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.frozen = true
	if cache.cs == nil {
		return errors.New("the server issued no session to reuse")
	}
	return nil
}

func load(o *options) (*Result, error) {
	cache := &fixedCache{}
	cfg := o.config(cache)
	if o.mode == "reuse" {
		if err := prime(o, cfg, cache); err != nil {
			return nil, fmt.Errorf("priming the session: %w", err)
		}
	} else {
		cache.frozen = true // never store: every handshake is full
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.dur)
	defer cancel()
	end, _ := ctx.Deadline()
	// The deadline passes before ctx.Err is set (a timer goroutine sets it),
	// while dials already fail at once: test the clock, not ctx.Err.
	over := func() bool { return !time.Now().Before(end) }
	var (
		issued     atomic.Int64
		conns      atomic.Int64
		resumed    atomic.Int64
		errs       atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		errorKinds = map[string]int64{}
		wg         sync.WaitGroup
		startGate  = make(chan struct{})
	)
	for range o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			defer func() {
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
			<-startGate
			for !over() {
				if o.n > 0 && issued.Add(1) > o.n {
					return
				}
				t0 := time.Now()
				didResume, err := handshake(ctx, o, cfg)
				if err != nil {
					if over() {
						return // cut off by the run's end, not a failure
					}
					errs.Add(1)
					mu.Lock()
					errorKinds[kind(err)]++
					mu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
				conns.Add(1)
				if didResume {
					resumed.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	close(startGate)
	wg.Wait()
	elapsed := time.Since(start)

	res := &Result{
		Connections: conns.Load(),
		Resumed:     resumed.Load(),
		Errors:      errs.Load(),
		Seconds:     elapsed.Seconds(),
	}
	if len(errorKinds) > 0 {
		res.ErrorKinds = errorKinds
	}
	res.PerSecond = float64(res.Connections) / res.Seconds
	slices.Sort(lat)
	res.P50ms = ms(pct(lat, 50))
	res.P90ms = ms(pct(lat, 90))
	res.P99ms = ms(pct(lat, 99))
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	return res, nil
}

func handshake(ctx context.Context, o *options, cfg *tls.Config) (bool, error) {
	hctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	d := net.Dialer{}
	raw, err := d.DialContext(hctx, "tcp", o.connect)
	if err != nil {
		return false, err
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return false, err
	}
	did := conn.ConnectionState().DidResume
	conn.Close()
	return did, nil
}

// kind keeps the stable part of an error for counting: the operation and the
// cause, without addresses and ports.
func kind(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		if op.Err != nil {
			return op.Op + ": " + op.Err.Error()
		}
		return op.Op
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return sorted[i-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
