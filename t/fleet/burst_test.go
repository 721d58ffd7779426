package fleet

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fleet under a burst and an outage (issue 17), with redis and again
// with memcached, two goresty processes on conf/fleet.conf (2 workers each):
//
//   - FLEET_BURST (500 in t/run; 2000 in the full run, bench/README.md)
//     clients open their first connection at once, half
//     on each server: ≥ 99% of the new sessions are stored; then all of
//     them at once on the other server: ≥ 95% resume.
//   - clients loop over both servers while the store is killed for
//     FLEET_OUTAGE seconds (10) and started again, empty: no handshake
//     fails, each server logs ≤ 10 lines a second at [warn] and above,
//     ≥ 95% of the handshakes from 2 s after its return on resume; the
//     queue and drop counters of ssl_session_metrics move (two new servers
//     whose queues hold 64 sessions per worker, so that the outage
//     overflows them).
//
// It measures shares of a burst, so it needs the machine to itself: it runs
// only when FLEET_BURST is set (t/run runs it with 500 after every other
// test); bench/README.md ("Fleet") gives the full run.
func TestFleetBurstAndOutage(t *testing.T) {
	if os.Getenv("FLEET_BURST") == "" || testing.Short() {
		t.Skip("needs the machine to itself: FLEET_BURST=500 go test -count=1 -run TestFleetBurstAndOutage ./t/fleet/ (t/run runs it last)")
	}
	burst := envInt(t, "FLEET_BURST", 500)
	outage := time.Duration(envInt(t, "FLEET_OUTAGE", 10)) * time.Second
	for _, st := range []storeKind{redisKind{}, memcachedKind{}} {
		t.Run(st.name(), func(t *testing.T) {
			port := freePort(t)
			stop := st.start(t, port)
			var extra [][2]string
			if st.name() == "memcached" {
				extra = append(extra, [2]string{`backend = "redis",`, `backend = "memcached",`})
			}
			a, b := startInstance(t, port, extra...), startInstance(t, port, extra...)
			hosts := []*instance{a, b}
			t0 := time.Now()
			defer func() {
				if t.Failed() {
					for _, h := range hosts {
						t.Logf("server %d, [warn] and above:\n%s", h.port, tail(warnings(h.errorLog()), 200))
					}
				}
			}()

			// the burst: new sessions, then resumed on the other server
			clients := newClients(t, burst, tls.VersionTLS12)
			res := burstOnce(clients, func(i int) *instance { return hosts[i%2] })
			t.Logf("burst of %d new connections (at %v): %v", burst, time.Since(t0).Round(time.Millisecond), res)
			if res.failed > 0 {
				t.Fatalf("burst of %d new connections: %d failed (%v)", burst, res.failed, res.firstErr)
			}
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if metric(t, a, "goresty_ssl_session_store_queue_length") == 0 &&
					metric(t, b, "goresty_ssl_session_store_queue_length") == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the queues were not written within a minute")
				}
			}
			t.Logf("queues written at %v", time.Since(t0).Round(time.Millisecond))
			stored := st.count(t, port)
			t.Logf("burst of %d new sessions: %d stored (%.1f%%), dropped %v+%v", burst, stored,
				100*float64(stored)/float64(burst),
				metric(t, a, "goresty_ssl_session_store_dropped_total"), metric(t, b, "goresty_ssl_session_store_dropped_total"))
			if float64(stored) < 0.99*float64(burst) {
				t.Errorf("only %d of %d new sessions stored", stored, burst)
			}
			res = burstOnce(clients, func(i int) *instance { return hosts[(i+1)%2] })
			t.Logf("burst of %d offered sessions on the other server: %d resumed (%.1f%%), %d failed; %v",
				burst, res.resumed, 100*float64(res.resumed)/float64(burst), res.failed, res)
			if res.failed > 0 {
				t.Fatalf("burst of %d resuming connections: %d failed (%v)", burst, res.failed, res.firstErr)
			}
			for _, h := range hosts {
				var f []string
				for _, r := range []string{"hit", "miss", "error", "skipped"} {
					f = append(f, fmt.Sprintf("%s %v", r, metric(t, h, `goresty_ssl_session_store_fetches_total{result="`+r+`"}`)))
				}
				t.Logf("server %d fetches: %s", h.port, strings.Join(f, ", "))
			}
			if float64(res.resumed) < 0.95*float64(burst) {
				t.Errorf("only %d of %d offered sessions resumed\n%s", res.resumed, burst, tail(warnings(a.errorLog()), 20))
			}

			t.Logf("the two bursts took %v", time.Since(t0).Round(time.Millisecond))

			// the outage, on two new servers whose queues hold 64 sessions
			// per worker, so that it overflows them
			a.stop()
			b.stop()
			extra = append(extra, [2]string{"queue_size = 4096,", "queue_size = 64,"})
			a, b = startInstance(t, port, extra...), startInstance(t, port, extra...)
			hosts = []*instance{a, b}
			dropped0 := metric(t, a, "goresty_ssl_session_store_dropped_total") + metric(t, b, "goresty_ssl_session_store_dropped_total")
			lg := newLoadGen(t, hosts, 16)
			time.Sleep(2 * time.Second) // load before the kill: what the loop measures
			stop()
			killed := time.Now()
			queued := 0.0
			for time.Since(killed) < outage {
				for _, h := range hosts {
					queued = max(queued, metric(t, h, "goresty_ssl_session_store_queue_length"))
				}
				time.Sleep(200 * time.Millisecond)
			}
			stop = st.start(t, port)
			back := time.Now()
			time.Sleep(5 * time.Second)
			ev := lg.stop()
			stop()
			dropped := metric(t, a, "goresty_ssl_session_store_dropped_total") + metric(t, b, "goresty_ssl_session_store_dropped_total") - dropped0

			var failed, during, duringResumed, after, afterResumed, settle, settleResumed int
			for _, e := range ev {
				switch {
				case e.err != nil:
					failed++
					if failed == 1 {
						t.Errorf("handshake failed at %v after the kill: %v", e.at.Sub(killed).Round(time.Millisecond), e.err)
					}
				case e.at.After(back) && e.at.Before(back.Add(2*time.Second)):
					settle++
					if e.resumed {
						settleResumed++
					}
				case e.at.After(back.Add(2 * time.Second)):
					after++
					if e.resumed {
						afterResumed++
					}
				case e.at.After(killed):
					during++
					if e.resumed {
						duringResumed++
					}
				}
			}
			t.Logf("outage of %v: %d handshakes, %d failed; during: %d (%d resumed); first 2 s back: %d (%.1f%% resumed); after: %d (%.1f%% resumed); queue peak %v, %v dropped",
				outage, len(ev), failed, during, duringResumed, settle, pct(settleResumed, settle), after, pct(afterResumed, after), queued, dropped)
			if failed > 0 {
				t.Errorf("%d handshakes failed", failed)
			}
			if after == 0 || float64(afterResumed) < 0.95*float64(after) {
				t.Errorf("from 2 s after the store's return: %d of %d resumed", afterResumed, after)
			}
			if queued == 0 || dropped == 0 {
				t.Errorf("the metrics did not move: queue peak %v, dropped %v", queued, dropped)
			}
			for _, h := range hosts {
				peak, at := logPeak(h.errorLog())
				t.Logf("server %d: at most %d lines at [warn] and above in one second (%s)", h.port, peak, at)
				if peak > 10 {
					t.Errorf("server %d logged %d lines in the second %s:\n%s", h.port, peak, at, tail(h.errorLog(), 40))
				}
			}
		})
	}
}

