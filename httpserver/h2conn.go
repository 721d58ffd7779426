package httpserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// goresty serves HTTP/2 itself (issue 18): net/http's HTTP/2 server hands
// every frame between three goroutines (the frame reader, the serve loop,
// an asynchronous writer), flushes the response's HEADERS before its DATA
// comes (two TLS records, two writes), and keeps two goroutines, its
// buffers and a 4 KB HPACK table per idle connection. Here the
// connection's one reader goroutine reads and answers the frames, each
// request runs in a pooled serving goroutine, and a response is framed
// and written by that goroutine itself: HEADERS and DATA in one write.
// Responses are HPACK-encoded without the dynamic table, as nginx does,
// so nothing of them is kept per connection (h2hpack.go). Frames are read
// and checked by golang.org/x/net/http2's Framer, requests' headers
// decoded by its HPACK decoder into what the stream needs (h2Block).

const (
	h2MaxStreams    = 128       // nginx's http2_max_concurrent_streams
	h2StreamWindow  = 256 << 10 // receive window per stream
	h2ConnWindow    = 1 << 20   // receive window of the connection (net/http's)
	h2DefaultWindow = 65535     // RFC 9113's initial windows
	h2MaxHeaderList = 1<<20 + 320
	h2MaxCtrl       = 64 << 10 // control frames waiting to be written; more is a flood
	h2PingsPerReq   = 1000     // pings (and settings) answered between two streams opened, at most
)

var h2Preface = []byte(http2.ClientPreface)

// h2Conn is one HTTP/2 connection.
type h2Conn struct {
	lc   *leanConn
	conn net.Conn // the *tls.Conn, or in cleartext the socket after the bytes read so far
	fr   *http2.Framer
	blk  *h2Block // the header block being read (the reader's)

	wmu sync.Mutex // held while writing to tc

	mu        sync.Mutex // guards what follows
	cond      sync.Cond  // a window opened, a stream reset, the connection gone
	streams   map[uint32]*h2Stream
	maxID     uint32 // the highest stream a client opened (the reader writes it, with mu held)
	sendWin   int64  // what the connection may send
	initWin   int64  // SETTINGS_INITIAL_WINDOW_SIZE of the client
	maxFrame  int    // SETTINGS_MAX_FRAME_SIZE of the client
	recvWin   int64  // what the client may still send on the connection
	recvGiven int64  // received bytes consumed, not yet given back
	ctrl      []byte // control frames for the next write
	goAway    bool   // GOAWAY queued: no new streams, close when idle
	closed    bool
	err       error // why the connection ended
	pings     int   // pings and settings answered since the last stream opened
	// With no stream open the connection ends at idleUntil (client_header_timeout,
	// then keepalive_timeout). Streams opening and ending touch no timer: the
	// read deadline (armed) is never later than idleUntil while idle, and when
	// it passes early the read goes on with it re-armed (h2Reader). Both are
	// since monoBase.
	idleUntil, armed time.Duration
}

func newH2Conn(lc *leanConn, conn net.Conn) *h2Conn {
	sc := &h2Conn{lc: lc, conn: conn, streams: map[uint32]*h2Stream{},
		sendWin: h2DefaultWindow, initWin: h2DefaultWindow, maxFrame: 16384, recvWin: h2ConnWindow}
	sc.cond.L = &sc.mu
	return sc
}

