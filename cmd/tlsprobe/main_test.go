package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

const certDir = "../../t/cert"

// newServer starts a local crypto/tls HTTPS server with the test ECDSA
// certificate; key fixes the session ticket key so two servers can share it.
func newServer(t *testing.T, key [32]byte, maxVersion uint16) *httptest.Server {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, "ecdsa.crt"), filepath.Join(certDir, "ecdsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s %s", r.Host, r.URL.Path)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MaxVersion:   maxVersion,
	}
	srv.TLS.SetSessionTicketKeys([][32]byte{key})
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func addr(srv *httptest.Server) string { return srv.Listener.Addr().String() }

func probeOut(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != wantCode {
		t.Fatalf("tlsprobe %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), code, wantCode, errb.String())
	}
	return out.String()
}

func TestResumption(t *testing.T) {
	srv := newServer(t, [32]byte{1}, 0)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tls12", []string{"-tls1_2", "-n", "3"},
			"New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n" +
				"Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n" +
				"Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n"},
		{"tls13", []string{"-tls1_3", "-n", "3"},
			"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n" +
				"Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n" +
				"Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n"},
		{"default is tls13", []string{"-n", "2"},
			"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n" +
				"Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n"},
		{"no_ticket tls12", []string{"-tls1_2", "-n", "2", "-no_ticket"},
			"New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n" +
				"New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\n"},
		{"no_ticket tls13", []string{"-tls1_3", "-n", "2", "-no_ticket"},
			"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n" +
				"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n"},
		{"verified with ca and sni", []string{"-tls1_3", "-n", "2", "-ca", filepath.Join(certDir, "ca.crt"), "-servername", "a.test"},
			"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n" +
				"Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-connect", addr(srv)}, tc.args...)
			if !contains(tc.args, "-ca") {
				args = append(args, "-insecure")
			}
			if got := probeOut(t, 0, args...); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A session written by one run is offered by another, to the same server, to
// a server sharing its ticket key, and to one that does not.
func TestSessionFile(t *testing.T) {
	a := newServer(t, [32]byte{7}, 0)
	same := newServer(t, [32]byte{7}, 0)
	other := newServer(t, [32]byte{8}, 0)
	for _, ver := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(ver, func(t *testing.T) {
			sess := filepath.Join(t.TempDir(), "sess.pem")
			out := probeOut(t, 0, "-connect", addr(a), ver, "-ca", filepath.Join(certDir, "ca.crt"), "-servername", "a.test", "-sess_out", sess)
			if !strings.HasPrefix(out, "New, ") {
				t.Fatalf("first connection: %q", out)
			}
			for _, tc := range []struct {
				srv  *httptest.Server
				sni  string
				want string
			}{
				{a, "a.test", "Reused, "},
				{same, "b.test", "Reused, "},
				{other, "a.test", "New, "},
			} {
				out := probeOut(t, 0, "-connect", addr(tc.srv), ver, "-ca", filepath.Join(certDir, "ca.crt"), "-servername", tc.sni, "-sess_in", sess)
				if !strings.HasPrefix(out, tc.want) {
					t.Errorf("%s via %s: got %q, want prefix %q", tc.sni, addr(tc.srv), out, tc.want)
				}
			}
		})
	}
}

func TestRequest(t *testing.T) {
	srv := newServer(t, [32]byte{2}, 0)
	out := probeOut(t, 0, "-connect", addr(srv), "-insecure", "-servername", "test.com", "-n", "2", "-request", "GET /x")
	want := "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\nHTTP/1.1 200 OK\nhello test.com /x\n" +
		"Reused, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256\nHTTP/1.1 200 OK\nhello test.com /x\n"
	if out != want {
		t.Errorf("got:\n%swant:\n%s", out, want)
	}
	out = probeOut(t, 0, "-connect", addr(srv), "-insecure", "-tls1_2", "-request", `GET /raw HTTP/1.0\r\nHost: h.test\r\n\r\n`)
	want = "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256\nHTTP/1.0 200 OK\nhello h.test /raw\n"
	if out != want {
		t.Errorf("raw request: got:\n%swant:\n%s", out, want)
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t, [32]byte{3}, tls.VersionTLS12)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown CA", []string{"-connect", addr(srv)}, 1, "certificate signed by unknown authority"},
		{"version mismatch", []string{"-connect", addr(srv), "-insecure", "-tls1_3"}, 1, "protocol version"},
		{"no ticket to write", []string{"-connect", addr(srv), "-insecure", "-no_ticket", "-sess_out", filepath.Join(t.TempDir(), "s")}, 1, "no session to write"},
		{"bad session file", []string{"-connect", addr(srv), "-insecure", "-sess_in", "main.go"}, 1, "not a tlsprobe session file"},
		{"both versions", []string{"-tls1_2", "-tls1_3"}, 2, "exclude each other"},
		{"bad n", []string{"-n", "0"}, 2, "-n must be at least 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.err) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.err)
			}
		})
	}
}

func TestCipherNames(t *testing.T) {
	for id, name := range map[uint16]string{
		tls.TLS_AES_256_GCM_SHA384:                "TLS_AES_256_GCM_SHA384",
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
	} {
		if got := cipherName(id); got != name {
			t.Errorf("cipherName(%#x) = %q, want %q", id, got, name)
		}
	}
}
