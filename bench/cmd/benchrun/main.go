// Command benchrun measures goresty and nginx + the Debian Lua module side by
// side on the same configuration (see conf.go) and writes bench/RESULTS.md.
// bench/run.sh installs what it needs, builds the binaries and runs it.
//
// For each certificate (ECDSA P-256, RSA-2048) and worker count (1, 2) both
// servers run at once on their own ports; every round measures each kind of
// handshake on each server in turn (A B A B …, the order alternating between
// rounds). A measurement is one client run of -time seconds: server CPU is
// utime+stime of all the server's processes from /proc/PID/stat before and
// after, divided by the connections the client completed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type bench struct {
	goresty, nginx, openssl, tlsloadBin string
	idleholdBin                         string
	certDir, workDir, repo              string
	rounds, secs                        int
	quick                               bool
	certs                               []string // "ecdsa", "rsa"
	workers                             []int
	doMemory, doConc                    bool
	doRequests, doIdle                  bool
	idleN, idleRounds                   int
	fillN                               int
	concN, concRounds                   int
	skipGoresty                         string // why goresty is not measured, if it is not
	// base is another goresty binary (an older commit) measured in the
	// same rounds as the hooks variant, labelled baseLabel
	base, baseLabel string
	// fleet adds conf/fleet.conf's hooks against a redis-server started on
	// redisPort to the ECDSA 1-worker block (goresty only)
	fleet     bool
	redisPort int

	samples  []sample
	rss      []rssResult
	conc     []concResult
	idle     []idleResult
	problems []string
	logs     []logCount
	started  time.Time
	loadAvg0 string // load average at the start
	nextPort int
	basePort int // -port
}

type sample struct {
	Block    string  `json:"block"`
	Instance string  `json:"instance"`
	Cell     string  `json:"cell"`
	Round    int     `json:"round"`
	CPUus    float64 `json:"cpu_us_per_conn"`
	PerSec   float64 `json:"conn_per_sec"`
	Conns    int64   `json:"connections"`
	Resumed  int64   `json:"resumed"`
	Errors   int64   `json:"errors"`
}

type rssResult struct {
	Instance            string  `json:"instance"`
	Sessions            int64   `json:"sessions_stored"`
	Forcible            int64   `json:"evictions"`
	PssBeforeKB         int64   `json:"pss_before_kb"`
	PssAfterKB          int64   `json:"pss_after_kb"`
	RssAfterKB          int64   `json:"rss_after_kb"`
	FillSeconds         float64 `json:"fill_seconds"`
	Requested           int     `json:"requested"`
	BytesPerSessionPss  float64 `json:"bytes_per_session"`
	ServerCPUsecondsFil float64 `json:"fill_cpu_seconds"`
}

type concResult struct {
	Instance string     `json:"instance"`
	Proto    string     `json:"proto"`
	Round    int        `json:"round"`
	Result   loadResult `json:"result"`
	CPUus    float64    `json:"cpu_us_per_conn"`
}

type logCount struct {
	Block, Instance string
	Levels          map[string]int
	Sample          []string
	DictKeys        string // keys in the lua_shared_dict at the end, or why unknown
}

