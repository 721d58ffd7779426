package errlog

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func udpListener(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recvDatagram(t *testing.T, c net.PacketConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

// TestSyslog: one datagram per line, "<PRI>Mmm dd hh:mm:ss HOST TAG: " then
// the error log line, PRI = facility*8 + severity (the line's level), only
// lines at or above the target's level.
func TestSyslog(t *testing.T) {
	c := udpListener(t)
	l, err := New([]Target{
		{Path: "syslog:a", Level: Warn, Syslog: Syslog{Network: "udp", Addr: c.LocalAddr().String(), Facility: 19, Tag: "gr_t"}},
		{Path: "syslog:b", Level: Error, Syslog: Syslog{Network: "udp", Addr: c.LocalAddr().String(), Facility: SyslogFacilityLocal7, Tag: "nginx", NoHostname: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	host, _ := os.Hostname()
	l.Log(Info, "not sent")
	l.Log(Warn, "a warning")
	l.LogConn(Error, &Conn{ID: 7, Client: "127.0.0.1"}, "an error")
	stamp := `[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d `
	line := `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(warn|error)\] \d+#0: `
	for i, want := range []string{
		`<156>` + stamp + regexp.QuoteMeta(strings.ToLower(host)) + ` gr_t: ` + line + `a warning`,
		`<155>` + stamp + regexp.QuoteMeta(strings.ToLower(host)) + ` gr_t: ` + line + `\*7 an error, client: 127\.0\.0\.1`,
		`<187>` + stamp + `nginx: ` + line + `\*7 an error, client: 127\.0\.0\.1`,
	} {
		got := recvDatagram(t, c)
		if !regexp.MustCompile(`\A` + want + `\z`).MatchString(got) {
			t.Errorf("datagram %d: %q\nwant %s", i, got, want)
		}
	}
}

// TestSyslogUnixReconnect: a unix datagram socket that is missing when
// the logger starts, and recreated later, gets the lines sent after that.
func TestSyslogUnixReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	l, err := New([]Target{{Path: "syslog:u", Level: Error, Syslog: Syslog{Network: "unixgram", Addr: path, Facility: SyslogFacilityLocal7, Tag: "nginx", NoHostname: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Log(Error, "lost: nobody listens")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l.Log(Error, "received")
	if got := recvDatagram(t, c); !strings.HasPrefix(got, "<187>") || !strings.HasSuffix(got, ": received") {
		t.Fatalf("got %q", got)
	}
}
