package httpserver

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
)

// leanBody is the body of a request with a Content-Length the lean loop
// serves, as net/http's: the bytes read past the header first, then the
// connection, EOF with the last byte, io.ErrUnexpectedEOF when the client
// stops short, http.ErrBodyReadAfterClose once the handler is done (a
// proxy's transport may still hold it). With Expect: 100-continue, the
// first read sends "100 Continue" unless the response has begun. What the
// handler leaves unread is read and dropped before the response header
// goes out, up to 256 KB (more: the connection closes after the
// response), as net/http does so that a client sending its whole body
// before reading cannot deadlock.
type leanBody struct {
	lc   *leanConn
	ctx  *leanCtx
	mu   sync.Mutex
	left int64
	// sawEOF: all of it read; readEOF: by Read (not by Close's drain: with
	// Expect, net/http keeps the connection only then); closed: the handler
	// is done (or closed it); early: closed with more than maxDrain left
	// (the connection cannot serve another request)
	sawEOF, readEOF, closed, early bool

	continueMu  sync.Mutex
	canContinue atomic.Bool // 100 Continue not sent, and still allowed
}

// maxDrain is net/http's maxPostHandlerReadBytes.
const maxDrain = 256 << 10

func (b *leanBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.canContinue.Load() {
		b.continueMu.Lock()
		if b.canContinue.Load() {
			b.lc.wire.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
			b.canContinue.Store(false)
		}
		b.continueMu.Unlock()
	}
	n, err := b.readLocked(p)
	if err == io.EOF {
		b.readEOF = true
	}
	return n, err
}

func (b *leanBody) readLocked(p []byte) (int, error) {
	if b.sawEOF {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.lc.readIn(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF:
		b.sawEOF = true
		if b.left > 0 {
			err = io.ErrUnexpectedEOF
		}
	case b.left == 0:
		b.sawEOF, err = true, io.EOF
	}
	if b.sawEOF {
		b.ctx.bodyDone()
	}
	return n, err
}

// noContinue: the response began before the body was asked for.
func (b *leanBody) noContinue() {
	b.continueMu.Lock()
	b.canContinue.Store(false)
	b.continueMu.Unlock()
}

// Close is net/http's body.Close for a server request: up to maxDrain
// left is read and dropped (the connection can go on), more is not.
func (b *leanBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	var err error
	switch {
	case b.sawEOF:
	case b.left > maxDrain:
		b.early = true
	default:
		err = b.drainLocked()
	}
	b.closed = true
	return err
}

func (b *leanBody) drainLocked() error {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := (*bp)[:cap(*bp)]
	for !b.sawEOF {
		if _, err := b.readLocked(buf); err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// beforeHeader is net/http's check when the response header is written
// (chunkWriter.writeHeader): false when the connection cannot serve
// another request; tooBig when that is because the client has more than
// maxDrain left to send (the response then says Connection: close).
func (b *leanBody) beforeHeader(expect100 bool) (reuse, tooBig bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case expect100 && !b.readEOF:
		return false, false // we never asked for (or never got) all of it
	case b.closed:
		return b.sawEOF, false
	case b.left >= maxDrain:
		return false, true
	}
	if err := b.drainLocked(); err != nil {
		return false, false
	}
	return true, false
}

// end is the handler's return: later reads fail; false when the
// connection cannot serve another request.
func (b *leanBody) end() bool {
	b.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sawEOF && !b.early
}

// readIn reads what was read past the request header first, then the
// connection.
func (lc *leanConn) readIn(p []byte) (int, error) {
	if lc.pend == nil {
		return lc.c.Read(p)
	}
	b := *lc.pend
	n := copy(p, b)
	if n == len(b) {
		*lc.pend = b[:0]
		readBufs.Put(lc.pend)
		lc.pend = nil
	} else {
		*lc.pend = b[:copy(b, b[n:])]
	}
	return n, nil
}
