package httpserver

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// A proxied request that asks for a protocol switch (an Upgrade header,
// e.g. a websocket handshake with nginx's documented
//
//	proxy_http_version 1.1;
//	proxy_set_header Upgrade $http_upgrade;
//	proxy_set_header Connection "upgrade";
//
// ) and that the upstream answers with 101 Switching Protocols becomes a
// tunnel, as nginx's upgraded connection: the 101 goes to the client,
// then the bytes go both ways as they come until either side closes or
// fails. proxy_read_timeout bounds each wait for the upstream's bytes
// (an idle tunnel ends after it, as in nginx), proxy_send_timeout each
// write to the upstream (upstreamConn), send_timeout each write to the
// client. HTTP/2 clients cannot ask (nginx
// proxies no websocket over HTTP/2 either).

// upgraded is the upstream's connection when resp switches the protocol
// the client asked to switch; false otherwise (nginx's u->upgrade).
func upgraded(r *http.Request, resp *http.Response) (io.ReadWriteCloser, bool) {
	if resp.StatusCode != http.StatusSwitchingProtocols || r.ProtoMajor != 1 || r.Header.Get("Upgrade") == "" {
		return nil, false
	}
	// net/http hands over the connection of a 101 whose Connection
	// says "upgrade"
	up, ok := resp.Body.(io.ReadWriteCloser)
	return up, ok
}

// switchingHeader is nginx's header filter for a 101: "Connection:
// upgrade", no keepalive fields.
func switchingHeader(h http.Header) {
	h.Del("Keep-Alive")
	h["Connection"] = []string{"upgrade"}
}

// tunnel sends the 101 and relays the two connections until one ends;
// what went to the client counts in $body_bytes_sent, as nginx's.
func (rq *request) tunnel(resp *http.Response, up io.ReadWriteCloser, st *confparse.Settings, upstream string) {
	defer up.Close()
	rq.relayHeader(resp)
	rq.w.WriteHeader(http.StatusSwitchingProtocols)
	down, rw, err := http.NewResponseController(rq.w).Hijack()
	if err != nil {
		rq.logErr(errlog.Error, "goresty: cannot take the client connection for the upgraded one: "+err.Error())
		return
	}
	defer down.Close()
	rto := st.ProxyReadTimeout
	if rto <= 0 {
		rto = 60 * time.Second
	}
	var upTimedOut atomic.Bool
	ended := make(chan error, 1)
	go func() { // the client's bytes to the upstream
		_, err := io.Copy(up, rw.Reader)
		ended <- err
		down.Close()
		up.Close()
	}()
	// the upstream's bytes to the client, each write within send_timeout
	timer := time.AfterFunc(rto, func() { upTimedOut.Store(true); up.Close() })
	buf := make([]byte, 16<<10)
	var sent int64
	var werr error
	for {
		n, err := up.Read(buf)
		timer.Stop()
		if n > 0 {
			if st.SendTimeout > 0 {
				down.SetWriteDeadline(time.Now().Add(st.SendTimeout))
			}
			var k int
			k, werr = down.Write(buf[:n])
			if sent += int64(k); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
		timer.Reset(rto)
	}
	timer.Stop()
	down.Close()
	up.Close()
	upErr := <-ended
	rq.w.bytes += sent
	// at [info], as nginx logs the client connection's errors
	var ne net.Error
	switch {
	case errors.As(werr, &ne) && ne.Timeout():
		rq.logUpstream(errlog.Info, "client timed out (110: Connection timed out) while proxying upgraded connection", upstream)
	case upTimedOut.Load() || errors.As(upErr, &ne) && ne.Timeout():
		rq.logUpstream(errlog.Info, "upstream timed out (110: Connection timed out) while proxying upgraded connection", upstream)
	}
}