func main() {
	b := &bench{started: time.Now(), loadAvg0: loadAvg()}
	var out, jsonOut string
	flag.StringVar(&b.goresty, "goresty", "./goresty", "goresty binary (\"\" or missing: nginx only)")
	flag.StringVar(&b.nginx, "nginx", "/usr/sbin/nginx", "nginx binary")
	flag.StringVar(&b.openssl, "openssl", "openssl", "openssl binary (s_time)")
	flag.StringVar(&b.tlsloadBin, "tlsload", "./tlsload", "tlsload binary (bench/cmd/tlsload)")
	flag.StringVar(&b.idleholdBin, "idlehold", "./idlehold", "idlehold binary (bench/cmd/idlehold)")
	flag.StringVar(&b.certDir, "certs", "t/cert", "directory with ecdsa.crt/key and rsa.crt/key")
	flag.StringVar(&b.workDir, "work", "", "directory for server prefixes (default: a new temporary one)")
	flag.StringVar(&b.repo, "repo", ".", "goresty repository (for the commit in the report)")
	flag.IntVar(&b.rounds, "rounds", 5, "interleaved rounds per measurement")
	flag.IntVar(&b.secs, "time", 3, "seconds per client run")
	flag.BoolVar(&b.quick, "quick", false, "smoke run: 1 round of 1 s, ECDSA and 1 worker only, small memory and concurrency tests")
	flag.IntVar(&b.fillN, "sessions", 1000000, "sessions stored for the memory test")
	flag.IntVar(&b.concN, "concurrent", 10000, "simultaneous handshakes for the concurrency test")
	flag.IntVar(&b.concRounds, "conc-rounds", 3, "rounds of the concurrency test")
	certList := flag.String("cert", "ecdsa,rsa", "certificates to measure: `list` of ecdsa, rsa")
	workerList := flag.String("workers", "1,2", "worker counts to measure: `list`")
	flag.BoolVar(&b.doMemory, "memory", true, "run the shared-dict memory test")
	flag.BoolVar(&b.doConc, "conc", true, "run the concurrent-handshakes test")
	flag.BoolVar(&b.doRequests, "requests", true, "measure keep-alive requests (wrk, h2load)")
	flag.BoolVar(&b.doIdle, "idle", true, "measure memory per idle keep-alive connection (idlehold)")
	flag.IntVar(&b.idleN, "idle-conns", 5000, "connections held open by the idle-connection test")
	flag.IntVar(&b.idleRounds, "idle-rounds", 3, "rounds of the idle-connection test")
	handshakes := flag.Bool("handshakes", true, "measure the handshake blocks (-cert, -workers)")
	flag.StringVar(&b.skipGoresty, "skip-goresty", "", "measure nginx only, giving this `reason` in the report")
	flag.StringVar(&b.base, "goresty-base", "", "another goresty `binary` (e.g. an older commit) measured with the hooks in the same rounds")
	flag.StringVar(&b.baseLabel, "base-label", "goresty base", "the -goresty-base binary's name in the report")
	flag.IntVar(&b.basePort, "port", 21000, "first `port` the servers listen on (runs at the same time on one machine need ranges of their own)")
	flag.BoolVar(&b.fleet, "fleet", true, "add conf/fleet.conf's hooks into redis (redis-server started here) to the ECDSA 1-worker block")
	flag.StringVar(&out, "out", "bench/RESULTS.md", "report file (text after the notes marker is kept)")
	flag.StringVar(&jsonOut, "json", "bench/results.json", "raw samples (\"\": none)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if b.quick {
		// Smoke-run sizes, unless given explicitly.
		if !set["cert"] {
			*certList = "ecdsa"
		}
		if !set["workers"] {
			*workerList = "1"
		}
		for name, v := range map[string]*int{"rounds": &b.rounds, "time": &b.secs, "sessions": &b.fillN, "concurrent": &b.concN, "conc-rounds": &b.concRounds,
			"idle-conns": &b.idleN, "idle-rounds": &b.idleRounds} {
			if !set[name] {
				*v = map[string]int{"rounds": 1, "time": 1, "sessions": 20000, "concurrent": 300, "conc-rounds": 1, "idle-conns": 300, "idle-rounds": 1}[name]
			}
		}
	}
	if !*handshakes {
		*certList, *workerList = "", ""
	}
	if err := b.parseLists(*certList, *workerList); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	if err := b.run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	if err := b.writeReport(out); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	if jsonOut != "" {
		data, _ := json.MarshalIndent(map[string]any{"samples": b.samples, "memory": b.rss, "concurrency": b.conc, "idle": b.idle}, "", "  ")
		if err := os.WriteFile(jsonOut, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "benchrun: wrote %s in %s\n", out, time.Since(b.started).Round(time.Second))
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Since(b.started).Round(time.Second), fmt.Sprintf(format, args...))
}

func (b *bench) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.problems = append(b.problems, msg)
	b.logf("PROBLEM: %s", msg)
}

type variant struct {
	Label, Server, Variant string
}

type blockSpec struct {
	Name     string
	Cert     string // "ecdsa" or "rsa"
	Workers  int
	Variants []variant
	Cells    []cell
}

var (
	nginxHooks   = variant{"nginx+lua", "nginx", "hooks"}
	gorestyHooks = variant{"goresty", "goresty", "hooks"}
	nginxCache   = variant{"nginx cache", "nginx", "cache"}
	gorestyCache = variant{"goresty cache", "goresty", "cache"}
	nginxCert    = variant{"nginx+lua cert", "nginx", "cert"}
	gorestyCert  = variant{"goresty cert", "goresty", "cert"}
	nginxReq     = variant{"nginx+lua", "nginx", "requests"}
	gorestyReq   = variant{"goresty", "goresty", "requests"}
	gorestyFleet = variant{"goresty fleet", "goresty", "fleet"}
)

// baseHooks is the -goresty-base binary's hooks variant.
func (b *bench) baseHooks() variant { return variant{b.baseLabel, "goresty", "hooks"} }

