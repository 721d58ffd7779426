//go:build !goresty_nohttp

package main

import (
	"os"
	"strings"
	"syscall"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver"
)

// The only place cmd/goresty reaches the server (kept apart so the command
// line can be built and tested with -tags goresty_nohttp on its own).
func init() {
	checkServer = httpserver.Check
	runServer = func(cfg *confparse.Config, o options) int {
		keepSysmonAwake()
		return httpserver.Run(cfg, httpserver.RunOptions{
			ErrorLogPath: o.errorLog,
			ConfOpts: confparse.Options{
				Prefix: o.prefix, ConfFile: o.conf, Globals: o.globals, ErrorLog: o.errorLog,
			},
		})
	}
}

// sysmonDebug keeps the Go runtime's monitor thread (sysmon) out of its deep
// sleep: with GODEBUG=schedtrace=N (N > 0) sysmon never parks when every P
// is idle, so it backs off to one wake-up per 10 ms and stays there. Without
// it, a server that goes idle between the steps of a handshake (waiting for
// the client) parks sysmon each time; the next system call wakes it (a futex
// wake-up) and resets it to polling every 20 µs, several times per
// connection: ~35 µs of server CPU per resumed TLS 1.2 handshake on the
// bench machine (bench/RESULTS.md, optimisation log). N is the largest value
// (ms, ~24.8 days): the trace line it prints ("SCHED ...", to stderr) comes
// once that long after the host booted, then every ~24.8 days.
const sysmonDebug = "schedtrace=2147483647"

// keepSysmonAwake re-executes goresty (same pid, same descriptors) with
// sysmonDebug added to GODEBUG, once, before anything is opened: the runtime
// reads that setting only at start-up. An explicit schedtrace in GODEBUG
// (e.g. GODEBUG=schedtrace=0 to opt out) is left alone, as are test binaries.
func keepSysmonAwake() {
	cur, set := os.LookupEnv("GODEBUG")
	if set && (strings.HasPrefix(cur, "schedtrace=") || strings.Contains(cur, ",schedtrace=")) {
		return
	}
	exe, err := os.Executable()
	if err != nil || strings.HasSuffix(exe, ".test") {
		return
	}
	val := sysmonDebug
	if cur != "" {
		val = cur + "," + sysmonDebug
	}
	env := os.Environ()
	kept := env[:0]
	for _, e := range env {
		if !strings.HasPrefix(e, "GODEBUG=") {
			kept = append(kept, e)
		}
	}
	syscall.Exec(exe, os.Args, append(kept, "GODEBUG="+val)) // returns only on failure: serve as we are
}
