package httpserver

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// leanCtx is the context of a request the lean loop serves. net/http
// starts a goroutine per request that reads one byte to notice a client
// going away; leanCtx does that only for the requests that ask, when
// something calls Done (proxy_pass's upstream request,
// lua_check_client_abort), and is canceled when the handler returns, as
// net/http's.
type leanCtx struct {
	ctxBase
	lc       *leanConn
	ended    bool
	watching chan struct{} // closed when the watcher has returned
	// bodyPending: the request body is not all read (the watcher would
	// take its bytes); wantWatch: Done was called meanwhile, so the watch
	// starts at the body's end (net/http's registerOnHitEOF)
	bodyPending, wantWatch bool
}

func (c *leanCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.bodyPending {
			c.wantWatch = true
		} else {
			c.startWatch()
		}
	}
	return c.done
}

// startWatch starts the watcher when it may read (c.mu held).
func (c *leanCtx) startWatch() {
	if !c.ended && c.watching == nil && c.lc.canWatch() {
		c.watching = make(chan struct{})
		go c.watch()
	}
}

// bodyDone: the body was read to its end (by the goroutine that read it).
func (c *leanCtx) bodyDone() {
	c.mu.Lock()
	c.bodyPending = false
	if c.wantWatch && c.err == nil {
		c.startWatch()
	}
	c.mu.Unlock()
}

// ctxBase is what the contexts of the lean loop's requests and of HTTP/2
// streams share: the connection's values, Done made on first use (by
// each), canceled once.
type ctxBase struct {
	qc   *quietConn
	mu   sync.Mutex
	done chan struct{}
	err  error
}

func (c *ctxBase) Deadline() (time.Time, bool) { return time.Time{}, false }

// doneHanded reports whether Done was called before the cancel (its
// channel then is not closedChan): whoever got it may look at the context
// later, so the context is not used for another request.
func (c *ctxBase) doneHanded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done != nil && c.done != closedChan
}

func (c *ctxBase) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *ctxBase) Value(key any) any {
	switch key {
	case connKey{}:
		return c.qc
	case http.LocalAddrContextKey:
		return c.qc.LocalAddr()
	}
	return nil
}

func (c *ctxBase) cancel() {
	c.mu.Lock()
	if c.err == nil {
		c.err = context.Canceled
		if c.done == nil {
			c.done = closedChan
		} else {
			close(c.done)
		}
	}
	c.mu.Unlock()
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// watch reads one byte, as net/http's background read: EOF or an error
// is the client gone; a byte is the next request's (kept for it).
func (c *leanCtx) watch() {
	defer close(c.watching)
	lc := c.lc
	// stopWatch may have come first (this goroutine had not run yet):
	// clearing the deadline now would undo the one it set to wake the read
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	lc.setReadDeadline(time.Time{})
	c.mu.Unlock()
	n, err := lc.c.Read(lc.peek[:])
	if n == 1 {
		lc.peeked = true
	}
	if err != nil && !isTimeout(err) {
		c.cancel()
	}
}

// end is the handler's return: the watcher stopped and the context
// canceled.
func (c *leanCtx) end() {
	c.stopWatch()
	c.cancel()
}

// stopWatch stops the watcher for good (its read woken by a deadline in
// the past): at the handler's return, or when the handler takes the
// connection (Hijack), whose bytes are then its own.
func (c *leanCtx) stopWatch() {
	c.mu.Lock()
	c.ended = true
	w := c.watching
	c.mu.Unlock()
	if w != nil {
		c.lc.setReadDeadline(time.Unix(1, 0))
		<-w
	}
}
