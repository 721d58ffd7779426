// Package errlog writes nginx-format error log lines:
//
//	2026/11/24 02:44:09 [error] 1234#0: *5 message, context: ssl_session_store_by_lua*, client: 127.0.0.1, server: 0.0.0.0:443
//
// It owns log levels, level filtering per target and reopening files (USR1).
// It must not import any other goresty package: everything logs through it.
package errlog

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Level is an nginx log level; a smaller value is more severe.
type Level int

const (
	Stderr Level = iota
	Emerg
	Alert
	Crit
	Error
	Warn
	Notice
	Info
	Debug
)

var levelNames = [...]string{"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// ParseLevel maps nginx's level names ("error", "warn", ...) to a Level.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Target is one error_log destination: a file path, "stderr" or a syslog
// server (Path is then the "syslog:..." text as written), and the least
// severe level it accepts.
type Target struct {
	Path   string
	Level  Level
	Syslog Syslog // set for "syslog:" targets
}

type sink struct {
	Target
	mu sync.Mutex
	w  io.Writer
	f  *os.File      // nil for stderr and syslog
	sl *syslogWriter // syslog targets
}

// Conn describes the connection or request a line is about; its fields
// become nginx's "*N ..., context: ..., client: ..., server: ..." parts.
type Conn struct {
	ID      uint64
	Action  string // what nginx was doing, e.g. "logging request": " while <Action>"
	Context string // e.g. "ssl_session_store_by_lua*"
	Client  string
	Server  string
	// InRequest: the line is about a request, whose "server: " nginx
	// prints even when it is empty (a server block without a name); a
	// connection's names its listening address instead
	InRequest bool
	// Listen is the listening address ("0.0.0.0:443") of a request's
	// connection, where Server names its server block: a timer the
	// request creates logs it as its server, as OpenResty's fake
	// connection does.
	Listen  string
	Request string // e.g. "GET / HTTP/1.1"; empty when there is none
	// RequestParts are the method, URI and protocol the request line is
	// made of when Request is empty: a request's Conn names them and the
	// line is only joined when one is logged (none on most requests).
	RequestParts [3]string
	// Subrequest is the URI of an ngx.location.capture subrequest
	// (Request is then its parent's request line).
	Subrequest string
	Upstream   string // the upstream URL of a proxied request's line
	Host       string
}

// Logger is safe for use by many goroutines.
type Logger struct {
	sinks  []*sink
	min    atomic.Int32 // least severe level any sink accepts
	worker int
	now    func() time.Time
	lim    *Limiter // Limited: lines go through it
}

// New opens every target (appending). An empty list logs to stderr at "error".
func New(targets []Target) (*Logger, error) {
	if len(targets) == 0 {
		targets = []Target{{Path: "stderr", Level: Error}}
	}
	l := &Logger{now: time.Now}
	min := Stderr
	for _, t := range targets {
		s := &sink{Target: t}
		if err := s.open(); err != nil {
			l.Close()
			return nil, err
		}
		l.sinks = append(l.sinks, s)
		if t.Level > min {
			min = t.Level
		}
	}
	l.min.Store(int32(min))
	return l, nil
}

// ToWriter returns a logger writing to w at the given level (w standing for
// stderr, e.g. a test's buffer).
func ToWriter(w io.Writer, level Level) *Logger {
	l := &Logger{now: time.Now, sinks: []*sink{{Target: Target{Path: "stderr", Level: level}, w: w}}}
	l.min.Store(int32(level))
	return l
}

// StderrLogger returns a logger writing to stderr at the given level; it cannot fail.
func StderrLogger(level Level) *Logger {
	l, _ := New([]Target{{Path: "stderr", Level: level}})
	return l
}

func (s *sink) open() error {
	if s.Syslog.Addr != "" {
		s.sl = newSyslog(s.Syslog)
		return nil
	}
	if s.Path == "stderr" || s.Path == "" {
		s.w = os.Stderr
		return nil
	}
	f, err := os.OpenFile(s.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open() \"%s\" failed (%s)", s.Path, ErrnoText(err))
	}
	s.f, s.w = f, f
	return nil
}

