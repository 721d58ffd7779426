package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// instance is one running server: nginx (master + workers) or goresty.
type instance struct {
	Label  string // as shown in the tables: "nginx+lua", "goresty", ...
	Params confParams
	Prefix string
	bin    string
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // Wait's result once done is closed
	stderr bytes.Buffer
}

func newInstance(label, bin, workDir string, p confParams) (*instance, error) {
	prefix := filepath.Join(workDir, label+fmt.Sprintf("-%d", p.Port))
	for _, d := range []string{"conf", "logs", "html"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(prefix, "conf", "nginx.conf"), []byte(p.render()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(prefix, "html", "static.txt"), []byte("ok\n"), 0o644); err != nil {
		return nil, err
	}
	return &instance{Label: label, Params: p, Prefix: prefix + "/", bin: bin}, nil
}

func (in *instance) args() []string {
	return []string{"-p", in.Prefix, "-c", "conf/nginx.conf"}
}

// check runs the binary's -t on the configuration.
func (in *instance) check() error {
	out, err := exec.Command(in.bin, append(in.args(), "-t")...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s -t: %v: %s", in.bin, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// start runs the server in the foreground (daemon off) in its own process
// group and waits until both ports accept connections.
func (in *instance) start() error {
	in.cmd = exec.Command(in.bin, in.args()...)
	in.cmd.Stderr = &in.stderr
	in.cmd.Stdout = &in.stderr
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := in.cmd.Start(); err != nil {
		return err
	}
	in.done = make(chan struct{})
	go func() {
		in.err = in.cmd.Wait()
		close(in.done)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for _, port := range []int{in.Params.Port, in.Params.AdminPort} {
		for {
			select {
			case <-in.done:
				return fmt.Errorf("%s exited at start: %v: %s", in.Label, in.err, strings.TrimSpace(in.stderr.String()))
			default:
			}
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				in.stop()
				return fmt.Errorf("%s: port %d not accepting after 15s: %v", in.Label, port, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// nginx's master accepts before its workers exist: wait for them.
	if in.Params.Server == "nginx" {
		for len(in.pids()) < 1+in.Params.Workers {
			if time.Now().After(deadline) {
				in.stop()
				return fmt.Errorf("%s: workers did not start", in.Label)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func (in *instance) alive() bool {
	select {
	case <-in.done:
		return false
	default:
		return true
	}
}

// stop ends the server (SIGTERM to the process we started, then SIGKILL to
// its process group after 10 s).
func (in *instance) stop() {
	if in.cmd == nil || in.cmd.Process == nil || !in.alive() {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		<-in.done
	}
}

// pids is the server process and all its descendants.
func (in *instance) pids() []int {
	if in.cmd == nil || in.cmd.Process == nil {
		return nil
	}
	var out []int
	var walk func(pid int)
	walk = func(pid int) {
		out = append(out, pid)
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		for _, t := range tasks {
			data, _ := os.ReadFile(t)
			for _, f := range strings.Fields(string(data)) {
				if c, err := strconv.Atoi(f); err == nil {
					walk(c)
				}
			}
		}
	}
	walk(in.cmd.Process.Pid)
	return out
}

const clockTicks = 100 // USER_HZ; getconf CLK_TCK on Linux

// cpuTicks returns utime+stime of each pid (whole thread group), from
// /proc/PID/stat fields 14 and 15.
func cpuTicks(pids []int) (map[int]uint64, error) {
	m := make(map[int]uint64, len(pids))
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil, err
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			return nil, fmt.Errorf("/proc/%d/stat: no comm", pid)
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 13 {
			return nil, fmt.Errorf("/proc/%d/stat: short", pid)
		}
		ut, err1 := strconv.ParseUint(f[11], 10, 64)
		st, err2 := strconv.ParseUint(f[12], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		m[pid] = ut + st
	}
	return m, nil
}

// cpuSince sums the ticks used by pids since before, in microseconds; a pid
// gone in between is an error (a worker died).
func cpuSince(before map[int]uint64) (float64, error) {
	pids := make([]int, 0, len(before))
	for p := range before {
		pids = append(pids, p)
	}
	after, err := cpuTicks(pids)
	if err != nil {
		return 0, fmt.Errorf("server process gone during the measurement: %w", err)
	}
	var d uint64
	for p, t := range after {
		d += t - before[p]
	}
	return float64(d) * 1e6 / clockTicks, nil
}

// memory sums Pss and Rss (kB) over the instance's processes: Pss counts
// shared pages (nginx's shared dict) once across processes.
func (in *instance) memory() (pssKB, rssKB int64, err error) {
	for _, pid := range in.pids() {
		f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			return 0, 0, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 {
				continue
			}
			v, _ := strconv.ParseInt(fields[1], 10, 64)
			switch fields[0] {
			case "Pss:":
				pssKB += v
			case "Rss:":
				rssKB += v
			}
		}
		f.Close()
	}
	return pssKB, rssKB, nil
}

// logLevels counts the error log's lines by level ("[error]", "[crit]", ...).
func (in *instance) logLevels() map[string]int {
	data, err := os.ReadFile(filepath.Join(in.Prefix, "logs", "error.log"))
	if err != nil {
		return nil
	}
	m := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		for _, lvl := range []string{"[alert]", "[crit]", "[error]", "[warn]", "[emerg]"} {
			if strings.Contains(line, lvl) {
				m[strings.Trim(lvl, "[]")]++
				break
			}
		}
	}
	return m
}

// logSample returns up to n distinct error-log lines at error level or worse,
// without their timestamps, for the report's problems section.
func (in *instance) logSample(n int) []string {
	data, err := os.ReadFile(filepath.Join(in.Prefix, "logs", "error.log"))
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, "[error]") && !strings.Contains(line, "[crit]") && !strings.Contains(line, "[alert]") && !strings.Contains(line, "[emerg]") {
			continue
		}
		if i := strings.Index(line, " ["); i > 0 {
			line = line[i+1:]
		}
		if len(line) > 300 {
			line = line[:300]
		}
		// Drop the pid#tid and connection numbers so repeats collapse.
		key := line
		if j := strings.Index(key, "] "); j > 0 {
			rest := key[j+2:]
			if k := strings.Index(rest, ": "); k > 0 {
				rest = rest[k+2:]
			}
			if strings.HasPrefix(rest, "*") {
				if k := strings.IndexByte(rest, ' '); k > 0 {
					rest = rest[k+1:]
				}
			}
			if k := strings.Index(rest, ", client:"); k > 0 {
				rest = rest[:k]
			}
			key = key[:j+1] + " " + rest
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
			if len(out) == n {
				break
			}
		}
	}
	return out
}
