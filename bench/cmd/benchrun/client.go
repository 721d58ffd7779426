package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cell is one kind of handshake measured.
type cell struct {
	Proto string // "1.2" or "1.3"
	Mode  string // "full" or "resumed"
}

func (c cell) String() string { return "TLS " + c.Proto + " " + c.Mode }

var allCells = []cell{{"1.2", "full"}, {"1.2", "resumed"}, {"1.3", "full"}, {"1.3", "resumed"}}

// clientRun is what one load-client run reports.
type clientRun struct {
	Conns   int64
	Resumed int64 // -1: unknown
	Errors  int64
	Wall    time.Duration
	Detail  *loadResult // tlsload only
}

// loadResult mirrors tlsload's JSON.
type loadResult struct {
	Connections int64            `json:"connections"`
	Resumed     int64            `json:"resumed"`
	Errors      int64            `json:"errors"`
	ErrorKinds  map[string]int64 `json:"error_kinds"`
	Seconds     float64          `json:"seconds"`
	PerSecond   float64          `json:"per_second"`
	P50ms       float64          `json:"p50_ms"`
	P90ms       float64          `json:"p90_ms"`
	P99ms       float64          `json:"p99_ms"`
	MaxMs       float64          `json:"max_ms"`
}

var sTimeConns = regexp.MustCompile(`(\d+) connections in [0-9.]+s;`)

// runClient measures one cell for secs seconds: openssl s_time for TLS 1.2
// (-new / -reuse, session ids or tickets, whatever the server resumes with),
// tlsload for TLS 1.3 (which reads the post-handshake ticket).
func (b *bench) runClient(port int, c cell, secs int) (*clientRun, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if c.Proto == "1.2" {
		mode := "-new"
		if c.Mode == "resumed" {
			mode = "-reuse"
		}
		out, wall, err := b.command(time.Duration(secs+30)*time.Second, b.openssl, "s_time", "-connect", addr, "-tls1_2", mode, "-time", strconv.Itoa(secs))
		if err != nil {
			return nil, err
		}
		m := sTimeConns.FindStringSubmatch(out)
		if m == nil {
			return nil, fmt.Errorf("s_time: no connection count in %q", tail(out, 300))
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r := &clientRun{Conns: n, Wall: wall, Resumed: 0}
		if c.Mode == "resumed" {
			// s_time prints "r" per reused connection, "*" per new one,
			// after "starting".
			if i := strings.Index(out, "starting"); i >= 0 {
				out = out[i:]
			}
			r.Resumed = countReused(out)
		}
		return r, nil
	}
	mode := "new"
	if c.Mode == "resumed" {
		mode = "reuse"
	}
	lr, wall, err := b.tlsload(time.Duration(secs+30)*time.Second, "-connect", addr, "-tls1_3", "-mode", mode, "-c", "1", "-t", fmt.Sprintf("%ds", secs))
	if err != nil {
		return nil, err
	}
	return &clientRun{Conns: lr.Connections, Resumed: lr.Resumed, Errors: lr.Errors, Wall: wall, Detail: lr}, nil
}

// countReused counts s_time's per-connection "r" marks: the run of r and *
// characters on the lines after "starting".
func countReused(out string) int64 {
	var n int64
	for _, line := range strings.Split(out, "\n") {
		if strings.Trim(line, "r*") == "" {
			n += int64(strings.Count(line, "r"))
		}
	}
	return n
}

func (b *bench) tlsload(limit time.Duration, args ...string) (*loadResult, time.Duration, error) {
	out, wall, err := b.command(limit, b.tlsloadBin, args...)
	if err != nil {
		return nil, wall, err
	}
	var lr loadResult
	if err := json.Unmarshal([]byte(out), &lr); err != nil {
		return nil, wall, fmt.Errorf("tlsload output %q: %v", tail(out, 300), err)
	}
	return &lr, wall, nil
}

// command runs a client with a hard time limit and returns its stdout.
func (b *bench) command(limit time.Duration, name string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return string(out), wall, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, tail(stderr.String(), 300))
	}
	return string(out), wall, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
