package httpserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestLeanExchangeReuse: exchanges are pooled with the handler's request
// and Lua context (leanExchanges), and a request sees nothing of an
// earlier one's on the same connection: not its header fields or
// arguments, not its ngx.ctx, status or response headers.
func TestLeanExchangeReuse(t *testing.T) {
	plain, _, _ := startServer(t, reuseConf, 0)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", plain))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	checkReuse(t, func(target string, hdr ...string) *http.Response {
		t.Helper()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n", target)
		for i := 0; i < len(hdr); i += 2 {
			fmt.Fprintf(c, "%s: %s\r\n", hdr[i], hdr[i+1])
		}
		io.WriteString(c, "\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// TestH2StreamSlotsReuse: TestLeanExchangeReuse over HTTP/2, whose pooled
// streams hold the handler's request and first Lua context.
func TestH2StreamSlotsReuse(t *testing.T) {
	_, secure, _ := startServer(t, reuseConf, 0)
	tr := &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	checkReuse(t, func(target string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", fmt.Sprintf("https://127.0.0.1:%d%s", secure, target), nil)
		for i := 0; i < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s over %s", target, resp.Proto)
		}
		return resp
	})
}

// reuseConf answers with what its Lua sees of earlier requests.
const reuseConf = `
    access_log off;
    server {
        listen 127.0.0.1:%[1]d;
        listen 127.0.0.1:%[2]d ssl http2;
        ssl_certificate %[3]s/ecdsa.crt;
        ssl_certificate_key %[3]s/ecdsa.key;
        keepalive_requests 1000;
        location = /lua {
            content_by_lua_block {
                local seen = {}
                if ngx.req.get_headers()["x-only-first"] then seen[#seen+1] = "header" end
                if ngx.var.arg_q then seen[#seen+1] = "arg" end
                if ngx.ctx.mark then seen[#seen+1] = "ctx" end
                if ngx.header["X-Resp"] then seen[#seen+1] = "resp-header" end
                if ngx.status ~= 0 then seen[#seen+1] = "status" end
                ngx.ctx.mark = true
                ngx.header["X-Resp"] = ngx.var.arg_q
                ngx.status = tonumber(ngx.var.arg_status) or 200
                ngx.say("seen:", table.concat(seen, ","))
            }
        }
    }`

func checkReuse(t *testing.T, get func(target string, hdr ...string) *http.Response) {
	t.Helper()
	read := func(resp *http.Response) (int, http.Header, string) {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header, strings.TrimSpace(string(b))
	}
	for i := 0; i < 10; i++ {
		if code, h, body := read(get("/lua?q=1&status=201", "X-Only-First", "1")); code != 201 || h.Get("X-Resp") != "1" || body != "seen:header,arg" {
			t.Fatalf("round %d, first request: %d %q %q", i, code, h.Get("X-Resp"), body)
		}
		if code, h, body := read(get("/lua")); code != 200 || h["X-Resp"] != nil || body != "seen:" {
			t.Fatalf("round %d, second request: %d %q %q", i, code, h["X-Resp"], body)
		}
	}
}

// TestLeanExchangeWatched: a request whose context's Done channel was
// handed out (context.WithCancel, proxy_pass's Transport) does not give
// its exchange to a later request: that context stays canceled while
// later requests run, and they see nothing of the earlier ones'.
func TestLeanExchangeWatched(t *testing.T) {
	var watched []context.Context
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var seen []string
		for k := range r.Header {
			if strings.HasPrefix(k, "X-") {
				seen = append(seen, k)
			}
		}
		if r.Form != nil || r.Context().Err() != nil {
			seen = append(seen, "request state left over")
		}
		for _, ctx := range watched {
			if ctx == r.Context() || ctx.Err() == nil {
				seen = append(seen, "an earlier request's watched context used again")
				break
			}
		}
		r.Form = map[string][]string{"a": {"1"}}
		r.Header.Set("X-Set-By-Handler", "1")
		if r.URL.Path == "/take" {
			r.Context().Done()
			watched = append(watched, r.Context())
		}
		io.WriteString(w, "seen:"+strings.Join(seen, ",")+";")
	})
	var raw strings.Builder
	for i := 0; i < 10; i++ {
		raw.WriteString("GET /a HTTP/1.1\r\nHost: x\r\nX-Only-First: 1\r\n\r\n")
		raw.WriteString("GET /take HTTP/1.1\r\nHost: x\r\n\r\n")
		raw.WriteString("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	raw.WriteString("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	out := leanOver(t, h, raw.String())
	if got, want := strings.Count(out, "seen:X-Only-First;"), 10; got != want {
		t.Fatalf("%d answers saw only their own header, want %d: %q", got, want, out)
	}
	if got, want := strings.Count(out, "seen:;"), 21; got != want {
		t.Fatalf("%d answers saw nothing of earlier requests, want %d: %q", got, want, out)
	}
	for i, ctx := range watched {
		if ctx.Err() != context.Canceled {
			t.Fatalf("context of /take %d: Err %v after its request ended", i, ctx.Err())
		}
		select {
		case <-ctx.Done():
		default:
			t.Fatalf("context of /take %d: Done open after its request ended", i)
		}
	}
}

// TestLeanDoneAtEnd: a handler that takes its context's Done channel and
// returns at once: the client watcher (started then, run later) must not
// undo the wake-up the handler's end gave it, and the connection closes
// after its "Connection: close" answer (it hung before).
func TestLeanDoneAtEnd(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Context().Done()
		io.WriteString(w, "ok")
	})
	out := leanOver(t, h, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if strings.Count(out, "\r\n\r\nok") != 2 {
		t.Fatalf("answers: %q", out)
	}
}
