package httpserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/goresty/goresty/luavm/errlog"
)

var (
	pid          = os.Getpid()
	hostnameOnce sync.Once
	hostname     string
)

func osHostname() (string, error) {
	hostnameOnce.Do(func() { hostname, _ = os.Hostname() })
	return hostname, nil
}

// static serves root/index files as nginx's static and index modules.
func (rq *request) static() {
	r := rq.r
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rq.errorPage(http.StatusMethodNotAllowed)
		return
	}
	st := rq.settings()
	root := strings.TrimSuffix(st.Root, "/")
	path := rq.filePath(rq.uri)
	if strings.HasSuffix(rq.uri, "/") {
		for _, idx := range st.Index {
			p := path + idx
			if strings.HasPrefix(idx, "/") {
				p = root + idx
			}
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if fi.IsDir() {
				continue
			}
			f, err := openPath(p)
			if err != nil {
				rq.openFailed(p, err)
				return
			}
			rq.serveOpen(p, f)
			return
		}
		fi, err := os.Stat(path)
		if err == nil && fi.IsDir() {
			rq.logErr(errlog.Error, fmt.Sprintf("directory index of \"%s\" is forbidden", path))
			rq.errorPage(http.StatusForbidden)
			return
		}
		rq.openFailed(path, err)
		return
	}
	f, oerr := openPath(path)
	if oerr == nil && !f.dir {
		rq.serveOpen(path, f)
		return
	}
	if f != nil {
		f.Close()
	}
	// A directory (readable or not), a missing or unreadable file: nginx's
	// answers, from a stat.
	fi, err := os.Stat(path)
	if err != nil {
		rq.openFailed(path, err)
		return
	}
	if fi.IsDir() {
		loc := rq.uri + "/"
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		rq.w.Header().Set("Location", rq.absoluteURL(loc))
		rq.errorPage(http.StatusMovedPermanently)
		return
	}
	rq.openFailed(path, oerr)
}

// filePath maps a URI to a file: root + uri, or with alias the
// location's prefix replaced by the alias (a regex location's alias, with
// its captures, is the whole path).
func (rq *request) filePath(uri string) string {
	if rq.loc != nil && rq.loc.conf.Alias != "" {
		lc := rq.loc.conf
		switch lc.Modifier {
		case "~", "~*":
			return rq.expand(lc.Alias)
		case "@":
			return lc.Alias
		}
		return lc.Alias + strings.TrimPrefix(uri, lc.Path)
	}
	return strings.TrimSuffix(rq.settings().Root, "/") + uri
}

// tryFiles runs try_files: the first file (or "dir/") that exists becomes
// the URI served here; else the last argument: =code, or an internal
// redirect. It returns false when the request was answered.
func (rq *request) tryFiles(args []string, depth int) bool {
	for _, a := range args[:len(args)-1] {
		uri := rq.expand(a)
		fi, err := os.Stat(rq.filePath(uri))
		if err != nil || fi.IsDir() != strings.HasSuffix(uri, "/") {
			continue
		}
		rq.uri = uri
		return true
	}
	last := rq.expand(args[len(args)-1])
	if code, ok := strings.CutPrefix(last, "="); ok {
		if n, err := strconv.Atoi(code); err == nil {
			rq.errorPage(n)
			return false
		}
	}
	if depth+1 > maxRedirects {
		rq.logErr(errlog.Error, fmt.Sprintf("rewrite or internal redirection cycle while internally redirecting to \"%s\"", last))
		rq.errorPage(http.StatusInternalServerError)
		return false
	}
	if p, q, ok := strings.Cut(last, "?"); ok {
		last, rq.r.URL.RawQuery = p, q
	}
	rq.serve(last, depth+1)
	return false
}

func (rq *request) openFailed(path string, err error) {
	if err == nil {
		err = fs.ErrNotExist
	}
	var perr *fs.PathError
	if errors.As(err, &perr) {
		err = perr.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rq.logErr(errlog.Error, fmt.Sprintf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(err)))
		rq.errorPage(http.StatusNotFound)
	case errors.Is(err, fs.ErrPermission):
		rq.logErr(errlog.Error, fmt.Sprintf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(err)))
		rq.errorPage(http.StatusForbidden)
	default:
		rq.logErr(errlog.Crit, fmt.Sprintf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(err)))
		rq.errorPage(http.StatusInternalServerError)
	}
}

// serveOpen answers with the open file f (and closes it).
func (rq *request) serveOpen(path string, f *openFile) {
	defer f.Close()
	h := rq.w.Header()
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	ct := ""
	if types := rq.settings().Types; types != nil {
		ct = types[ext]
	} else {
		ct = builtinTypes[ext]
	}
	if ct == "" {
		ct = rq.settings().DefaultType
	}
	if ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h["Content-Type"] = nil
	}
	h.Set("ETag", fmt.Sprintf("\"%x-%x\"", f.mod.Unix(), f.size))
	h.Set("Accept-Ranges", "bytes")
	http.ServeContent(rq.w, rq.r, "", f.mod, f)
}

// builtinTypes is nginx's types list when the configuration has none.
var builtinTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"}
