//go:build !goresty_nohttp

package main

import (
	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver"
)

// The only place cmd/goresty reaches the server (kept apart so the command
// line can be built and tested with -tags goresty_nohttp on its own).
func init() {
	checkServer = httpserver.Check
	runServer = func(cfg *confparse.Config, o options) int {
		return httpserver.Run(cfg, httpserver.RunOptions{
			ErrorLogPath: o.errorLog,
			ConfOpts: confparse.Options{
				Prefix: o.prefix, ConfFile: o.conf, Globals: o.globals, ErrorLog: o.errorLog,
			},
		})
	}
}
