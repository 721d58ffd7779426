package errlog

import (
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Syslog is an nginx "syslog:" error log target: each line is sent as one
// RFC 3164 datagram, "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: " followed by the
// error log line (its own time, level and pid included, as nginx sends it).
// The zero value means "not syslog".
type Syslog struct {
	Network    string // "udp" or "unixgram"
	Addr       string // "host:port" (resolved) or the socket path
	Facility   int    // 0-23; nginx's default is local7 (23)
	Tag        string // default "nginx"
	NoHostname bool
	Severity   Level // access_log lines' severity (severity=; default info); error_log lines carry their level
}

// SyslogSender sends access log lines to a syslog server, one datagram
// each, with the target's severity. Its caller serializes Send and Close.
type SyslogSender struct{ w *syslogWriter }

func NewSyslogSender(s Syslog) *SyslogSender { return &SyslogSender{newSyslog(s)} }

// Send sends one line (ending with "\n").
func (s *SyslogSender) Send(line []byte) {
	sev := s.w.cfg.Severity
	if sev == Stderr {
		sev = Info
	}
	s.w.send(sev, line)
}

func (s *SyslogSender) Close() { s.w.close() }

// SyslogFacilities are nginx's facility names, by number.
var SyslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// SyslogFacilityLocal7 is nginx's default facility.
const SyslogFacilityLocal7 = 23

// syslogWriter sends each line as a datagram. As nginx, it connects when
// it has something to send and, after a failed send, reconnects for the
// next line (a syslog daemon restarted, /dev/log recreated); lost lines are
// not reported: the log has nowhere else to go.
type syslogWriter struct {
	cfg  Syslog
	conn net.Conn // nil: not connected
	host string
	now  func() time.Time
}

func newSyslog(s Syslog) *syslogWriter {
	host := ""
	if !s.NoHostname {
		host, _ = os.Hostname()
		host = strings.ToLower(host)
	}
	return &syslogWriter{cfg: s, host: host, now: time.Now}
}

func (w *syslogWriter) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// send writes one line at level (the caller holds the sink's lock).
func (w *syslogWriter) send(level Level, line []byte) {
	if w.conn == nil {
		c, err := net.Dial(w.cfg.Network, w.cfg.Addr)
		if err != nil {
			return
		}
		w.conn = c
	}
	sev := int(level) - 1 // emerg = 0 ... debug = 7
	if sev < 0 {
		sev = 0
	}
	b := make([]byte, 0, 64+len(line))
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(w.cfg.Facility*8+sev), 10)
	b = append(b, '>')
	b = w.now().AppendFormat(b, "Jan _2 15:04:05")
	b = append(b, ' ')
	if !w.cfg.NoHostname {
		b = append(b, w.host...)
		b = append(b, ' ')
	}
	b = append(b, w.cfg.Tag...)
	b = append(b, ": "...)
	b = append(b, line[:len(line)-1]...) // without its "\n"
	if _, err := w.conn.Write(b); err != nil {
		w.close()
	}
}
