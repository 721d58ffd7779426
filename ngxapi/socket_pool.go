// Cosocket keepalive pools: one per key per worker (setkeepalive, connect's pool options).

package ngxapi

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

type idleConn struct {
	conn   net.Conn
	tlsOn  bool
	sess   *clientSession
	reused int
	taken  atomic.Bool
	data   atomic.Bool // the watcher saw bytes: not reusable
	done   chan struct{}
	pool   *connPool
}

type connPool struct {
	key     string
	size    int
	backlog int  // connects that may wait for a connection; -1: connections are not limited
	sized   bool // size was chosen (connect's pool_size/backlog or a setkeepalive): later sizes are ignored

	mu      sync.Mutex
	idle    []*idleConn // most recent last
	total   int         // connections alive (busy + idle) opened for this pool
	waiters []*poolWaiter
}

// pool finds the pool of key, or makes it with defSize connections and no
// backlog until fixSize says otherwise.
func (se *sockEnv) pool(key string, defSize int) *connPool {
	se.mu.Lock()
	defer se.mu.Unlock()
	p := se.pools[key]
	if p == nil {
		p = &connPool{key: key, size: defSize, backlog: -1}
		se.pools[key] = p
	}
	return p
}

// fixSize settles the pool's size and backlog the first time they are
// chosen, as OpenResty creates a pool with the size and backlog of the
// connect (pool_size, backlog) or setkeepalive that made it,
// lua_socket_pool_size by default; later values are ignored.
func (p *connPool) fixSize(size, backlog int) {
	p.mu.Lock()
	if !p.sized {
		if size > 0 {
			p.size = size
		}
		p.backlog = backlog
		p.sized = true
	}
	p.mu.Unlock()
}

// take returns an idle connection, or nil.
func (p *connPool) take() *idleConn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		ic := p.idle[n-1]
		p.idle = p.idle[:n-1]
		ic.taken.Store(true)
		p.mu.Unlock()
		ic.conn.SetReadDeadline(time.Unix(1, 0))
		<-ic.done
		ic.conn.SetReadDeadline(time.Time{})
		if !ic.data.Load() {
			return ic
		}
		ic.conn.Close()
		p.release()
	}
}

// put makes c idle for timeout (0: no timeout); it evicts the oldest idle
// connection when the pool is full. A connect waiting in the backlog gets
// the connection directly.
func (p *connPool) put(c net.Conn, tlsOn bool, sess *clientSession, reused int, timeout time.Duration) {
	ic := &idleConn{conn: c, tlsOn: tlsOn, sess: sess, reused: reused, done: make(chan struct{}), pool: p}
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
	} else {
		c.SetReadDeadline(time.Time{})
	}
	p.mu.Lock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		close(ic.done)
		w.ch <- ic
		return
	}
	var evict *idleConn
	if len(p.idle) >= p.size {
		evict = p.idle[0]
		p.idle = p.idle[1:]
		evict.taken.Store(true)
	}
	p.idle = append(p.idle, ic)
	p.mu.Unlock()
	if evict != nil {
		evict.conn.Close()
		p.release()
	}
	// The deadline was set before the connection became visible in the pool,
	// so a take() (deadline in the past) always wins over it.
	go ic.watch()
}

func (ic *idleConn) watch() {
	defer close(ic.done)
	var b [1]byte
	n, _ := ic.conn.Read(b[:])
	if n > 0 {
		ic.data.Store(true)
	}
	if ic.taken.Load() {
		return
	}
	p := ic.pool
	p.mu.Lock()
	for i, x := range p.idle {
		if x == ic {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	taken := ic.taken.Swap(true)
	p.mu.Unlock()
	if !taken {
		ic.conn.Close()
		p.release()
	}
}

// poolWaiter is a connect waiting in a pool's backlog. It is handed a
// pooled connection, or nil for a free slot to dial with; stop is closed
// when it is cancelled.
type poolWaiter struct {
	ch   chan *idleConn
	stop chan struct{}
}

// reserve runs on the worker goroutine when connect finds no idle
// connection, so that connects queue in the order Lua made them (as in
// OpenResty). A pool made with a backlog holds at most size connections:
// it counts the new one if there is room, else queues a waiter (nil when
// there was room), or fails when backlog connects already wait. Without a
// backlog every connect may dial.
func (p *connPool) reserve() (*poolWaiter, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.backlog < 0 || p.total < p.size {
		p.total++
		return nil, nil
	}
	if len(p.waiters) >= p.backlog {
		return nil, errTooManyWaiting
	}
	w := &poolWaiter{ch: make(chan *idleConn, 1), stop: make(chan struct{})}
	p.waiters = append(p.waiters, w)
	return w, nil
}

// unqueue removes w from the backlog; false: it was already handed
// something, which it will find in w.ch.
func (p *connPool) unqueue(w *poolWaiter) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// cancel takes w out of the backlog at once (worker goroutine: the socket
// was closed or its thread ended), so the next connect finds its place
// free, and wakes its wait.
func (p *connPool) cancel(w *poolWaiter) {
	if p.unqueue(w) {
		close(w.stop)
	}
}

// wait waits (op goroutine) for what w is handed, for up to timeout.
func (p *connPool) wait(w *poolWaiter, timeout time.Duration) (*idleConn, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ic := <-w.ch:
		return ic, nil
	case <-w.stop:
		return nil, net.ErrClosed
	case <-t.C:
	}
	if p.unqueue(w) {
		return nil, errTimeout
	}
	return <-w.ch, nil // handed over just as it timed out: take it
}

// release forgets a closed connection, handing its slot to a waiter.
func (p *connPool) release() {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w.ch <- nil // the slot passes on: total unchanged
		return
	}
	p.total--
	p.mu.Unlock()
}

func (p *connPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, ic := range idle {
		if !ic.taken.Swap(true) {
			ic.conn.Close()
			<-ic.done
		}
	}
}

var (
	errTimeout        = errors.New("timeout")
	errTooManyWaiting = errors.New("too many waiting connect operations")
)
