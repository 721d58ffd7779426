package tlssession

import (
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serve accepts TLS connections on loopback, writes a line after the
// handshake (so a TLS 1.3 client reads the ticket) and closes.
func serve(t *testing.T, cfg *tls.Config) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				c.Write([]byte("hello\n"))
			}()
		}
	}()
	return ln.Addr().String()
}

// sClient runs openssl s_client and returns "New" or "Reused".
func sClient(t *testing.T, addr, version, sess string, in bool, extra ...string) string {
	args := []string{"s_client", "-connect", addr, "-servername", "test.com", "-" + version, "-ign_eof"}
	args = append(args, extra...)
	if in {
		args = append(args, "-sess_in", sess)
	} else {
		args = append(args, "-sess_out", sess)
	}
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Reused,") {
			return "Reused"
		}
		if strings.HasPrefix(l, "New,") {
			return "New"
		}
	}
	t.Fatalf("no New/Reused line:\n%s", out)
	return ""
}

func TestOpenSSLClientResumes(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	for _, ver := range []string{"tls1_2", "tls1_3"} {
		t.Run(ver, func(t *testing.T) {
			e := newLuaEnv(t, storeLua, fetchLua, nil)
			a := serve(t, e.server(nil, "a"))
			b := serve(t, e.server(nil, "b"))
			sess := filepath.Join(t.TempDir(), "sess.pem")
			if got := sClient(t, a, ver, sess, false); got != "New" {
				t.Fatalf("first: %s", got)
			}
			if got := sClient(t, a, ver, sess, true); got != "Reused" {
				t.Fatalf("second: %s", got)
			}
			// The same session offered to another server block: full handshake.
			if got := sClient(t, b, ver, sess, true); got != "New" {
				t.Fatalf("cross-vhost: %s", got)
			}
			if e.c.Foreign.Load() != 1 {
				t.Errorf("foreign = %d", e.c.Foreign.Load())
			}
		})
	}
}

// A client refusing tickets (-no_ticket) cannot resume: crypto/tls has no
// session-id cache, so it gets full handshakes (documented in README).
func TestOpenSSLNoTicketGetsFullHandshakes(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	e := newLuaEnv(t, storeLua, fetchLua, nil)
	a := serve(t, e.server(nil, "a"))
	sess := filepath.Join(t.TempDir(), "sess.pem")
	if got := sClient(t, a, "tls1_2", sess, false, "-no_ticket"); got != "New" {
		t.Fatalf("first: %s", got)
	}
	// openssl writes no session file: the session is not resumable.
	if _, err := os.Stat(sess); err == nil {
		if got := sClient(t, a, "tls1_2", sess, true, "-no_ticket"); got != "New" {
			t.Fatalf("second: %s", got)
		}
	}
	if e.c.Stored.Load() != 0 {
		t.Errorf("stored = %d", e.c.Stored.Load())
	}
}
