package httpserver

import (
	"os"
	"strings"
	"sync"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// logPart is literal text or a variable of a compiled log_format.
type logPart struct {
	lit  string
	vari string
}

type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	sl   *errlog.SyslogSender // a syslog: target instead of a file
}

func (l *logFile) reopen() error {
	if l.sl != nil {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

type accessLogs struct {
	files   map[string]*logFile
	formats map[string][]logPart
	byConf  map[*[]confparse.AccessLog][]boundLog
	// none: access_log off wherever a request can end, so no request looks
	// its logs up
	none bool
}

type boundLog struct {
	file  *logFile
	parts []logPart
}

func compileFormat(f string) []logPart {
	var parts []logPart
	var lit strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '$' {
			lit.WriteByte(c)
			continue
		}
		j := i + 1
		var name string
		if j < len(f) && f[j] == '{' {
			k := strings.IndexByte(f[j:], '}')
			if k < 0 {
				lit.WriteByte(c)
				continue
			}
			name, i = f[j+1:j+k], j+k
		} else {
			k := j
			for k < len(f) && isVarChar(f[k]) {
				k++
			}
			if k == j {
				lit.WriteByte(c)
				continue
			}
			name, i = f[j:k], k-1
		}
		if lit.Len() > 0 {
			parts = append(parts, logPart{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, logPart{vari: strings.ToLower(name)})
	}
	if lit.Len() > 0 {
		parts = append(parts, logPart{lit: lit.String()})
	}
	return parts
}

func openAccessLogs(cfg *confparse.Config) (*accessLogs, error) {
	a := &accessLogs{files: map[string]*logFile{}, formats: map[string][]logPart{}, byConf: map[*[]confparse.AccessLog][]boundLog{}}
	if cfg.HTTP == nil {
		return a, nil
	}
	for name, f := range cfg.HTTP.LogFormats {
		a.formats[name] = compileFormat(f)
	}
	if _, ok := a.formats["combined"]; !ok {
		a.formats["combined"] = compileFormat(combinedFormat)
	}
	bind := func(logs *[]confparse.AccessLog) error {
		if _, ok := a.byConf[logs]; ok {
			return nil
		}
		var out []boundLog
		for _, l := range *logs {
			if l.Off {
				out = nil
				break
			}
			lf := a.files[l.Path]
			if lf == nil {
				lf = &logFile{path: l.Path}
				if l.Syslog.Addr != "" {
					lf.sl = errlog.NewSyslogSender(l.Syslog)
				} else if err := lf.reopen(); err != nil {
					return &confparse.Error{Msg: "open() \"" + l.Path + "\" failed (" + errlog.ErrnoText(err) + ")"}
				}
				a.files[l.Path] = lf
			}
			fname := l.Format
			if fname == "" {
				fname = "combined"
			}
			parts, ok := a.formats[fname]
			if !ok {
				return &confparse.Error{Msg: "unknown log format \"" + fname + "\"", Pos: l.Pos}
			}
			out = append(out, boundLog{file: lf, parts: parts})
		}
		a.byConf[logs] = out
		return nil
	}
	for _, s := range cfg.HTTP.Servers {
		if err := bind(&s.AccessLogs); err != nil {
			return nil, err
		}
		if err := s.EachLocation(func(l *confparse.LocationConf) error { return bind(&l.AccessLogs) }); err != nil {
			return nil, err
		}
	}
	a.none = len(a.files) == 0
	return a, nil
}

func (a *accessLogs) write(rq *request) {
	if a.none {
		return
	}
	var logs []boundLog
	if rq.loc != nil {
		logs = a.byConf[&rq.loc.conf.AccessLogs]
	} else if rq.srv != nil {
		logs = a.byConf[&rq.srv.conf.AccessLogs]
	}
	if len(logs) == 0 {
		return
	}
	for _, l := range logs {
		b := make([]byte, 0, 256)
		for _, p := range l.parts {
			if p.vari == "" {
				b = append(b, p.lit...)
				continue
			}
			v, ok := rq.Var(p.vari)
			if !ok { // nginx: "-" for a variable without a value, "" for an empty one
				b = append(b, '-')
				continue
			}
			b = appendEscaped(b, v)
		}
		b = append(b, '\n')
		l.file.mu.Lock()
		if l.file.sl != nil {
			l.file.sl.Send(b)
		} else {
			l.file.f.Write(b)
		}
		l.file.mu.Unlock()
	}
}

// appendEscaped escapes '"', '\' and non-printable bytes as \xHH (nginx's
// default escape=default).
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

func (a *accessLogs) reopen() {
	for _, f := range a.files {
		f.reopen()
	}
}

func (a *accessLogs) close() {
	for _, f := range a.files {
		f.mu.Lock()
		if f.f != nil {
			f.f.Close()
			f.f = nil
		}
		if f.sl != nil {
			f.sl.Close()
		}
		f.mu.Unlock()
	}
}