// serve serves a connection that negotiated h2 until it ends.
func (sc *h2Conn) serve() {
	lc := sc.lc
	defer sc.end()
	sc.idleUntil = time.Since(monoBase) + headerTimeout(lc.grp)
	sc.armDeadlineLocked(sc.idleUntil) // the reader's alone yet
	var pre [24]byte
	if _, err := io.ReadFull(sc.conn, pre[:]); err != nil || string(pre[:]) != http2.ClientPreface {
		return
	}
	sc.fr = http2.NewFramer(nil, h2Reader{sc})
	sc.blk = newH2Block()
	sc.fr.SetMaxReadFrameSize(16384) // the default: a frame's buffer stays small
	sc.fr.SetReuseFrames()
	b := appendFrameHeader(nil, 3*6, http2.FrameSettings, 0, 0)
	b = appendSetting(b, http2.SettingMaxConcurrentStreams, h2MaxStreams)
	b = appendSetting(b, http2.SettingInitialWindowSize, h2StreamWindow)
	b = appendSetting(b, http2.SettingMaxHeaderListSize, h2MaxHeaderList)
	b = appendWindowUpdate(b, 0, h2ConnWindow-h2DefaultWindow)
	sc.mu.Lock()
	sc.ctrl = b
	sc.mu.Unlock()
	sc.writeCtrl() // not waiting: the client may be writing its own first frames
	sc.read()
}

// read reads and answers frames until the connection ends.
func (sc *h2Conn) read() {
	first := true
	for {
		f, err := sc.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				sc.resetStream(se.StreamID, se.Code)
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				sc.fail(http2.ErrCode(ce))
				return
			}
			if errors.Is(err, http2.ErrFrameTooLarge) {
				sc.fail(http2.ErrCodeFrameSize)
				return
			}
			if isTimeout(err) && sc.idleEnded() {
				sc.fail(http2.ErrCodeNo)
			}
			return
		}
		if first {
			if _, ok := f.(*http2.SettingsFrame); !ok {
				sc.fail(http2.ErrCodeProtocol)
				return
			}
			first = false
		}
		if code, conn := sc.process(f); code != http2.ErrCodeNo || conn {
			if conn {
				sc.fail(code)
				return
			}
			sc.resetStream(f.Header().StreamID, code)
		}
		sc.writeCtrl()
	}
}

// process answers one frame: a stream error (code, false), a connection
// error (code, true) or none (ErrCodeNo, false).
func (sc *h2Conn) process(f http2.Frame) (http2.ErrCode, bool) {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		return sc.settings(f)
	case *http2.HeadersFrame:
		sc.blk.begin(f)
		return sc.headerBlock(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.ContinuationFrame: // of the block begun (the Framer checks)
		return sc.headerBlock(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.DataFrame:
		return sc.data(f)
	case *http2.WindowUpdateFrame:
		return sc.windowUpdate(f)
	case *http2.PingFrame:
		if f.IsAck() {
			return http2.ErrCodeNo, false
		}
		return sc.control(appendFrame(nil, http2.FramePing, http2.FlagPingAck, 0, f.Data[:]...))
	case *http2.RSTStreamFrame:
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.idleID(f.StreamID) {
			return http2.ErrCodeProtocol, true
		}
		if st := sc.streams[f.StreamID]; st != nil {
			st.resetLocked(errStreamReset)
		}
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			return http2.ErrCodeProtocol, false
		}
	case *http2.GoAwayFrame:
		sc.shutdown()
	case *http2.PushPromiseFrame:
		return http2.ErrCodeProtocol, true
	}
	return http2.ErrCodeNo, false
}

// headerBlock decodes a fragment of a header block, and takes the block
// when it ends: a malformed one is a stream error.
func (sc *h2Conn) headerBlock(frag []byte, ended bool) (http2.ErrCode, bool) {
	if code, conn := sc.blk.fragment(frag, ended); conn || !ended {
		return code, conn
	}
	if sc.blk.invalid {
		return http2.ErrCodeProtocol, false
	}
	return sc.headers(sc.blk)
}

// control queues a control frame, refusing a flood of them (pings and
// settings the client asks for faster than it opens streams).
func (sc *h2Conn) control(b []byte) (http2.ErrCode, bool) {
	sc.mu.Lock()
	sc.pings++
	flood := sc.pings > h2PingsPerReq || len(sc.ctrl) > h2MaxCtrl
	if !flood {
		sc.ctrl = append(sc.ctrl, b...)
	}
	sc.mu.Unlock()
	if flood {
		return http2.ErrCodeEnhanceYourCalm, true
	}
	sc.writeCtrl()
	return http2.ErrCodeNo, false
}

