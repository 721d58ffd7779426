package httpserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/goresty/goresty/confparse"
)

// rewrite runs "set" and "return" steps; true when a return answered.
func (rq *request) rewrite(steps []confparse.RewriteStep) bool {
	for _, st := range steps {
		if rw := st.Rewrite; rw != nil {
			m := rw.Re.FindStringSubmatch(rq.uri)
			if m == nil {
				continue
			}
			rq.captures, rq.capNames = m, rw.Re.SubexpNames()
			repl := rq.expand(rw.Replacement)
			if rw.Flag == "redirect" || rw.Flag == "permanent" || strings.HasPrefix(repl, "http://") || strings.HasPrefix(repl, "https://") {
				code := http.StatusFound
				if rw.Flag == "permanent" {
					code = http.StatusMovedPermanently
				}
				if !strings.HasSuffix(repl, "?") && rq.r.URL.RawQuery != "" && !strings.Contains(repl, "?") {
					repl += "?" + rq.r.URL.RawQuery
				}
				repl = strings.TrimSuffix(repl, "?")
				if strings.HasPrefix(repl, "/") {
					repl = rq.absoluteURL(repl)
				}
				rq.w.Header().Set("Location", repl)
				rq.errorPage(code)
				return true
			}
			// a "?" in the replacement gives new arguments (the old ones
			// follow unless it ends with "?")
			if p, q, ok := strings.Cut(repl, "?"); ok {
				if q != "" && rq.r.URL.RawQuery != "" && !strings.HasSuffix(repl, "?") {
					q += "&" + rq.r.URL.RawQuery
				}
				repl, rq.r.URL.RawQuery = p, q
			}
			rq.uri = repl
			rq.uriChanged = true
			rq.internal = true // as nginx's regex start code
			switch rw.Flag {
			case "last":
				rq.rewriteLast = true
				return false
			case "break":
				rq.uriChanged = false // stays in this location
				return false
			}
			continue
		}
		if st.SetLua != nil {
			if !rq.setByLua(st.SetLua) {
				return true
			}
			continue
		}
		if st.Set != nil {
			if rq.vars == nil {
				rq.vars = map[string]string{}
			}
			rq.vars[st.Set.Name] = rq.expand(st.Set.Value)
			continue
		}
		if ret := st.Return; ret != nil {
			rq.doReturn(ret)
			return true
		}
	}
	return false
}

func (rq *request) doReturn(ret *confparse.Return) {
	code := ret.Code
	text := rq.expand(ret.Text)
	if code == 444 {
		rq.w.status = 444
		panic(http.ErrAbortHandler)
	}
	h := rq.w.Header()
	if code >= 301 && code <= 308 && code != 304 && code != 305 && code != 306 {
		if text != "" {
			if strings.HasPrefix(text, "/") {
				text = rq.absoluteURL(text)
			}
			h.Set("Location", text)
		}
		rq.errorPage(code)
		return
	}
	if ret.Text == "" && code >= 400 {
		rq.errorPage(code)
		return
	}
	rq.setDefaultType()
	h.Set("Content-Length", strconv.Itoa(len(text)))
	rq.w.WriteHeader(code)
	if rq.r.Method != http.MethodHead {
		io.WriteString(rq.w, text)
	}
}

// addHeaders applies the add_header directives in effect: for the
// statuses nginx lists, or any with "always"; an empty value adds nothing.
func (rq *request) addHeaders(code int, h http.Header) {
	if rq == nil || rq.srv == nil {
		return
	}
	hs := rq.settings().AddHeaders
	if len(hs) == 0 {
		return
	}
	listed := false
	switch code {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		listed = true
	}
	for _, a := range hs {
		if !listed && !a.Always {
			continue
		}
		if v := rq.expand(a.Value); v != "" {
			h.Add(a.Name, v)
		}
	}
}
