package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The keep-alive rows: what a TLS front end pays per request once the
// handshake is done, and per connection a client keeps open between
// requests. Both servers run the "requests" variant (the hooks, http2 on the
// listen, a static file and a content_by_lua location), ECDSA, 1 worker.

const requestsBlock = "keep-alive requests"

// reqCell is one kind of request measured: HTTP/1.1 through wrk or HTTP/2
// through h2load, to the static file or the Lua location.
type reqCell struct {
	H2   bool
	Path string // "/static.txt" or "/lua"
}

func (c reqCell) String() string {
	p, what := "HTTP/1.1", "static file"
	if c.H2 {
		p = "HTTP/2"
	}
	if c.Path == "/lua" {
		what = "content_by_lua ngx.say"
	}
	return p + " " + what
}

var reqCells = []reqCell{{false, "/static.txt"}, {false, "/lua"}, {true, "/static.txt"}, {true, "/lua"}}

// reqConns is the clients' concurrency: connections (HTTP/1.1) or
// connections with one stream at a time each (HTTP/2).
const reqConns = 32

var (
	wrkRequests  = regexp.MustCompile(`(\d+) requests in [0-9.]+\w+,`)
	wrkNon2xx    = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSockErrs  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	h2Requests   = regexp.MustCompile(`requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2Status2xx  = regexp.MustCompile(`status codes: (\d+) 2xx`)
	h2Negotiated = regexp.MustCompile(`Application protocol: (\S+)`)
)

// runRequestClient runs wrk or h2load on one cell for secs seconds; it
// returns the requests answered 2xx and the failures.
func (b *bench) runRequestClient(port int, c reqCell, secs int) (*clientRun, error) {
	url := fmt.Sprintf("https://127.0.0.1:%d%s", port, c.Path)
	limit := time.Duration(secs+30) * time.Second
	if !c.H2 {
		out, wall, err := b.command(limit, "wrk", "-t1", "-c"+strconv.Itoa(reqConns), "-d"+strconv.Itoa(secs)+"s", url)
		if err != nil {
			return nil, err
		}
		return parseWrk(out, wall)
	}
	out, wall, err := b.command(limit, "h2load", "-c"+strconv.Itoa(reqConns), "-m1", "-D"+strconv.Itoa(secs), url)
	if err != nil {
		return nil, err
	}
	return parseH2load(out, wall)
}

func parseWrk(out string, wall time.Duration) (*clientRun, error) {
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("wrk: no request count in %q", tail(out, 300))
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	r := &clientRun{Conns: n, Wall: wall, Resumed: -1}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		bad, _ := strconv.ParseInt(m[1], 10, 64)
		r.Conns -= bad
		r.Errors += bad
	}
	if m := wrkSockErrs.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			e, _ := strconv.ParseInt(s, 10, 64)
			r.Errors += e
		}
	}
	return r, nil
}

func parseH2load(out string, wall time.Duration) (*clientRun, error) {
	m := h2Requests.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("h2load: no request count in %q", tail(out, 300))
	}
	if p := h2Negotiated.FindStringSubmatch(out); p == nil || p[1] != "h2" {
		return nil, fmt.Errorf("h2load: HTTP/2 not negotiated: %q", tail(out, 300))
	}
	ok, _ := strconv.ParseInt(m[1], 10, 64)
	r := &clientRun{Wall: wall, Resumed: -1}
	for _, s := range m[2:] {
		e, _ := strconv.ParseInt(s, 10, 64)
		r.Errors += e
	}
	r.Conns = ok
	if s := h2Status2xx.FindStringSubmatch(out); s != nil {
		n, _ := strconv.ParseInt(s[1], 10, 64)
		r.Errors += max(0, ok-n)
		r.Conns = n
	}
	return r, nil
}

// runRequests measures server CPU per keep-alive request, interleaved.
func (b *bench) runRequests() {
	for _, tool := range []string{"wrk", "h2load"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.problem("%s: %v (Debian packages wrk, nghttp2-client): no keep-alive request rows", requestsBlock, err)
			return
		}
	}
	ins := b.startInstances(requestsBlock, "ecdsa", 1, []variant{nginxReq, gorestyReq}, "64m")
	defer b.stopInstances(requestsBlock, ins)
	for _, in := range ins {
		for _, c := range reqCells { // warm-up: code caches, the first requests' allocations
			if _, err := b.runRequestClient(in.Params.Port, c, 1); err != nil {
				b.problem("%s / %s: warm-up %s: %v", requestsBlock, in.Label, c, err)
			}
		}
	}
	for r := 1; r <= b.rounds; r++ {
		for _, c := range reqCells {
			for _, in := range inTurn(ins, r) {
				before, err := cpuTicks(in.pids())
				if err != nil {
					b.problem("%s / %s: %v", requestsBlock, in.Label, err)
					continue
				}
				cr, err := b.runRequestClient(in.Params.Port, c, b.secs)
				if err == nil && cr.Conns == 0 {
					err = errors.New("no request answered")
				}
				if err != nil {
					b.problem("%s / %s / %s round %d: %v", requestsBlock, in.Label, c, r, err)
					continue
				}
				used, err := cpuSince(before)
				if err != nil {
					b.problem("%s / %s: %v", requestsBlock, in.Label, err)
					continue
				}
				s := sample{Block: requestsBlock, Instance: in.Label, Cell: c.String(), Round: r, CPUus: used / float64(cr.Conns),
					PerSec: float64(cr.Conns) / cr.Wall.Seconds(), Conns: cr.Conns, Resumed: -1, Errors: cr.Errors}
				b.samples = append(b.samples, s)
				b.logf("%s | %-9s | %-30s | round %d: %6.1f µs/req %7.0f req/s (%d requests, %d errors)",
					requestsBlock, in.Label, c, r, s.CPUus, s.PerSec, s.Conns, s.Errors)
			}
		}
	}
}

// idleCell is one kind of held connection.
type idleCell struct {
	Proto string // "1.2", "1.3"
	H2    bool
}

func (c idleCell) String() string {
	if c.H2 {
		return "TLS " + c.Proto + " HTTP/2"
	}
	return "TLS " + c.Proto + " HTTP/1.1"
}

var idleCells = []idleCell{{"1.2", false}, {"1.3", false}, {"1.2", true}, {"1.3", true}}

type idleResult struct {
	Instance    string  `json:"instance"`
	Cell        string  `json:"cell"`
	Round       int     `json:"round"`
	Held        int64   `json:"held"`
	Errors      int64   `json:"errors"`
	RssBeforeKB int64   `json:"rss_before_kb"`
	RssHeldKB   int64   `json:"rss_held_kb"`
	BytesPer    float64 `json:"rss_bytes_per_conn"`
	OpenSeconds float64 `json:"open_seconds"`
}

// holdResult mirrors idlehold's JSON.
type holdResult struct {
	Held    int64            `json:"held"`
	Errors  int64            `json:"errors"`
	Kinds   map[string]int64 `json:"error_kinds"`
	Seconds float64          `json:"seconds"`
	Proto   string           `json:"proto"`
}

// idleSettle is how long the held connections stay idle before the
// server's memory is read.
const idleSettle = 5 * time.Second

// runIdle measures RSS per idle keep-alive connection: a fresh server per
// measurement (what an earlier measurement freed stays in a Go process's
// RSS for a while), its RSS after the warm-up, idlehold opening idleN
// connections with one request each, the RSS once they have been idle for
// idleSettle.
func (b *bench) runIdle() {
	const block = "idle connections"
	for r := 1; r <= b.idleRounds; r++ {
		for _, c := range idleCells {
			vars := []variant{nginxReq, gorestyReq}
			if r%2 == 0 {
				vars[0], vars[1] = vars[1], vars[0]
			}
			for _, v := range vars {
				ins := b.startInstances(block, "ecdsa", 1, []variant{v}, "64m")
				if len(ins) == 0 {
					continue
				}
				res, err := b.holdIdle(ins[0], c)
				b.stopInstances(block, ins)
				if err != nil {
					b.problem("%s / %s / %s round %d: %v", block, v.Label, c, r, err)
					continue
				}
				res.Round = r
				b.idle = append(b.idle, *res)
				b.logf("%s | %-9s | %-17s | round %d: %d held (%d errors) in %.1fs, RSS %d -> %d kB, %.0f bytes/conn",
					block, v.Label, c, r, res.Held, res.Errors, res.OpenSeconds, res.RssBeforeKB, res.RssHeldKB, res.BytesPer)
			}
		}
	}
	// The per-instance log rows of these short-lived servers say nothing
	// the problems list does not.
	kept := b.logs[:0]
	for _, l := range b.logs {
		if l.Block != block || len(l.Levels) > 0 {
			kept = append(kept, l)
		}
	}
	b.logs = kept
}

func (b *bench) holdIdle(in *instance, c idleCell) (*idleResult, error) {
	time.Sleep(500 * time.Millisecond)
	_, before, err := in.memory()
	if err != nil {
		return nil, err
	}
	args := []string{"-connect", fmt.Sprintf("127.0.0.1:%d", in.Params.Port), "-tls" + strings.ReplaceAll(c.Proto, ".", "_"),
		"-c", strconv.Itoa(b.idleN), "-path", "/lua", "-hold", "5m"}
	if c.H2 {
		args = append(args, "-h2")
	}
	cmd := exec.Command(b.idleholdBin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		io.Copy(io.Discard, stdout)
	}()
	var hr holdResult
	select {
	case s := <-line:
		if err := json.Unmarshal([]byte(s), &hr); err != nil {
			return nil, fmt.Errorf("idlehold output %q: %v: %s", tail(s, 200), err, tail(stderr.String(), 200))
		}
	case <-time.After(3 * time.Minute):
		return nil, errors.New("idlehold did not open its connections within 3 minutes")
	}
	want := "http/1.1"
	if c.H2 {
		want = "h2"
	}
	if hr.Held == 0 || hr.Proto != want {
		return nil, fmt.Errorf("idlehold: %d held, protocol %q, errors %v", hr.Held, hr.Proto, hr.Kinds)
	}
	time.Sleep(idleSettle)
	_, held, err := in.memory()
	if err != nil {
		return nil, err
	}
	if hr.Errors > 0 {
		b.problem("idle connections / %s / %s: %d connections failed: %v", in.Label, c, hr.Errors, hr.Kinds)
	}
	return &idleResult{Instance: in.Label, Cell: c.String(), Held: hr.Held, Errors: hr.Errors, RssBeforeKB: before, RssHeldKB: held,
		BytesPer: float64(held-before) * 1024 / float64(hr.Held), OpenSeconds: hr.Seconds}, nil
}

func (b *bench) writeRequests(p printer) {
	p("## Keep-alive requests (%s, TLS 1.3)\n\n", blockName("ecdsa", 1))
	p("Server CPU per request once the connection is open: `wrk -t1 -c%d` (HTTP/1.1) and `h2load -c%d -m1`\n", reqConns, reqConns)
	p("(HTTP/2, one stream at a time per connection), %d s per run, to a static file (`root`, \"ok\\n\") and to\n", b.secs)
	p("`content_by_lua_block { ngx.say(\"ok\") }`; both servers in the same interleaved rounds; µs = server CPU\n")
	p("microseconds per request answered 2xx, the %d connections' handshakes included (lower is better).\n\n", reqConns)
	p("| Request | nginx+lua µs | goresty µs | goresty/nginx | nginx+lua req/s | goresty req/s | errors (nginx / goresty) |\n")
	p("|---|---|---|---|---|---|---|\n")
	for _, c := range reqCells {
		ng, gr := b.find(requestsBlock, nginxReq.Label, c.String()), b.find(requestsBlock, gorestyReq.Label, c.String())
		if len(ng) == 0 && len(gr) == 0 {
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %d / %d |\n", c, cpuStat1(ng), cpuStat1(gr), ratio(cpuStat(gr), cpuStat(ng)),
			rateStat(ng), rateStat(gr), errSum(ng), errSum(gr))
	}
	p("\n")
}

func (b *bench) writeIdle(p printer) {
	p("## Idle keep-alive connections (%s)\n\n", blockName("ecdsa", 1))
	p("`bench/cmd/idlehold -c %d`: %d TLS connections (32 opened at a time), one GET /lua each (HTTP/1.1, or\n", b.idleN, b.idleN)
	p("HTTP/2 on stream 1), all kept open; the server's RSS (all its processes, /proc/PID/smaps_rollup) after the\n")
	p("warm-up and once the connections have been idle for %s; bytes per connection = the difference / held\n", idleSettle)
	p("connections. A fresh server per measurement, the two servers in turn, %s (lower is better).\n\n", plural(b.idleRounds, "round"))
	p("| Connection | nginx+lua bytes/conn | goresty bytes/conn | goresty/nginx | nginx+lua RSS held | goresty RSS held |\n")
	p("|---|---|---|---|---|---|\n")
	for _, c := range idleCells {
		var per, rss [2][]float64
		for _, r := range b.idle {
			if r.Cell != c.String() {
				continue
			}
			i := 0
			if r.Instance == gorestyReq.Label {
				i = 1
			}
			per[i] = append(per[i], r.BytesPer)
			rss[i] = append(rss[i], float64(r.RssHeldKB)/1024)
		}
		if len(per[0])+len(per[1]) == 0 {
			continue
		}
		p("| %s | %s | %s | %s | %s MB | %s MB |\n", c, summarize(per[0]), summarize(per[1]),
			ratio(summarize(per[1]), summarize(per[0])), fstat(rss[0], 1), fstat(rss[1], 1))
	}
	p("\n")
}

// cpuStat1 shows a per-request CPU figure with one decimal.
func cpuStat1(ss []sample) string {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = s.CPUus
	}
	return fstat(xs, 1)
}

func errSum(ss []sample) int64 {
	var n int64
	for _, s := range ss {
		n += s.Errors
	}
	return n
}
