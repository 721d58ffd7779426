package runner

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Test::Nginx's embedded one-shot TCP and UDP servers (--- tcp_listen,
// --- udp_listen): started before the requests of each repetition, they
// take one client (one datagram), record what it sent, send the reply and
// close; --- tcp_query / --- udp_query check what they received.

type mockServer struct {
	mu    sync.Mutex
	query []byte
	done  chan struct{}
	stop  chan struct{}
	close func()
	conn  net.Conn
	errs  []string
}

func (m *mockServer) errorf(f string, a ...any) {
	m.mu.Lock()
	m.errs = append(m.errs, fmt.Sprintf(f, a...))
	m.mu.Unlock()
}

// replies returns the reply strings of a --- tcp_reply / --- udp_reply
// section (a string, or an eval list of strings).
func (br *blockRun) replies(name string) ([]string, bool) {
	s := br.b.Get(name)
	if s == nil {
		return nil, false
	}
	switch s.Value.Kind {
	case KindStr:
		return []string{s.Value.Str}, true
	case KindList:
		var out []string
		for _, v := range s.Value.List {
			out = append(out, v.Str)
		}
		return out, true
	}
	br.t.Fatalf("%s - bad --- %s value", br.label(), name)
	return nil, false
}

func (br *blockRun) secTime(name string) time.Duration {
	s := strings.TrimSpace(br.str(br.b, name))
	if s == "" {
		return 0
	}
	sec, err := parseTime(s)
	if err != nil {
		br.t.Fatalf("--- %s: %v", name, err)
	}
	return time.Duration(sec * float64(time.Second))
}

func listenTarget(target string) (network, addr string, err error) {
	switch {
	case portNumberRe.MatchString(target):
		return "tcp", "127.0.0.1:" + target, nil
	case strings.HasSuffix(target, ".sock"):
		os.Remove(target)
		return "unix", target, nil
	}
	return "", "", fmt.Errorf("bad listen target: %q", target)
}

// startTCP starts the --- tcp_listen server, or returns nil.
func (br *blockRun) startTCP() *mockServer {
	b := br.b
	if !b.Has("tcp_listen") {
		return nil
	}
	target := br.expand(strings.TrimSpace(br.str(b, "tcp_listen")))
	reply, hasReply := br.replies("tcp_reply")
	if !hasReply && !b.Has("tcp_shutdown") {
		br.t.Fatalf("%s - no --- tcp_reply specified but --- tcp_listen is specified", br.label())
	}
	reqLen := 0
	if s := strings.TrimSpace(br.str(b, "tcp_query_len")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			br.t.Fatalf("--- tcp_query_len: %v", err)
		}
		reqLen = n
	} else if s := b.Get("tcp_query"); s != nil && s.Value.Kind == KindStr {
		reqLen = len(s.Value.Str)
	}
	network, addr, err := listenTarget(target)
	if err != nil {
		br.t.Fatalf("%s - --- tcp_listen: %v", br.label(), err)
	}
	var ln net.Listener
	for try := 0; ; try++ {
		ln, err = net.Listen(network, addr)
		if err == nil || try >= 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		br.t.Fatalf("%s - failed to create the tcp listening socket: %v", br.label(), err)
	}
	shutdown := strings.TrimSpace(br.str(b, "tcp_shutdown"))
	shutdownDelay := br.secTime("tcp_shutdown_delay")
	replyDelay := br.secTime("tcp_reply_delay")
	noClose := b.Has("tcp_no_close")
	m := &mockServer{done: make(chan struct{}), stop: make(chan struct{})}
	m.close = func() { ln.Close() }
	go func() {
		defer close(m.done)
		c, err := ln.Accept()
		if err != nil {
			return // closed at the end of the repetition without a client
		}
		m.mu.Lock()
		m.conn = c
		m.mu.Unlock()
		defer c.Close()
		noRead, noWrite := false, false
		if shutdown != "" {
			time.Sleep(shutdownDelay)
			how, _ := strconv.Atoi(shutdown)
			if cr, ok := c.(interface {
				CloseRead() error
				CloseWrite() error
			}); ok {
				if how == 0 || how == 2 {
					cr.CloseRead()
					noRead = true
				}
				if how == 1 || how == 2 {
					cr.CloseWrite()
					noWrite = true
				}
			}
		}
		if !noRead {
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				m.mu.Lock()
				m.query = append(m.query, buf[:n]...)
				got := len(m.query)
				m.mu.Unlock()
				if err != nil || reqLen == 0 || got >= reqLen {
					break
				}
			}
		}
		if replyDelay > 0 {
			select {
			case <-time.After(replyDelay):
			case <-m.stop:
				return
			}
		}
		if !noWrite {
			for _, r := range reply {
				if _, err := c.Write([]byte(r)); err != nil {
					m.errorf("WARNING: tcp server failed to send reply: %v", err)
					break
				}
			}
		}
		if noClose {
			<-m.stop
		}
	}()
	return m
}

