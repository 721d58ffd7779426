package httpserver

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// rwResult is how a run of rewrite-module steps ended.
type rwResult int

const (
	rwNext rwResult = iota // all ran: the next phase follows
	rwStop                 // "break", or a rewrite's last/break flag
	rwDone                 // answered (return, a redirect, set_by_lua* failing)
)

// rewrite runs a level's rewrite-module steps (set, return, rewrite,
// break, if, set_by_lua*) in order; true when one answered the request.
func (rq *request) rewrite(steps []confparse.RewriteStep) bool {
	return rq.runSteps(steps) == rwDone
}

func (rq *request) runSteps(steps []confparse.RewriteStep) rwResult {
	for i := range steps {
		st := &steps[i]
		if ifb := st.If; ifb != nil {
			if !rq.condition(&ifb.Cond) {
				continue
			}
			if ifb.Loc != nil && rq.loc != nil {
				// "if in location": the block's configuration from now on
				rq.loc = &location{conf: ifb.Loc, re: rq.loc.re}
			}
			if res := rq.runSteps(ifb.Steps); res != rwNext {
				return res
			}
			continue
		}
		if st.Break {
			return rwStop
		}
		if rw := st.Rewrite; rw != nil {
			m := rw.Re.FindStringSubmatch(rq.uri)
			rq.logMatch(rw.Re.String(), rq.uri, m != nil)
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
				rq.rewriteLog(`rewritten redirect: "` + repl + `"`)
				rq.w.Header().Set("Location", repl)
				rq.errorPage(code)
				return rwDone
			}
			// a "?" in the replacement gives new arguments (the old ones
			// follow unless it ends with "?")
			if p, q, ok := strings.Cut(repl, "?"); ok {
				if q != "" && rq.r.URL.RawQuery != "" && !strings.HasSuffix(repl, "?") {
					q += "&" + rq.r.URL.RawQuery
				}
				repl, rq.r.URL.RawQuery = p, q
			}
			rq.rewriteLog(`rewritten data: "` + repl + `", args: "` + rq.r.URL.RawQuery + `"`)
			rq.uri = repl
			rq.uriChanged = true
			rq.internal = true // as nginx's regex start code
			switch rw.Flag {
			case "last":
				rq.rewriteLast = true
				return rwStop
			case "break":
				rq.uriChanged = false // stays in this location
				return rwStop
			}
			continue
		}
		if st.SetLua != nil {
			if !rq.setByLua(st.SetLua) {
				return rwDone
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
			return rwDone
		}
	}
	return rwNext
}

// rewriteLog logs msg at notice under rewrite_log on, as nginx.
func (rq *request) rewriteLog(msg string) {
	if rq.settings().RewriteLog {
		rq.logErr(errlog.Notice, msg)
	}
}

// logMatch is rewrite_log's line for a regular expression tried on s.
func (rq *request) logMatch(re, s string, matched bool) {
	if !rq.settings().RewriteLog {
		return
	}
	how := `" matches "`
	if !matched {
		how = `" does not match "`
	}
	rq.logErr(errlog.Notice, `"`+re+how+s+`"`)
}

// condition evaluates an "if" condition as nginx's rewrite module: a
// variable is false when empty or "0"; a matching regular expression sets
// the captures ($1..$9, named) even for the negated forms; the file tests
// follow symbolic links (stat), -x is the owner's execute bit.
func (rq *request) condition(c *confparse.Condition) bool {
	switch c.Op {
	case "":
		v := rq.expand(c.Var)
		return v != "" && v != "0"
	case "=":
		return rq.expand(c.Var) == rq.expand(c.Value)
	case "!=":
		return rq.expand(c.Var) != rq.expand(c.Value)
	case "~", "~*", "!~", "!~*":
		v := rq.expand(c.Var)
		m := c.Re.FindStringSubmatch(v)
		rq.logMatch(c.Value, v, m != nil)
		if m != nil {
			rq.captures, rq.capNames = m, c.Re.SubexpNames()
		}
		return (m != nil) != (c.Op[0] == '!')
	}
	st, err := os.Stat(rq.expand(c.Value))
	ok := err == nil
	if ok {
		switch c.Op[len(c.Op)-1] {
		case 'f':
			ok = st.Mode().IsRegular()
		case 'd':
			ok = st.IsDir()
		case 'x':
			ok = st.Mode()&0o100 != 0
		}
	}
	return ok != (c.Op[0] == '!')
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
