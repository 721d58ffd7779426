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
	"sync/atomic"
	"syscall"
	"time"

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

// static serves root/index files as nginx's static and index modules:
// GET, HEAD and POST come in (POST is refused only once a file is found).
func (rq *request) static(depth int) {
	r := rq.r
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		rq.errorPage(http.StatusMethodNotAllowed)
		return
	}
	path := rq.filePath(rq.uri)
	if strings.HasSuffix(rq.uri, "/") {
		rq.index(path, depth)
		return
	}
	f := &rq.file
	oerr := f.open(path)
	if oerr == nil && !f.dir {
		if r.Method == http.MethodPost {
			f.Close()
			rq.errorPage(http.StatusMethodNotAllowed)
			return
		}
		rq.serveOpen(path, f)
		return
	}
	if oerr == nil {
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

// index is nginx's index module for a URI ending in "/" (path is its
// directory): the first index file that exists (a "/name" one without a
// look) becomes an internal redirect to its URI, so the location search
// and the phases run again for it, as nginx. When the directory itself is
// missing: 404 "... is not found"; when no index file is there: 403.
func (rq *request) index(path string, depth int) {
	dirTested := false
	for _, idx := range rq.settings().Index {
		if strings.HasPrefix(idx, "/") {
			rq.redirect(idx, depth)
			return
		}
		p := path + idx
		_, err := os.Stat(p)
		if err == nil {
			rq.redirect(rq.uri+idx, depth)
			return
		}
		switch e := unwrapPath(err); {
		case errors.Is(e, fs.ErrPermission):
			rq.logErr(errlog.Error, fmt.Sprintf("\"%s\" is forbidden (%s)", p, errlog.ErrnoText(e)))
			rq.errorPage(http.StatusForbidden)
			return
		case errors.Is(e, syscall.ENOTDIR) || errors.Is(e, syscall.ENAMETOOLONG):
			rq.logErr(errlog.Error, fmt.Sprintf("\"%s\" is not found (%s)", p, errlog.ErrnoText(e)))
			rq.errorPage(http.StatusNotFound)
			return
		case !errors.Is(e, fs.ErrNotExist):
			rq.logErr(errlog.Crit, fmt.Sprintf("stat() \"%s\" failed (%s)", p, errlog.ErrnoText(e)))
			rq.errorPage(http.StatusInternalServerError)
			return
		}
		if !dirTested {
			dirTested = true
			if _, derr := os.Stat(path); errors.Is(derr, fs.ErrNotExist) {
				rq.logErr(errlog.Error, fmt.Sprintf("\"%s\" is not found (%s)", p, errlog.ErrnoText(unwrapPath(derr))))
				rq.errorPage(http.StatusNotFound)
				return
			}
		}
	}
	rq.logErr(errlog.Error, fmt.Sprintf("directory index of \"%s\" is forbidden", path))
	rq.errorPage(http.StatusForbidden)
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
	if p, q, ok := strings.Cut(last, "?"); ok {
		last, rq.r.URL.RawQuery = p, q
	}
	rq.redirect(last, depth)
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
	// The header values are slices of rq.hdr (cap 1: an Add appends to a
	// copy) and of one string: no allocation per header.
	v := &rq.hdr
	if ct != "" {
		v[0] = ct
		h["Content-Type"] = v[0:1:1]
	} else {
		h["Content-Type"] = nil
	}
	if !conditional(rq.r.Header) {
		v[1], v[2], v[3] = fileFields(f)
		h["Etag"] = v[1:2:2]
		if v[2] != "" {
			h["Last-Modified"] = v[2:3:3]
		}
		h["Accept-Ranges"] = acceptRanges
		if ce := h["Content-Encoding"]; len(ce) == 0 || ce[0] == "" {
			h["Content-Length"] = v[3:4:4]
		}
		rq.w.WriteHeader(http.StatusOK)
		if rq.r.Method != http.MethodHead {
			rq.sendFile(f)
		}
		return
	}
	v[1], _, _ = fileFields(f)
	h["Etag"] = v[1:2:2]
	h["Accept-Ranges"] = acceptRanges
	http.ServeContent(rq.w, rq.r, "", f.mod, f)
}

// fileText is the header values of a file's modification time and size.
type fileText struct {
	mod                        time.Time
	size                       int64
	etag, lastModified, length string
}

// lastFile holds the header values of the file served last: a file served
// again and again (the usual case) has them formatted once.
var lastFile atomic.Pointer[fileText]

// fileFields is f's ETag (nginx's, "mtime-size" in hex), Last-Modified
// ("" for no time, as http.ServeContent) and Content-Length.
func fileFields(f *openFile) (etag, lastModified, length string) {
	if t := lastFile.Load(); t != nil && t.size == f.size && t.mod.Equal(f.mod) {
		return t.etag, t.lastModified, t.length
	}
	var buf [96]byte
	b := append(buf[:0], '"')
	b = strconv.AppendInt(b, f.mod.Unix(), 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, f.size, 16)
	b = append(b, '"')
	e := len(b)
	if !f.mod.IsZero() && !f.mod.Equal(time.Unix(0, 0)) {
		b = f.mod.UTC().AppendFormat(b, http.TimeFormat)
	}
	lm := len(b)
	b = strconv.AppendInt(b, f.size, 10)
	all := string(b)
	t := &fileText{mod: f.mod, size: f.size, etag: all[:e], lastModified: all[e:lm], length: all[lm:]}
	lastFile.Store(t)
	return t.etag, t.lastModified, t.length
}

var acceptRanges = []string{"bytes"}

// conditional reports whether the request asks for a range or has a
// precondition: http.ServeContent answers those; a plain GET or HEAD is
// answered by serveOpen itself, as ServeContent would (200, the same
// headers) without its allocations.
func conditional(h http.Header) bool {
	for _, k := range [...]string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if len(h[k]) > 0 {
			return true
		}
	}
	return false
}

// fileBufs are the buffers sendFile reads files into.
var fileBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// sendFile writes the file's contents (io.CopyN's job in ServeContent),
// through a pooled buffer.
func (rq *request) sendFile(f *openFile) {
	buf := fileBufs.Get().(*[32 << 10]byte)
	defer fileBufs.Put(buf)
	for {
		n, err := f.Read(buf[:])
		if n > 0 {
			if _, werr := rq.w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// builtinTypes is nginx's types list when the configuration has none.
var builtinTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"}
