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
	path := root + rq.uri
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
			rq.serveFile(p, fi)
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
	rq.serveFile(path, fi)
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

func (rq *request) serveFile(path string, fi os.FileInfo) {
	f, err := os.Open(path)
	if err != nil {
		rq.openFailed(path, err)
		return
	}
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
	h.Set("ETag", fmt.Sprintf("\"%x-%x\"", fi.ModTime().Unix(), fi.Size()))
	h.Set("Accept-Ranges", "bytes")
	_ = strconv.Itoa
	http.ServeContent(rq.w, rq.r, "", fi.ModTime(), f)
}

// builtinTypes is nginx's types list when the configuration has none.
var builtinTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"}