func certName(c string) string {
	if c == "rsa" {
		return "RSA-2048"
	}
	return "ECDSA P-256"
}

func blockName(cert string, workers int) string {
	w := "workers"
	if workers == 1 {
		w = "worker"
	}
	return fmt.Sprintf("%s, %d %s", certName(cert), workers, w)
}

func (b *bench) plan() []blockSpec {
	var blocks []blockSpec
	for _, c := range b.certs {
		for _, w := range b.workers {
			bs := blockSpec{Name: blockName(c, w), Cert: c, Workers: w, Cells: allCells,
				Variants: []variant{nginxHooks, gorestyHooks}}
			if b.base != "" {
				bs.Variants = append(bs.Variants, b.baseHooks())
			}
			if c == "ecdsa" && w == 1 {
				// The Lua-hook overhead: the same handshakes through
				// ssl_session_cache, no Lua.
				bs.Variants = append(bs.Variants, nginxCache, gorestyCache)
				// The hooks plus ssl_certificate_by_lua_block serving
				// the certificate from Lua.
				bs.Variants = append(bs.Variants, nginxCert, gorestyCert)
				if b.fleet {
					bs.Variants = append(bs.Variants, gorestyFleet)
				}
			}
			blocks = append(blocks, bs)
		}
	}
	return blocks
}

func (b *bench) parseLists(certs, workers string) error {
	b.certs, b.workers = nil, nil
	if certs == "" && workers == "" {
		return nil // -handshakes=false
	}
	for _, c := range strings.Split(certs, ",") {
		if c != "ecdsa" && c != "rsa" {
			return fmt.Errorf("-cert %q: want ecdsa and/or rsa", certs)
		}
		b.certs = append(b.certs, c)
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 64 {
			return fmt.Errorf("-workers %q: want a list of counts", workers)
		}
		b.workers = append(b.workers, n)
	}
	return nil
}