func (sc *h2Conn) settings(f *http2.SettingsFrame) (http2.ErrCode, bool) {
	if f.IsAck() {
		return http2.ErrCodeNo, false
	}
	sc.mu.Lock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - sc.initWin
			sc.initWin = int64(s.Val)
			for _, st := range sc.streams {
				if st.sendWin+delta > 1<<31-1 {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
				st.sendWin += delta
			}
			sc.cond.Broadcast()
		case http2.SettingMaxFrameSize:
			sc.maxFrame = int(s.Val)
		}
		return nil
	})
	sc.mu.Unlock()
	if err != nil {
		var ce http2.ConnectionError
		if errors.As(err, &ce) {
			return http2.ErrCode(ce), true
		}
		return http2.ErrCodeProtocol, true
	}
	return sc.control(appendFrame(nil, http2.FrameSettings, http2.FlagSettingsAck, 0))
}

func (sc *h2Conn) windowUpdate(f *http2.WindowUpdateFrame) (http2.ErrCode, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		if sc.sendWin+inc > 1<<31-1 {
			return http2.ErrCodeFlowControl, true
		}
		sc.sendWin += inc
		sc.cond.Broadcast()
		return http2.ErrCodeNo, false
	}
	if sc.idleID(f.StreamID) {
		return http2.ErrCodeProtocol, true
	}
	st := sc.streams[f.StreamID]
	if st == nil || st.err != nil {
		return http2.ErrCodeNo, false
	}
	if st.sendWin+inc > 1<<31-1 {
		return http2.ErrCodeFlowControl, false
	}
	st.sendWin += inc
	sc.cond.Broadcast()
	return http2.ErrCodeNo, false
}

// idleID is whether a stream id was never opened (sc.mu held).
func (sc *h2Conn) idleID(id uint32) bool { return id > sc.maxID }

// resetStream sends RST_STREAM for a stream error and ends the stream.
func (sc *h2Conn) resetStream(id uint32, code http2.ErrCode) {
	sc.mu.Lock()
	if st := sc.streams[id]; st != nil {
		st.resetLocked(errStreamReset)
		st.rstSent = true
	}
	sc.ctrl = appendFrame(sc.ctrl, http2.FrameRSTStream, 0, id, byte(code>>24), byte(code>>16), byte(code>>8), byte(code))
	sc.mu.Unlock()
	sc.writeCtrl()
}

// fail ends the connection with GOAWAY (code); ErrCodeNo for an idle one.
func (sc *h2Conn) fail(code http2.ErrCode) {
	sc.mu.Lock()
	sc.ctrl = appendGoAway(sc.ctrl, sc.maxID, code)
	sc.goAway = true
	sc.mu.Unlock()
	sc.lastWrite()
}

// lastWrite writes the queued control frames (a GOAWAY) of a connection
// that ends, waiting for a writer holding it, at most a second.
func (sc *h2Conn) lastWrite() {
	sc.conn.SetWriteDeadline(time.Now().Add(time.Second))
	sc.wmu.Lock()
	sc.unlockW(nil)
}

// idleEnded is whether a read timed out with no stream open: the
// keepalive_timeout (or client_header_timeout before the first request).
func (sc *h2Conn) idleEnded() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.streams) == 0
}

// shutdown is the graceful end (reload, stop, the client's GOAWAY, a
// "Connection: close" response): GOAWAY once, and the connection closes
// when its last stream is done.
func (sc *h2Conn) shutdown() {
	sc.mu.Lock()
	if sc.goAway || sc.closed {
		sc.mu.Unlock()
		return
	}
	sc.goAway = true
	sc.ctrl = appendGoAway(sc.ctrl, sc.maxID, http2.ErrCodeNo)
	sc.mu.Unlock()
	sc.writeCtrl() // unlockW closes the connection after it when no stream is open
}

