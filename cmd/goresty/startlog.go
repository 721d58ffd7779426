package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/goresty/goresty/luavm/errlog"
)

// startLog reports what happens before the configuration's error_log is
// open (start-up errors, -t, -s) the way nginx does: an error log line in
// the start-up log (-e FILE, PREFIX/logs/error.log without -e) and, for warn
// and more severe, "goresty: [level] msg" on stderr too. When the start-up
// log is stderr ("-e stderr"), or cannot be opened (an [alert] says so),
// only the log line is written, to stderr.
type startLog struct {
	stderr io.Writer
	path   string // absolute, or "stderr"
	file   *errlog.Logger
	opened bool
}

func newStartLog(stderr io.Writer, o options, prefix string) *startLog {
	path := o.errorLog
	if path == "" {
		path = "logs/error.log"
	}
	if path != "stderr" && !filepath.IsAbs(path) {
		path = prefix + path
	}
	return &startLog{stderr: stderr, path: path}
}

// log writes msg at level. The file is opened on first use, so a run with
// nothing to report creates no file.
func (s *startLog) log(level errlog.Level, msg string) {
	if !s.opened && s.path != "stderr" {
		s.opened = true
		l, err := errlog.New([]errlog.Target{{Path: s.path, Level: errlog.Debug}})
		if err != nil {
			fmt.Fprintf(s.stderr, "goresty: [alert] could not open error log file: %s\n", err)
		} else {
			s.file = l
		}
	}
	if s.file == nil {
		errlog.ToWriter(s.stderr, errlog.Debug).Log(level, msg)
		return
	}
	s.file.Log(level, msg)
	if level <= errlog.Warn {
		fmt.Fprintf(s.stderr, "goresty: [%s] %s\n", level, msg)
	}
}

func (s *startLog) close() {
	if s.file != nil {
		s.file.Close()
	}
}
