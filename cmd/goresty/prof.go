//go:build prof

package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
)

// A build with -tags prof writes a CPU profile of the server itself
// (bench/README.md, Tools): GORESTY_CPUPROFILE names the file, SIGUSR2
// ends the profile. It starts after keepSysmonAwake's re-exec only: the
// profiling timer would survive exec and kill the new image before its
// runtime handles SIGPROF.
// isReexeced is whether this is the image keepSysmonAwake re-executed.
func isReexeced() bool { return strings.Contains(os.Getenv("GODEBUG"), "schedtrace") }

func init() {
	path := os.Getenv("GORESTY_CPUPROFILE")
	if path == "" || !isReexeced() {
		return
	}
	f, err := os.Create(path)
	if err != nil || pprof.StartCPUProfile(f) != nil {
		return
	}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGUSR2)
		<-c
		pprof.StopCPUProfile()
		f.Close()
	}()
}