// closeConn closes the socket, the reader's end.
func (sc *h2Conn) closeConn() {
	sc.lc.close()
}

// end is the reader's return: every stream is reset, the socket closed.
func (sc *h2Conn) end() {
	sc.lastWrite()
	sc.mu.Lock()
	sc.closed = true
	if sc.err == nil {
		sc.err = errConnGone
	}
	for _, st := range sc.streams {
		st.resetLocked(errConnGone)
	}
	sc.cond.Broadcast()
	sc.mu.Unlock()
	sc.lc.state.Store(lcClosed)
	sc.closeConn()
	sc.lc.grp.lean.remove(sc.lc)
	sc.lc.notFresh()
}

var (
	errH2BodyClosed = errors.New("body closed by handler") // net/http's HTTP/2 wording
	errStreamReset  = errors.New("http2: stream reset")
	errConnGone     = errors.New("http2: client connection lost")
)

// writeCtrl writes the queued control frames from the reader, which
// never waits for the network (a client may stop reading until it has
// written, as Go's does): a goroutine writes them, or the writer holding
// the connection does before it lets go (unlockW).
func (sc *h2Conn) writeCtrl() {
	if sc.ctrlPending() && sc.wmu.TryLock() {
		go sc.unlockW(nil)
	}
}

// flushCtrl is writeCtrl from a goroutine that may wait: a handler's.
func (sc *h2Conn) flushCtrl() {
	if sc.ctrlPending() && sc.wmu.TryLock() {
		sc.unlockW(nil)
	}
}

func (sc *h2Conn) ctrlPending() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.ctrl) > 0
}

// unlockW writes b after the queued control frames, in one write, and
// releases the connection (sc.wmu held); control frames queued meanwhile
// are written too.
func (sc *h2Conn) unlockW(b []byte) error {
	for {
		sc.mu.Lock()
		ctrl := sc.ctrl
		sc.ctrl = nil
		broken := sc.err != nil && sc.closed
		closing := sc.goAway && len(sc.streams) == 0 && !sc.closed
		sc.mu.Unlock()
		var err error
		switch {
		case broken:
			err = errConnGone
		case len(ctrl) > 0:
			_, err = sc.conn.Write(append(ctrl, b...))
		case len(b) > 0:
			_, err = sc.conn.Write(b)
		}
		sc.wmu.Unlock()
		if err != nil {
			sc.mu.Lock()
			if sc.err == nil {
				sc.err = err
			}
			sc.mu.Unlock()
			sc.closeConn()
			return err
		}
		if closing {
			sc.closeConn()
			return nil
		}
		if !sc.ctrlPending() || !sc.wmu.TryLock() {
			return nil
		}
		b = nil
	}
}

// streamDone removes a stream whose handler has returned, gives back
// the receive window its unread body held, and sets the idle deadline
// when it was the last (or closes a connection going away).
func (sc *h2Conn) streamDone(st *h2Stream) {
	sc.mu.Lock()
	delete(sc.streams, st.id)
	if n := st.body.unread(); n > 0 {
		sc.giveBackLocked(n)
	}
	if !st.remoteDone && !st.rstSent && sc.err == nil {
		// the response is complete, the request's body is not: "stop
		// sending", without an error (RFC 9113 8.1)
		sc.ctrl = appendFrame(sc.ctrl, http2.FrameRSTStream, 0, st.id, 0, 0, 0, byte(http2.ErrCodeNo))
		st.rstSent = true
	}
	last := len(sc.streams) == 0
	if last && !sc.goAway && sc.err == nil {
		sc.idleLocked()
	}
	closing := last && sc.goAway
	pending := len(sc.ctrl) > 0 // flushCtrl without locking again
	sc.mu.Unlock()
	if pending && sc.wmu.TryLock() {
		sc.unlockW(nil)
	}
	if closing {
		sc.closeConn()
	}
}

