package httpserver

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/goresty/goresty/confparse"
)

// ---- server_name ----

type wildName struct {
	pattern string // without the "*": ".example.com" or "www.example."
	dot     bool   // ".example.com" form (also matches "example.com")
	srv     *vserver
}

type regexName struct {
	re  *regexp.Regexp
	srv *vserver
}

// nameTable picks a server block by host name with nginx's precedence:
// exact name, longest leading wildcard, longest trailing wildcard, first
// matching regular expression (in the order written).
type nameTable struct {
	exact     map[string]*vserver
	wildStart []wildName
	wildEnd   []wildName
	regex     []regexName
	def       *vserver
	warnings  []string
}

func newNameTable(addr string, servers []*vserver, def *vserver) (*nameTable, error) {
	t := &nameTable{exact: map[string]*vserver{}, def: def}
	for _, s := range servers {
		for _, n := range s.conf.Names {
			if strings.HasPrefix(n, "~") {
				re, err := regexp.Compile(n[1:])
				if err != nil {
					return nil, fmt.Errorf("%s in \"%s\" at %s", err.Error(), n, s.conf.Pos)
				}
				t.regex = append(t.regex, regexName{re, s})
				continue
			}
			ln := strings.ToLower(n)
			switch {
			case strings.HasPrefix(ln, "*."):
				t.wildStart = append(t.wildStart, wildName{pattern: ln[1:], srv: s})
			case strings.HasPrefix(ln, "."):
				t.wildStart = append(t.wildStart, wildName{pattern: ln, dot: true, srv: s})
			case strings.HasSuffix(ln, ".*"):
				t.wildEnd = append(t.wildEnd, wildName{pattern: ln[:len(ln)-1], srv: s})
			default:
				if _, dup := t.exact[ln]; dup {
					t.warnings = append(t.warnings, fmt.Sprintf("conflicting server name \"%s\" on %s, ignored", n, addr))
					continue
				}
				t.exact[ln] = s
			}
		}
	}
	sort.SliceStable(t.wildStart, func(i, j int) bool { return len(t.wildStart[i].pattern) > len(t.wildStart[j].pattern) })
	sort.SliceStable(t.wildEnd, func(i, j int) bool { return len(t.wildEnd[i].pattern) > len(t.wildEnd[j].pattern) })
	return t, nil
}

// normHost lower-cases a Host header value and drops the port and a
// trailing dot.
func normHost(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[:i+1])
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// find returns the server for host (already normalised), or nil.
func (t *nameTable) find(host string) *vserver {
	if s, ok := t.exact[host]; ok {
		return s
	}
	for _, w := range t.wildStart {
		if strings.HasSuffix(host, w.pattern) && len(host) > len(w.pattern) {
			return w.srv
		}
		if w.dot && host == w.pattern[1:] {
			return w.srv
		}
	}
	for _, w := range t.wildEnd {
		if strings.HasPrefix(host, w.pattern) && len(host) > len(w.pattern) {
			return w.srv
		}
	}
	for _, r := range t.regex {
		if r.re.MatchString(host) {
			return r.srv
		}
	}
	return nil
}

// ---- locations ----

type location struct {
	conf   *confparse.LocationConf
	re     *regexp.Regexp // ~ and ~*
	nested *locTable
}

type locTable struct {
	exact  []*location // "="
	prefix []*location // "" and "^~", longest first
	regex  []*location // "~" and "~*", in order
	named  map[string]*location
	hasAny bool
}

func buildLocations(locs []*confparse.LocationConf, named map[string]*location) (*locTable, error) {
	t := &locTable{named: named}
	for _, lc := range locs {
		l := &location{conf: lc}
		if len(lc.Locations) > 0 {
			n, err := buildLocations(lc.Locations, named)
			if err != nil {
				return nil, err
			}
			l.nested = n
		}
		switch lc.Modifier {
		case "=":
			t.exact = append(t.exact, l)
		case "", "^~":
			t.prefix = append(t.prefix, l)
		case "~", "~*":
			expr := lc.Path
			if lc.Modifier == "~*" {
				expr = "(?i)" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("%s in location \"%s\" in %s", err.Error(), lc.Path, lc.Pos)
			}
			l.re = re
			t.regex = append(t.regex, l)
		case "@":
			named[lc.Path] = l
			continue
		}
		t.hasAny = true
	}
	sort.SliceStable(t.prefix, func(i, j int) bool { return len(t.prefix[i].conf.Path) > len(t.prefix[j].conf.Path) })
	return t, nil
}

type findRC int

const (
	findDeclined findRC = iota // nothing at this level
	findAgain                  // a prefix location (regexes may still win)
	findOK                     // final: exact match, ^~, or regex
)

// find runs nginx's location search on uri; cur is the location found so
// far (nil at the top).
func (t *locTable) find(uri string, cur *location) (*location, findRC) {
	if t == nil {
		return cur, findDeclined
	}
	for _, l := range t.exact {
		if l.conf.Path == uri {
			return l, findOK
		}
	}
	rc := findDeclined
	noregex := false
	for _, l := range t.prefix {
		if strings.HasPrefix(uri, l.conf.Path) {
			cur, rc = l, findAgain
			noregex = l.conf.Modifier == "^~"
			if l.nested != nil && l.nested.hasAny {
				if nl, nrc := l.nested.find(uri, l); nrc == findOK {
					return nl, findOK
				} else if nrc == findAgain {
					cur = nl
				}
			}
			break
		}
	}
	if noregex {
		return cur, findOK
	}
	for _, l := range t.regex {
		if l.re.MatchString(uri) {
			if l.nested != nil && l.nested.hasAny {
				if nl, nrc := l.nested.find(uri, l); nrc != findDeclined {
					return nl, findOK
				}
			}
			return l, findOK
		}
	}
	return cur, rc
}

// Find returns the location for uri, nil when none matches.
func (t *locTable) Find(uri string) *location {
	l, _ := t.find(uri, nil)
	return l
}