// startUDP starts the --- udp_listen server, or returns nil.
func (br *blockRun) startUDP() *mockServer {
	b := br.b
	if !b.Has("udp_listen") {
		return nil
	}
	target := br.expand(strings.TrimSpace(br.str(b, "udp_listen")))
	reply, ok := br.replies("udp_reply")
	if !ok {
		br.t.Fatalf("%s - no --- udp_reply specified but --- udp_listen is specified", br.label())
	}
	network, addr := "udp", "127.0.0.1:"+target
	if strings.HasSuffix(target, ".sock") {
		os.Remove(target)
		network, addr = "unixgram", target
	} else if !portNumberRe.MatchString(target) {
		br.t.Fatalf("%s - bad udp_listen target: %q", br.label(), target)
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		br.t.Fatalf("%s - failed to create the udp listening socket: %v", br.label(), err)
	}
	replyDelay := br.secTime("udp_reply_delay")
	m := &mockServer{done: make(chan struct{}), stop: make(chan struct{})}
	m.close = func() {
		pc.Close()
		if network == "unixgram" {
			os.Remove(target)
		}
	}
	go func() {
		defer close(m.done)
		buf := make([]byte, 65536)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		m.mu.Lock()
		m.query = append(m.query, buf[:n]...)
		m.mu.Unlock()
		if replyDelay > 0 {
			select {
			case <-time.After(replyDelay):
			case <-m.stop:
				return
			}
		}
		for _, r := range reply {
			if _, err := pc.WriteTo([]byte(r), from); err != nil {
				m.errorf("WARNING: udp server failed to send reply: %v", err)
			}
		}
	}()
	return m
}

// finish stops a mock server and checks --- <kind>_query and
// --- <kind>_query_len against what it received.
func (br *blockRun) finishMock(m *mockServer, kind string, rep int) {
	if m == nil {
		return
	}
	close(m.stop)
	m.close()
	m.mu.Lock()
	if m.conn != nil {
		m.conn.SetDeadline(time.Now())
	}
	m.mu.Unlock()
	<-m.done
	for _, e := range m.errs {
		br.t.Logf("%s - %s", br.label(), e)
	}
	got := string(m.query)
	if s := br.b.Get(kind + "_query"); s != nil {
		switch s.Value.Kind {
		case KindRegex:
			if !s.Value.Re.MatchString(got) {
				br.t.Errorf("%s - %s_query ok (repeat %d):\ngot: %q\nwant like: %s", br.label(), kind, rep, got, s.Value)
			}
		default:
			if got != s.Value.Str {
				br.t.Errorf("%s - %s_query ok (repeat %d):\ngot:  %q\nwant: %q", br.label(), kind, rep, got, s.Value.Str)
			}
		}
	}
	if s := strings.TrimSpace(br.str(br.b, kind+"_query_len")); s != "" {
		if strconv.Itoa(len(got)) != s {
			br.t.Errorf("%s - %s query length ok (repeat %d): got %d, want %s", br.label(), kind, rep, len(got), s)
		}
	}
}

var portNumberRe = regexp.MustCompile(`^\d+$`)