// newClients makes n clients with session caches of their own (newClient
// reads the CA through `go env`: once is enough).
func newClients(t *testing.T, n int, version uint16) []*client {
	proto := newClient(t, version)
	cs := make([]*client, n)
	for i := range cs {
		cfg := proto.cfg.Clone()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		cs[i] = &client{cfg: cfg}
	}
	return cs
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("bad %s %q", name, s)
	}
	return n
}

// storeKind is redis or memcached, started on a port and stopped (killed).
type storeKind interface {
	name() string
	start(t *testing.T, port int) (stop func())
	count(t *testing.T, port int) int // sessions stored
}

type redisKind struct{}

func (redisKind) name() string { return "redis" }
func (redisKind) start(t *testing.T, port int) func() {
	r := startRedis(t, port)
	return r.kill
}
func (redisKind) count(t *testing.T, port int) int { return redisDBSize(t, port) }

type memcachedKind struct{}

func (memcachedKind) name() string { return "memcached" }
func (memcachedKind) start(t *testing.T, port int) func() {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("memcached not installed (apt-get install -y memcached)")
	}
	cmd := exec.Command(bin, "-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-u", "root", "-c", "4096")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	waitPort(t, port, "memcached")
	return stop
}
func (memcachedKind) count(t *testing.T, port int) int {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "stats\r\n")
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "STAT curr_items "); ok {
			v, _ := strconv.Atoi(strings.TrimSpace(n))
			return v
		}
		if sc.Text() == "END" {
			break
		}
	}
	t.Fatal("memcached stats: no curr_items")
	return 0
}

