package httpserver

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luavm/errlog"
)

// worker_connections is enforced as nginx does, for the whole process:
// goresty's workers share one accept path, so the limit is
// worker_connections × worker_processes client connections (nginx also
// counts its listening and upstream sockets there; goresty counts only
// accepted connections). A connection past the limit is closed as soon as
// it is accepted, with nginx's alert, logged at most once a second.
var (
	openConns    atomic.Int64
	connsAlerted atomic.Int64 // unix ns of the last alert
)

// admit counts a newly accepted connection; false (not counted) when the
// generation's limit is reached.
func (g *generation) admit() bool {
	ev, m := g.cfg.Events.WorkerConnections, g.cfg.Main.WorkerProcesses
	if ev <= 0 {
		openConns.Add(1)
		return true
	}
	limit := int64(ev) * int64(max(m, 1))
	if openConns.Add(1) <= limit {
		return true
	}
	openConns.Add(-1)
	now := time.Now().UnixNano()
	last := connsAlerted.Load()
	if now-last >= int64(time.Second) && connsAlerted.CompareAndSwap(last, now) {
		g.log.Log(errlog.Alert, strconv.Itoa(ev)+" worker_connections are not enough")
	}
	return false
}

// Close releases the connection's place (once, however often it is
// closed: tls.Conn and net/http may both close it).
func (c *quietConn) Close() error {
	if rr := c.refused.Swap(nil); rr != nil {
		c.logRefused(rr)
	}
	if c.closed.CompareAndSwap(false, true) {
		openConns.Add(-1)
	}
	return c.Conn.Close()
}