// idleLocked starts keepalive_timeout for a connection with no stream
// (sc.mu held): the read deadline moves only when it would come later.
func (sc *h2Conn) idleLocked() {
	ka := sc.lc.grp.def.conf.KeepaliveTimeout
	if ka <= 0 || sc.lc.grp.lean.shutting.Load() {
		sc.goAway = true
		sc.ctrl = appendGoAway(sc.ctrl, sc.maxID, http2.ErrCodeNo)
		return
	}
	sc.idleUntil = time.Since(monoBase) + ka
	if sc.armed > sc.idleUntil {
		sc.armDeadlineLocked(sc.idleUntil)
	}
}

func (sc *h2Conn) armDeadlineLocked(d time.Duration) {
	sc.armed = d
	sc.conn.SetReadDeadline(monoBase.Add(d))
}

// h2Reader is what the Framer reads: the connection, its read going on
// when the deadline passes early (rearm).
type h2Reader struct{ sc *h2Conn }

func (r h2Reader) Read(p []byte) (int, error) {
	for {
		n, err := r.sc.conn.Read(p)
		if n > 0 || err == nil || !isTimeout(err) || !r.sc.rearm() {
			return n, err
		}
	}
}

// rearm is the read deadline passing: false when the connection has had
// no stream open for its whole timeout (the read fails, idleEnded);
// otherwise the deadline is armed again, at the idle timeout's end, or
// while streams are open at the soonest the connection could end.
func (sc *h2Conn) rearm() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	now := time.Since(monoBase)
	switch {
	case len(sc.streams) > 0:
		ka := sc.lc.grp.def.conf.KeepaliveTimeout
		if ka <= 0 {
			ka = headerTimeout(sc.lc.grp) // it ends when its streams do
		}
		sc.armDeadlineLocked(now + ka)
	case now < sc.idleUntil:
		sc.armDeadlineLocked(sc.idleUntil)
	default:
		return false
	}
	// quietConn.Read took the timeout for the client gone, which would
	// drop the close_notify of a graceful close later
	sc.lc.qc.peerGone.Store(false)
	return true
}

// giveBackLocked returns n received bytes to the connection's window,
// in WINDOW_UPDATEs of at least a quarter of it (sc.mu held).
func (sc *h2Conn) giveBackLocked(n int64) {
	sc.recvGiven += n
	if sc.recvGiven >= h2ConnWindow/4 {
		sc.ctrl = appendWindowUpdate(sc.ctrl, 0, uint32(sc.recvGiven))
		sc.recvWin += sc.recvGiven
		sc.recvGiven = 0
	}
}

func appendFrame(b []byte, t http2.FrameType, flags http2.Flags, id uint32, payload ...byte) []byte {
	b = appendFrameHeader(b, len(payload), t, flags, id)
	return append(b, payload...)
}

func appendFrameHeader(b []byte, n int, t http2.FrameType, flags http2.Flags, id uint32) []byte {
	return append(b, byte(n>>16), byte(n>>8), byte(n), byte(t), byte(flags),
		byte(id>>24)&0x7f, byte(id>>16), byte(id>>8), byte(id))
}

func appendSetting(b []byte, id http2.SettingID, v uint32) []byte {
	return append(b, byte(id>>8), byte(id), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendWindowUpdate(b []byte, id, n uint32) []byte {
	return appendFrame(b, http2.FrameWindowUpdate, 0, id, byte(n>>24)&0x7f, byte(n>>16), byte(n>>8), byte(n))
}

func appendGoAway(b []byte, last uint32, code http2.ErrCode) []byte {
	return appendFrame(b, http2.FrameGoAway, 0, 0, byte(last>>24)&0x7f, byte(last>>16), byte(last>>8), byte(last),
		byte(code>>24), byte(code>>16), byte(code>>8), byte(code))
}