// ForWorker returns a logger sharing the same files whose lines carry
// "pid#worker" as nginx's "pid#tid" field.
func (l *Logger) ForWorker(id int) *Logger {
	c := &Logger{sinks: l.sinks, worker: id, now: l.now}
	c.min.Store(l.min.Load())
	return c
}

// Limited returns a logger sharing the same files that logs each distinct
// message through lim: once per period, the next line saying how many
// were suppressed (nil stays nil).
func (l *Logger) Limited(lim *Limiter) *Logger {
	if l == nil {
		return nil
	}
	c := &Logger{sinks: l.sinks, worker: l.worker, now: l.now, lim: lim}
	c.min.Store(l.min.Load())
	return c
}

// Enabled reports whether any target accepts the level; callers use it to
// skip building messages nobody will read.
func (l *Logger) Enabled(level Level) bool {
	return l != nil && int32(level) <= l.min.Load()
}

// Log writes msg at level with no connection attached.
func (l *Logger) Log(level Level, msg string) { l.LogConn(level, nil, msg) }

// Logf is Log with formatting.
func (l *Logger) Logf(level Level, format string, args ...any) {
	if l.Enabled(level) {
		l.LogConn(level, nil, fmt.Sprintf(format, args...))
	}
}

// LogConn writes msg at level with the connection's nginx suffixes.
func (l *Logger) LogConn(level Level, c *Conn, msg string) {
	if !l.Enabled(level) {
		return
	}
	if l.lim != nil {
		n, ok := l.lim.Allow(msg)
		if !ok {
			return
		}
		msg += Suffix(n)
	}
	b := make([]byte, 0, 128+len(msg))
	b = l.now().AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, level.String()...)
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(os.Getpid()), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(l.worker), 10)
	b = append(b, ": "...)
	if c != nil && c.ID != 0 {
		b = append(b, '*')
		b = strconv.AppendUint(b, c.ID, 10)
		b = append(b, ' ')
	}
	b = append(b, msg...)
	if c != nil {
		if c.Action != "" {
			b = append(b, " while "...)
			b = append(b, c.Action...)
		}
		if c.Context != "" {
			b = append(b, ", context: "...)
			b = append(b, c.Context...)
		}
		if c.Client != "" {
			b = append(b, ", client: "...)
			b = append(b, c.Client...)
		}
		if c.Server != "" || c.InRequest {
			b = append(b, ", server: "...)
			b = append(b, c.Server...)
		}
		if c.Request != "" {
			b = append(b, ", request: \""...)
			b = append(b, c.Request...)
			b = append(b, '"')
		} else if p := &c.RequestParts; p[0] != "" {
			b = append(b, ", request: \""...)
			b = append(b, p[0]...)
			b = append(b, ' ')
			b = append(b, p[1]...)
			b = append(b, ' ')
			b = append(b, p[2]...)
			b = append(b, '"')
		}
		if c.Subrequest != "" {
			b = append(b, ", subrequest: \""...)
			b = append(b, c.Subrequest...)
			b = append(b, '"')
		}
		if c.Upstream != "" {
			b = append(b, ", upstream: \""...)
			b = append(b, c.Upstream...)
			b = append(b, '"')
		}
		if c.Host != "" {
			b = append(b, ", host: \""...)
			b = append(b, c.Host...)
			b = append(b, '"')
		}
	}
	b = append(b, '\n')
	for _, s := range l.sinks {
		if level <= s.Level {
			s.mu.Lock()
			if s.sl != nil {
				s.sl.send(level, b)
			} else {
				s.w.Write(b)
			}
			s.mu.Unlock()
		}
	}
}

// Reopen reopens every file target (USR1), keeping the old file on failure.
func (l *Logger) Reopen() error {
	var first error
	for _, s := range l.sinks {
		if s.f == nil {
			continue
		}
		f, err := os.OpenFile(s.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("open() \"%s\" failed (%s)", s.Path, ErrnoText(err))
			}
			continue
		}
		s.mu.Lock()
		old := s.f
		s.f, s.w = f, f
		s.mu.Unlock()
		old.Close()
	}
	return first
}

// Close closes the file targets.
func (l *Logger) Close() {
	for _, s := range l.sinks {
		if s.f != nil {
			s.f.Close()
		}
		if s.sl != nil {
			s.mu.Lock()
			s.sl.close()
			s.mu.Unlock()
		}
	}
}