type burstResult struct {
	resumed, failed int
	firstErr        error
	took            []time.Duration // sorted
}

func (r burstResult) String() string {
	if len(r.took) == 0 {
		return "none"
	}
	q := func(p float64) time.Duration { return r.took[int(p*float64(len(r.took)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("connection + request: median %v, p90 %v, max %v", q(0.5), q(0.9), q(1))
}

// burstOnce has every client connect at the same moment, client i to
// host(i), and make one request.
func burstOnce(clients []*client, host func(i int) *instance) burstResult {
	var (
		mu  sync.Mutex
		r   burstResult
		wg  sync.WaitGroup
		go_ = make(chan struct{})
	)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go_
			start := time.Now()
			resumed, err := c.try(host(i).tlsPort())
			mu.Lock()
			defer mu.Unlock()
			r.took = append(r.took, time.Since(start))
			if err != nil {
				r.failed++
				if r.firstErr == nil {
					r.firstErr = err
				}
				return
			}
			if resumed {
				r.resumed++
			}
		}()
	}
	close(go_)
	wg.Wait()
	sort.Slice(r.took, func(i, j int) bool { return r.took[i] < r.took[j] })
	return r
}

// try is get without testing.T: one handshake and request, or the error.
func (c *client) try(port int) (bool, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp",
		"127.0.0.1:"+strconv.Itoa(port), c.cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	body, err := io.ReadAll(conn)
	if err != nil {
		return false, err
	}
	if !strings.Contains(string(body), "hello from goresty") {
		return false, fmt.Errorf("answer %q", body)
	}
	return conn.ConnectionState().DidResume, nil
}

type loadEvent struct {
	at      time.Time
	resumed bool
	err     error
}

// loadGen runs n clients (half TLS 1.2, half 1.3), each connecting to the
// servers in turn, one connection after the other, until stop.
type loadGen struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	ev   []loadEvent
}

func newLoadGen(t *testing.T, hosts []*instance, n int) *loadGen {
	g := &loadGen{done: make(chan struct{})}
	v12, v13 := newClients(t, n/2+1, tls.VersionTLS12), newClients(t, n/2+1, tls.VersionTLS13)
	for i := 0; i < n; i++ {
		c := v12[i/2]
		if i%2 == 1 {
			c = v13[i/2]
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for k := i; ; k++ {
				select {
				case <-g.done:
					return
				default:
				}
				at := time.Now()
				resumed, err := c.try(hosts[k%len(hosts)].tlsPort())
				g.mu.Lock()
				g.ev = append(g.ev, loadEvent{at, resumed, err})
				g.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return g
}

func (g *loadGen) stop() []loadEvent {
	close(g.done)
	g.wg.Wait()
	sort.Slice(g.ev, func(i, j int) bool { return g.ev[i].at.Before(g.ev[j].at) })
	return g.ev
}

var (
	metricsMu     sync.Mutex
	metricsClient *client
)

// metric reads one value from the server's /session-metrics (0 if absent).
func metric(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	metricsMu.Lock()
	if metricsClient == nil {
		metricsClient = newClient(t, tls.VersionTLS13)
	}
	c := metricsClient
	metricsMu.Unlock()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp",
		"127.0.0.1:"+strconv.Itoa(in.tlsPort()), c.cfg)
	if err != nil {
		t.Fatalf("metrics of %d: %v", in.port, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /session-metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	body, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("metrics of %d: %v", in.port, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

var logLevelRe = regexp.MustCompile(`^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(warn|error|crit|alert|emerg)\]`)

// logPeak is the most lines at [warn] and above logged in one second, and
// that second.
func logPeak(log string) (int, string) {
	per := map[string]int{}
	peak, at := 0, ""
	for _, line := range strings.Split(log, "\n") {
		m := logLevelRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		per[m[1]]++
		if per[m[1]] > peak {
			peak, at = per[m[1]], m[1]
		}
	}
	return peak, at
}

func warnings(log string) string {
	var b strings.Builder
	for _, line := range strings.Split(log, "\n") {
		if logLevelRe.MatchString(line) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
