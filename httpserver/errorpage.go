package httpserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// statusTitles are nginx's page titles where they differ from Go's texts.
var statusTitles = map[int]string{
	401: "401 Authorization Required",
	405: "405 Not Allowed",
	408: "408 Request Time-out",
	414: "414 Request-URI Too Large",
	416: "416 Requested Range Not Satisfiable",
	503: "503 Service Temporarily Unavailable",
	504: "504 Gateway Time-out",
	494: "400 Request Header Or Cookie Too Large",
	495: "400 The SSL certificate error",
	496: "400 No required SSL certificate was sent",
	497: "400 The plain HTTP request was sent to HTTPS port",
}

func statusTitle(code int) string {
	if t, ok := statusTitles[code]; ok {
		return t
	}
	if txt := http.StatusText(code); txt != "" {
		return strconv.Itoa(code) + " " + txt
	}
	return strconv.Itoa(code)
}

// errorPageBody is nginx's built-in page for code; 494-497 (answered as
// 400) carry their own title and say "400 Bad Request" then what it was.
func errorPageBody(code int, tokens bool) string {
	sig := "goresty"
	if tokens {
		sig = "goresty/" + Version
	}
	t := statusTitle(code)
	h1 := "<center><h1>" + t + "</h1></center>\r\n"
	if code >= 494 && code <= 497 {
		h1 = "<center><h1>400 Bad Request</h1></center>\r\n<center>" + strings.TrimPrefix(t, "400 ") + "</center>\r\n"
	}
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n" + h1 +
		"<hr><center>" + sig + "</center>\r\n</body>\r\n</html>\r\n"
}

// errorPage answers with nginx's built-in page for code.
func (rq *request) errorPage(code int) {
	if rq.errorPageRedirect(code) {
		return
	}
	rq.wv.force = 0 // an error while serving an error page: its own status
	h := rq.w.Header()
	shown := code
	if code >= 494 && code <= 497 {
		shown = 400
	}
	body := ""
	if code >= 300 && code != 304 {
		body = errorPageBody(code, rq.settings().ServerTokens)
		h.Set("Content-Type", "text/html")
	}
	switch code {
	case 400, 408, 413, 414, 494, 495, 496, 497, 500, 501:
		h.Set("Connection", "close")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(shown)
	rq.w.status = shown
	if rq.r.Method != http.MethodHead && body != "" {
		io.WriteString(rq.w, body)
	}
}

// errorPageFor is the error_page in effect for code, nil when none.
func (rq *request) errorPageFor(code int) *confparse.ErrorPage {
	var ep *confparse.ErrorPage
	eps := rq.settings().ErrorPages
	for i := range eps {
		for _, c := range eps[i].Codes {
			if c == code {
				ep = &eps[i]
			}
		}
	}
	return ep
}

// errorPageRedirect applies the error_page for code, if any, as nginx:
// a URL is a redirect (302 or =NNN), a URI or @name an internal redirect
// (GET) whose response goes out with code (or =NNN, or its own with "=").
// An error while serving an error page gets the built-in page, unless
// recursive_error_pages is on where the first error happened; then error
// pages follow each other up to nginx's internal redirect limit.
func (rq *request) errorPageRedirect(code int) bool {
	if rq.srv == nil || rq.noErrorPage || rq.w.status != 0 {
		return false
	}
	ep := rq.errorPageFor(code)
	if ep == nil {
		return false
	}
	if !rq.settings().RecursiveErrorPages {
		rq.noErrorPage = true
	}
	if rq.errorPages++; rq.errorPages > maxRedirects {
		rq.noErrorPage = true
		rq.logErr(errlog.Error, "rewrite or internal redirection cycle while internally redirecting to \""+rq.expand(ep.URI)+"\"")
		rq.errorPage(http.StatusInternalServerError)
		return true
	}
	uri := rq.expand(ep.URI)
	if !strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, "@") {
		status := http.StatusFound
		if ep.Response == 301 || ep.Response == 303 || ep.Response == 307 || ep.Response == 308 {
			status = ep.Response
		}
		rq.w.Header().Set("Location", uri)
		rq.errorPage(status)
		return true
	}
	switch ep.Response {
	case 0:
		rq.wv.force = code
	case -1:
	default:
		rq.wv.force = ep.Response
	}
	if rq.r.Method != http.MethodHead {
		rq.r.Method = http.MethodGet
	}
	if p, q, ok := strings.Cut(uri, "?"); ok {
		uri, rq.r.URL.RawQuery = p, q
	}
	rq.captures, rq.capNames = nil, nil
	rq.serve(uri, 1)
	return true
}
