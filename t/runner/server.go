package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is one started binary (daemonized: it runs detached from us and we
// only know it by the pid in its pid file).
type Server struct {
	Binary  string
	Prefix  string // server root, with conf/, html/, logs/
	Port    string
	PidFile string
	Pid     int
	Stderr  string // what the start command wrote on stderr
}

// StartResult is the outcome of running the start command.
type StartResult struct {
	ExitCode int // -1 if it could not be run or was killed by a signal
	Signaled bool
	Stderr   string
	Err      error
}

// RunStart runs "binary -p PREFIX/ -c PREFIX/conf/nginx.conf" and waits for
// it to exit (with daemon on, the process exits once the daemon is up).
// Its stderr goes to the file stderrPath (a file, not a pipe, so that a
// daemon keeping stderr open does not hold us up; later output is read
// from the file at the end of the block).
func RunStart(binary, prefix, stderrPath string, env []string, timeout time.Duration) StartResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "-p", prefix+"/", "-c", filepath.Join(prefix, "conf", "nginx.conf"))
	ef, err := os.OpenFile(stderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return StartResult{ExitCode: -1, Err: err}
	}
	off, _ := ef.Seek(0, io.SeekEnd)
	defer ef.Close()
	cmd.Stdout = nil
	cmd.Stderr = ef
	cmd.Env = env
	cmd.Dir = prefix
	err = cmd.Run()
	res := StartResult{}
	if data, e := os.ReadFile(stderrPath); e == nil && int64(len(data)) >= off {
		res.Stderr = string(data[off:])
	}
	if err == nil {
		return res
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode = -1
			res.Signaled = true
			res.Err = fmt.Errorf("start command killed by %v", ws.Signal())
			if ctx.Err() != nil {
				res.Err = fmt.Errorf("start command did not exit within %v (is \"daemon on\" honoured?)", timeout)
			}
			return res
		}
		res.ExitCode = ee.ExitCode()
		return res
	}
	res.ExitCode = -1
	res.Err = err
	return res
}

// ReadPid reads the pid file.
func ReadPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(data))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad pid file %s: %q", path, s)
	}
	return pid, nil
}

// WaitReady waits until the pid file names a live process and the port
// accepts connections.
func WaitReady(pidFile, port string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	delay := 2 * time.Millisecond
	var pid int
	var lastErr error
	for {
		if pid == 0 {
			p, err := ReadPid(pidFile)
			if err == nil && Alive(p) {
				pid = p
			} else if err != nil {
				lastErr = err
			} else {
				lastErr = fmt.Errorf("process %d from %s is not running", p, pidFile)
			}
		}
		if pid != 0 {
			if !Alive(pid) {
				return 0, fmt.Errorf("server process %d exited", pid)
			}
			if port == "" {
				return pid, nil
			}
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err == nil {
				c.Close()
				return pid, nil
			}
			lastErr = err
		}
		if time.Now().After(deadline) {
			return pid, fmt.Errorf("server not ready after %v: %v", timeout, lastErr)
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// Alive reports whether pid is a running (non-zombie) process.
func Alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// state is the field after the ")" that closes the command name
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		st := s[i+2]
		return st != 'Z' && st != 'X'
	}
	return true
}

// pidfdOpen returns a pollable fd that becomes readable when pid exits,
// or -1 when the kernel lacks pidfd_open.
func pidfdOpen(pid int) int {
	fd, _, errno := syscall.Syscall(434 /* SYS_pidfd_open */, uintptr(pid), 0, 0)
	if errno != 0 {
		return -1
	}
	return int(fd)
}

// WaitExit waits up to timeout for pid to exit, woken by the kernel through
// a pidfd when available.
func WaitExit(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	fd := pidfdOpen(pid)
	if fd >= 0 {
		defer syscall.Close(fd)
		for {
			if !Alive(pid) {
				return true
			}
			left := time.Until(deadline)
			if left <= 0 {
				return false
			}
			var set syscall.FdSet
			set.Bits[fd/64] |= 1 << (uint(fd) % 64)
			tv := syscall.NsecToTimeval(left.Nanoseconds())
			n, err := syscall.Select(fd+1, &set, nil, nil, &tv)
			if err != nil && !errors.Is(err, syscall.EINTR) {
				break // fall back to polling
			}
			if n > 0 {
				return true
			}
		}
	}
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return !Alive(pid)
}

// Stop stops pid like Test::Nginx: QUIT, wait up to timeout, then TERM
// (repeatedly), and finally KILL. It returns a description of anything
// unusual (empty when the process quit on QUIT).
func Stop(pid int, timeout time.Duration) string {
	if !Alive(pid) {
		return ""
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	if WaitExit(pid, timeout) {
		return ""
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if WaitExit(pid, 2*time.Second) {
		return fmt.Sprintf("process %d did not exit on QUIT within %v; stopped by TERM", pid, timeout)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	WaitExit(pid, 2*time.Second)
	return fmt.Sprintf("process %d did not exit on QUIT within %v nor on TERM; killed", pid, timeout)
}
