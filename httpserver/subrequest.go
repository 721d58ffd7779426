package httpserver

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/goresty/goresty/ngxapi"
)

// Capture answers ngx.location.capture(_multi): each subrequest goes
// through the same server's locations (rewrite, access, content and the
// filters; no log phase and no access log line, as nginx by default) into
// memory, all of them at once.
func (rq *request) Capture(srs []ngxapi.SubRequest) []ngxapi.SubResponse {
	out := make([]ngxapi.SubResponse, len(srs))
	var wg sync.WaitGroup
	for i := range srs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = rq.subrequest(srs[i])
		}()
	}
	wg.Wait()
	return out
}

func (rq *request) subrequest(sr ngxapi.SubRequest) (resp ngxapi.SubResponse) {
	rec := &recorder{h: http.Header{}}
	r := rq.r.Clone(rq.r.Context())
	r.Method = sr.Method
	u := *rq.r.URL
	u.Path, u.RawPath, u.RawQuery = sr.URI, "", sr.Args
	r.URL = &u
	r.RequestURI = sr.URI
	if sr.Args != "" {
		r.RequestURI += "?" + sr.Args
	}
	r.Body, r.ContentLength = http.NoBody, 0
	r.Header.Del("Content-Length")
	if len(sr.Body) > 0 {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(sr.Body)), int64(len(sr.Body))
		r.Header.Set("Content-Length", strconv.Itoa(len(sr.Body)))
	}
	sub := &request{g: rq.g, r: r, srv: rq.srv, conn: rq.conn, start: time.Now(), wk: rq.wk, subreq: true}
	sub.wv.ResponseWriter = rec
	sub.wv.server = rq.w.server
	sub.w = &sub.wv
	ec := *rq.errConn() // nginx logs the parent's request line and the subrequest's URI
	ec.Subrequest = sr.URI
	sub.ec = &ec
	defer func() {
		if p := recover(); p != nil { // the subrequest asked to close the connection
			rec.status = sub.w.status
			if rec.status == 0 || rec.status == 444 {
				rec.status = http.StatusInternalServerError
			}
		}
		resp = ngxapi.SubResponse{Status: rec.status, Header: rec.h, Body: rec.body.Bytes()}
		if resp.Status == 0 {
			resp.Status = http.StatusOK
		}
	}()
	uri, ok := normalizeURI(sr.URI)
	if !ok {
		sub.errorPage(http.StatusBadRequest)
		return
	}
	sub.uri = uri
	sub.serve(uri, 0)
	sub.endResponse()
	return
}

// recorder keeps a subrequest's response in memory.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
