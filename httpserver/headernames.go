package httpserver

import (
	"net/http"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// nginx takes a request header line only when its name is made of
// letters, digits and "-" ("_" too with underscores_in_headers on); a
// line with any other byte in its name is ignored, with an [info] line
// ("client sent invalid header line"), unless ignore_invalid_headers is
// off; a space or control byte in a name refuses the request (400).
// net/http takes "_" and "." and refuses "@", so the lean parser sorts
// the names itself, and the handler drops from the requests others parsed
// (net/http after a hand-over, HTTP/2) what nginx would have ignored.

// Kinds of header names.
const (
	nameOK      = iota
	nameInvalid // ignored unless ignore_invalid_headers off
	nameBad     // the request is refused
)

// nameBytes: 0 taken, 1 "_", 2 invalid, 3 refused.
var nameBytes = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case c == '_':
			t[c] = 1
		case c <= 0x20 || c == 0x7f:
			t[c] = 3
		default:
			t[c] = 2
		}
	}
	return t
}()

// headerNameKind sorts a header name by nginx's rules.
func headerNameKind(name string, hn confparse.HeaderNames) int {
	if name == "" {
		return nameBad
	}
	kind := nameOK
	for i := 0; i < len(name); i++ {
		switch nameBytes[name[i]] {
		case 1:
			if !hn.UnderscoresInHeaders {
				kind = nameInvalid
			}
		case 2:
			kind = nameInvalid
		case 3:
			return nameBad
		}
	}
	if kind == nameInvalid && hn.KeepInvalidHeaders {
		return nameOK
	}
	return kind
}

// dropInvalidHeaders removes from a request another parser read the
// header lines nginx would have ignored, logging each as nginx does.
func (rq *request) dropInvalidHeaders(hn confparse.HeaderNames) {
	for k, vs := range rq.r.Header {
		if headerNameKind(k, hn) != nameInvalid {
			continue
		}
		for _, v := range vs {
			rq.logErr(errlog.Info, `client sent invalid header line: "`+k+": "+v+`" while reading client request headers`)
		}
		delete(rq.r.Header, k)
	}
}

// logIgnoredHeaders logs the header lines the lean parser ignored.
func (rq *request) logIgnoredHeaders(lines []string) {
	for _, l := range lines {
		rq.logErr(errlog.Info, `client sent invalid header line: "`+l+`" while reading client request headers`)
	}
}

// ignoredHeaders is the header lines the lean parser ignored for r, nil
// when r was not parsed by it (and its names are to be sorted).
func ignoredHeaders(w http.ResponseWriter) ([]string, bool) {
	if lw, ok := w.(*leanWriter); ok {
		return lw.lr.ignored, true
	}
	return nil, false
}
