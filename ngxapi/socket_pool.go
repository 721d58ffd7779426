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
	key   string
	size  int
	sized bool // size was chosen (connect's pool_size/backlog or a setkeepalive): later sizes are ignored

	mu      sync.Mutex
	idle    []*idleConn      // most recent last
	total   int              // connections alive (busy + idle) opened for this pool
	waiters []chan *idleConn // nil sent = a free slot to dial with
}

// pool finds the pool of key; create makes it when missing, with size or
// else defSize connections.
func (se *sockEnv) pool(key string, size, defSize int, create bool) *connPool {
	se.mu.Lock()
	defer se.mu.Unlock()
	p := se.pools[key]
	if p == nil && create {
		p = &connPool{key: key, size: defSize}
		se.pools[key] = p
	}
	if p != nil && size > 0 {
		p.fixSize(size)
	}
	return p
}

// fixSize settles the pool's size the first time one is chosen, as
// OpenResty creates a pool with the size of the connect (pool_size, backlog)
// or setkeepalive that made it, lua_socket_pool_size by default.
func (p *connPool) fixSize(size int) {
	p.mu.Lock()
	if !p.sized {
		if size > 0 {
			p.size = size
		}
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
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		close(ic.done)
		ch <- ic
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

// acquire counts a new connection. With a backlog, at most size
// connections exist; extra connects wait (up to backlog of them) for a
// pooled connection or a free slot, or time out.
func (p *connPool) acquire(limit bool, backlog int, timeout time.Duration) (*idleConn, error) {
	p.mu.Lock()
	if !limit || p.total < p.size {
		p.total++
		p.mu.Unlock()
		return nil, nil
	}
	if len(p.waiters) >= backlog {
		p.mu.Unlock()
		return nil, errTooManyWaiting
	}
	ch := make(chan *idleConn, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ic := <-ch:
		return ic, nil
	case <-t.C:
	}
	p.mu.Lock()
	for i, x := range p.waiters {
		if x == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, errTimeout
		}
	}
	p.mu.Unlock()
	// handed over just as we timed out: take it
	return <-ch, nil
}

// release forgets a closed connection, handing its slot to a waiter.
func (p *connPool) release() {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- nil // the slot passes on: total unchanged
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
