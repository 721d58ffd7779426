//go:build prof

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// GORESTY_HEAPPROFILE (with -tags prof): on SIGUSR2, after a collection,
// the heap profile is written to that file and the runtime's memory
// figures to stderr (where an idle connection's bytes go: stacks, heap).
func init() {
	path := os.Getenv("GORESTY_HEAPPROFILE")
	if path == "" || !isReexeced() {
		return
	}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGUSR2)
		for range c {
			runtime.GC()
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Fprintf(os.Stderr, "memstats: goroutines %d stack_inuse %d heap_inuse %d heap_alloc %d heap_objects %d\n",
				runtime.NumGoroutine(), m.StackInuse, m.HeapInuse, m.HeapAlloc, m.HeapObjects)
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}()
}
