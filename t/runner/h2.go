package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sendHTTP2 sends one request built by BuildRequest over HTTP/2 (Go's
// net/http client): over TLS with ALPN h2 when topts is set, else
// cleartext with prior knowledge (h2c), as Test::Nginx's "--- http2".
func sendHTTP2(addr, rawReq string, timeout time.Duration, topts *TLSOptions) (*Response, SendResult) {
	var sr SendResult
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rawReq)))
	if err != nil {
		sr.Err = fmt.Errorf("http2: cannot parse the request: %v", err)
		return &Response{}, sr
	}
	body, _ := io.ReadAll(req.Body)
	scheme := "http"
	protos := new(http.Protocols)
	tr := &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	if topts != nil {
		scheme = "https"
		protos.SetHTTP2(true)
		tr.TLSClientConfig = topts.clientConfig()
		tr.ForceAttemptHTTP2 = true
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	tr.Protocols = protos
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, req.Method, scheme+"://"+addr+req.RequestURI, strings.NewReader(string(body)))
	if err != nil {
		sr.Err = err
		return &Response{}, sr
	}
	out.Host = req.Host
	for k, v := range req.Header {
		if strings.EqualFold(k, "Connection") {
			continue
		}
		out.Header[k] = v
	}
	if len(body) > 0 {
		out.ContentLength = int64(len(body))
	}
	resp, err := (&http.Client{Transport: tr}).Do(out)
	if err != nil {
		if ctx.Err() != nil {
			sr.TimedOut = true
		}
		sr.Err = fmt.Errorf("http2: %v", err)
		return &Response{}, sr
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil && ctx.Err() != nil {
		sr.TimedOut = true
	}
	sr.TLS = resp.TLS
	res := &Response{Code: strconv.Itoa(resp.StatusCode), Body: string(data), Protocol: resp.Proto}
	if resp.Proto != "HTTP/2.0" {
		sr.Err = fmt.Errorf("http2: the server answered with %s", resp.Proto)
	}
	var raw strings.Builder
	raw.WriteString(resp.Proto + " " + resp.Status + "\r\n")
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			res.Headers = append(res.Headers, [2]string{k, v})
			raw.WriteString(strings.ToLower(k) + ": " + v + "\r\n")
		}
	}
	if resp.ContentLength >= 0 && resp.Header.Get("Content-Length") == "" && req.Method != "HEAD" {
		// net/http moves Content-Length out of the header map
		cl := strconv.FormatInt(resp.ContentLength, 10)
		res.Headers = append(res.Headers, [2]string{"Content-Length", cl})
		raw.WriteString("content-length: " + cl + "\r\n")
	}
	res.RawHeaders = raw.String()
	return res, sr
}