func (b *bench) run() error {
	bins := []*string{&b.nginx, &b.tlsloadBin}
	if b.doIdle {
		bins = append(bins, &b.idleholdBin)
	}
	for _, bin := range bins {
		p, err := exec.LookPath(*bin)
		if err != nil {
			return err
		}
		*bin, _ = filepath.Abs(p)
	}
	if _, err := exec.LookPath(b.openssl); err != nil {
		return err
	}
	if b.skipGoresty != "" {
		// reason given on the command line
	} else if b.goresty == "" {
		b.skipGoresty = "no goresty binary given"
	} else if p, err := exec.LookPath(b.goresty); err != nil {
		b.skipGoresty = fmt.Sprintf("no goresty binary: %v", err)
	} else {
		b.goresty, _ = filepath.Abs(p)
	}
	if b.base != "" {
		p, err := exec.LookPath(b.base)
		if err != nil {
			return fmt.Errorf("-goresty-base: %v", err)
		}
		b.base, _ = filepath.Abs(p)
	}
	var err error
	if b.certDir, err = filepath.Abs(b.certDir); err != nil {
		return err
	}
	if b.workDir == "" {
		if b.workDir, err = os.MkdirTemp("", "goresty-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(b.workDir)
		// The workers run as nobody when started as root (nginx's default
		// user, goresty too): they read the static file under it.
		if err := os.Chmod(b.workDir, 0o755); err != nil {
			return err
		}
	}
	b.nextPort = b.basePort
	if b.fleet && b.skipGoresty == "" {
		stop, err := b.startRedis()
		if err != nil {
			b.problem("fleet variant left out: %v", err)
			b.fleet = false
		} else {
			defer stop()
		}
	}

	for _, bs := range b.plan() {
		b.runBlock(bs)
	}
	if b.doRequests {
		b.runRequests()
	}
	if b.doIdle {
		b.runIdle()
	}
	if b.doMemory {
		b.runMemory()
	}
	if b.doConc {
		b.runConcurrency()
	}
	return nil
}

// startRedis starts the fleet variant's redis-server (no persistence) on
// the next free port.
func (b *bench) startRedis() (stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	b.redisPort = b.nextPort
	b.nextPort++
	cmd := exec.Command(bin, "--port", strconv.Itoa(b.redisPort), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", b.workDir)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(b.redisPort))
		if err == nil {
			c.Close()
			return stop, nil
		}
		if i == 100 {
			stop()
			return nil, fmt.Errorf("redis-server never listened on %d", b.redisPort)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startInstances creates, checks and starts one instance per variant; a
// variant that cannot run is reported and left out.
func (b *bench) startInstances(block string, cert string, workers int, vars []variant, dict string) []*instance {
	var ins []*instance
	for _, v := range vars {
		bin := b.nginx
		if v.Server == "goresty" {
			if b.skipGoresty != "" {
				continue
			}
			bin = b.goresty
			if b.base != "" && v == b.baseHooks() {
				bin = b.base
			}
		}
		p := confParams{Server: v.Server, Variant: v.Variant, Workers: workers,
			Cert: filepath.Join(b.certDir, cert+".crt"), Key: filepath.Join(b.certDir, cert+".key"),
			Port: b.nextPort, AdminPort: b.nextPort + 1, DictSize: dict, RedisPort: b.redisPort}
		b.nextPort += 2
		in, err := newInstance(strings.ReplaceAll(v.Label, " ", "-"), bin, b.workDir, p)
		if err != nil {
			b.problem("%s / %s: %v", block, v.Label, err)
			continue
		}
		in.Label = v.Label
		if err := in.check(); err != nil {
			b.problem("%s / %s: configuration refused: %v", block, v.Label, err)
			continue
		}
		if err := in.start(); err != nil {
			b.problem("%s / %s: %v", block, v.Label, err)
			continue
		}
		// Warm up (Lua code caches, Go's runtime, the session store).
		for _, proto := range []string{"-tls1_2", "-tls1_3"} {
			if _, _, err := b.tlsload(30*time.Second, "-connect", fmt.Sprintf("127.0.0.1:%d", p.Port), proto, "-mode", "new", "-n", "100", "-t", "10s"); err != nil {
				b.problem("%s / %s: warm-up: %v", block, v.Label, err)
			}
		}
		ins = append(ins, in)
	}
	return ins
}

func (b *bench) stopInstances(block string, ins []*instance) {
	for _, in := range ins {
		keys := "?"
		if block != "memory" && in.alive() {
			if n, err := dictKeys(in.Params.AdminPort); err != nil {
				keys = err.Error()
			} else {
				keys = fmt.Sprint(n)
			}
		}
		in.stop()
		lc := logCount{Block: block, Instance: in.Label, Levels: in.logLevels(), Sample: in.logSample(5), DictKeys: keys}
		b.logs = append(b.logs, lc)
	}
}

func (b *bench) runBlock(bs blockSpec) {
	b.logf("block %s: starting %d servers", bs.Name, len(bs.Variants))
	ins := b.startInstances(bs.Name, bs.Cert, bs.Workers, bs.Variants, "1024m")
	defer b.stopInstances(bs.Name, ins)
	if len(ins) == 0 {
		return
	}
	for r := 1; r <= b.rounds; r++ {
		for _, c := range bs.Cells {
			for _, in := range inTurn(ins, r) {
				s, err := b.measure(in, c)
				if err != nil {
					b.problem("%s / %s / %s round %d: %v", bs.Name, in.Label, c, r, err)
					continue
				}
				s.Block, s.Round = bs.Name, r
				b.samples = append(b.samples, *s)
				b.logf("%s | %-13s | %-15s | round %d: %6.0f µs/conn %7.0f conn/s (%d conns, %d resumed, %d errors)",
					bs.Name, in.Label, c, r, s.CPUus, s.PerSec, s.Conns, s.Resumed, s.Errors)
			}
		}
	}
}

// inTurn is the instances still running, in round r's order: who goes
// first alternates between rounds.
func inTurn(ins []*instance, r int) []*instance {
	out := make([]*instance, 0, len(ins))
	for i := range ins {
		if in := ins[(i+r-1)%len(ins)]; in.alive() {
			out = append(out, in)
		}
	}
	return out
}

func (b *bench) measure(in *instance, c cell) (*sample, error) {
	before, err := cpuTicks(in.pids())
	if err != nil {
		return nil, err
	}
	cr, err := b.runClient(in.Params.Port, c, b.secs)
	if err != nil {
		return nil, err
	}
	used, err := cpuSince(before)
	if err != nil {
		return nil, err
	}
	if cr.Conns == 0 {
		return nil, errors.New("no connection completed")
	}
	return &sample{Instance: in.Label, Cell: c.String(), CPUus: used / float64(cr.Conns),
		PerSec: float64(cr.Conns) / cr.Wall.Seconds(), Conns: cr.Conns, Resumed: cr.Resumed, Errors: cr.Errors}, nil
}

// runMemory fills each server's lua_shared_dict with fake sessions through a
// content_by_lua location and reads the memory of its processes before and
// after.
func (b *bench) runMemory() {
	const block = "memory"
	chunk := 100000
	if b.fillN < chunk {
		chunk = b.fillN
	}
	for _, v := range []variant{nginxHooks, gorestyHooks} {
		ins := b.startInstances(block, "ecdsa", 1, []variant{v}, "1024m")
		if len(ins) == 0 {
			continue
		}
		in := ins[0]
		b.logf("memory: filling %s with %d sessions", in.Label, b.fillN)
		res := rssResult{Instance: in.Label, Requested: b.fillN}
		var err error
		if res.PssBeforeKB, _, err = in.memory(); err != nil {
			b.problem("memory / %s: %v", in.Label, err)
		}
		cpu0, _ := cpuTicks(in.pids())
		t0 := time.Now()
		client := &http.Client{Timeout: 5 * time.Minute}
		for from := 0; from < b.fillN && err == nil; from += chunk {
			n := min(chunk, b.fillN-from)
			var stored, forced int64
			stored, forced, err = fillRequest(client, in.Params.AdminPort, from, n)
			res.Sessions += stored
			res.Forcible += forced
		}
		res.FillSeconds = time.Since(t0).Seconds()
		if cpu, e := cpuSince(cpu0); e == nil {
			res.ServerCPUsecondsFil = cpu / 1e6
		}
		if err != nil {
			b.problem("memory / %s: filling: %v", in.Label, err)
		} else {
			var pss, rss int64
			if pss, rss, err = in.memory(); err != nil {
				b.problem("memory / %s: %v", in.Label, err)
			}
			res.PssAfterKB, res.RssAfterKB = pss, rss
			if res.Sessions > 0 {
				res.BytesPerSessionPss = float64(res.PssAfterKB-res.PssBeforeKB) * 1024 / float64(res.Sessions)
			}
			b.rss = append(b.rss, res)
			b.logf("memory: %s: %d stored, %d evictions, PSS %d -> %d kB in %.1fs",
				in.Label, res.Sessions, res.Forcible, res.PssBeforeKB, res.PssAfterKB, res.FillSeconds)
		}
		b.stopInstances(block, ins)
	}
}

func dictKeys(port int) (int64, error) {
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/count", port))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var n int64
	if _, err := fmt.Sscan(string(body), &n); err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("/count: status %d, %q", resp.StatusCode, tail(string(body), 100))
	}
	return n, nil
}

func fillRequest(client *http.Client, port, from, n int) (stored, forced int64, err error) {
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/fill?from=%d&n=%d", port, from, n))
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != 200 {
		return 0, 0, fmt.Errorf("status %d: %s", resp.StatusCode, tail(string(body), 200))
	}
	if _, err := fmt.Sscan(string(body), &stored, &forced); err != nil {
		return 0, 0, fmt.Errorf("body %q: %v", tail(string(body), 200), err)
	}
	return stored, forced, nil
}

// runConcurrency opens concN connections at once (each a full handshake)
// against each server, 2 workers, ECDSA.
func (b *bench) runConcurrency() {
	const block = "concurrency"
	workers := 2
	if b.quick {
		workers = 1
	}
	ins := b.startInstances(block, "ecdsa", workers, []variant{nginxHooks, gorestyHooks}, "1024m")
	defer b.stopInstances(block, ins)
	for r := 1; r <= b.concRounds; r++ {
		for _, proto := range []string{"1.2", "1.3"} {
			for _, in := range inTurn(ins, r) {
				before, err := cpuTicks(in.pids())
				if err != nil {
					b.problem("concurrency / %s: %v", in.Label, err)
					continue
				}
				n := fmt.Sprint(b.concN)
				lr, _, err := b.tlsload(3*time.Minute, "-connect", fmt.Sprintf("127.0.0.1:%d", in.Params.Port),
					"-tls"+strings.ReplaceAll(proto, ".", "_"), "-mode", "new", "-c", n, "-n", n, "-t", "120s", "-timeout", "60s")
				if err != nil {
					b.problem("concurrency / %s / TLS %s: %v", in.Label, proto, err)
					continue
				}
				cpu, _ := cpuSince(before)
				cr := concResult{Instance: in.Label, Proto: proto, Round: r, Result: *lr}
				if lr.Connections > 0 {
					cr.CPUus = cpu / float64(lr.Connections)
				}
				b.conc = append(b.conc, cr)
				b.logf("concurrency | %s | TLS %s | round %d: %d ok, %d errors %v, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.2f s",
					in.Label, proto, r, lr.Connections, lr.Errors, lr.ErrorKinds, lr.P50ms, lr.P99ms, lr.MaxMs, lr.Seconds)
				// Let TIME_WAIT and the servers settle between bursts.
				time.Sleep(time.Second)
			}
		}
	}
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return runtime.GOARCH
}
