package httpserver

import (
	"sync/atomic"
	"time"
)

// The request clock. Each request reads the time for its start
// ($request_time, ngx.req.start_time) and its response's Date; nginx
// takes both from its cached time, read once per event-loop turn.
// time.Now reads the wall clock and the monotonic clock (about 52 against
// 28 ns for the monotonic one alone on this kvm-clock guest): now reads
// the monotonic clock and adds what passed since a wall time read at most
// a second before. The wall time it gives is off by the wall clock's slew
// in that second at most (NTP slews 0.5 ms a second at most); a step of
// the wall clock shows within a second. Its monotonic reading is exact.

// monoBase is what the connections' deadlines and idle times (linger,
// HTTP/2's keepalive_timeout) and now's anchors count from: time.Since
// reads the monotonic clock alone, time.Now the wall clock too.
var monoBase = time.Now()

// wallAnchor is a time.Now reading and its monotonic time since monoBase.
type wallAnchor struct {
	t    time.Time
	mono time.Duration
}

var anchor atomic.Pointer[wallAnchor]

// now is the time for a request's start and its Date header.
func now() time.Time {
	mono := time.Since(monoBase)
	if a := anchor.Load(); a != nil && mono >= a.mono && mono-a.mono < time.Second {
		return a.t.Add(mono - a.mono)
	}
	t := time.Now()
	anchor.Store(&wallAnchor{t: t, mono: t.Sub(monoBase)})
	return t
}
