package confparse

import (
	"os/user"
	"runtime"
	"strings"
	"time"
)

// Directives of the main and events contexts, and the http block itself.
var mainCommands = []command{
	{name: "worker_processes", syntax: "number | auto  (default 1)", ctx: ctxMain, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		if d.args[0] == "auto" {
			l.cfg.Main.WorkerProcesses = runtime.NumCPU()
			return nil
		}
		n, ok := parseInt(d.args[0])
		if !ok || n < 1 {
			return d.invalidValue()
		}
		l.cfg.Main.WorkerProcesses = n
		return nil
	}},
	{name: "worker_shutdown_timeout", syntax: "time  (default none; QUIT then closes what is still open)", ctx: ctxMain, min: 1, max: 1, once: true, set: msec(func(d *directive, v time.Duration) { mainOf(d).WorkerShutdownTimeout = v })},
	{name: "daemon", syntax: "on | off  (default on)", ctx: ctxMain, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { mainOf(d).Daemon = v })},
	{name: "master_process", syntax: "on | off  (accepted; no effect)", ctx: ctxMain, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { mainOf(d).MasterProcess = v })},
	{name: "error_log", syntax: "file | stderr | syslog:server=address[,facility=f][,tag=t][,nohostname] [level]  (default logs/error.log error)", ctx: ctxMain | ctxHSL, min: 1, max: 2, set: func(l *loader, d *directive) error {
		t, err := errorLogTarget(l, d)
		if err != nil {
			return err
		}
		if t.Syslog.Addr == "" {
			if err := dirMustExist(d, t.Path); err != nil {
				return err
			}
		}
		if d.c.kind == ctxMain {
			l.cfg.Main.ErrorLogs = append(l.cfg.Main.ErrorLogs, t)
		} else {
			s := d.c.settings()
			s.ErrorLogs = append(s.ErrorLogs, t)
		}
		return nil
	}},
	{name: "pid", syntax: "file  (default logs/nginx.pid)", ctx: ctxMain, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		l.cfg.Main.PID = l.prefixPath(d.args[0])
		return nil
	}},
	{name: "env", syntax: "NAME[=VALUE]", ctx: ctxMain, min: 1, max: 1, set: func(l *loader, d *directive) error {
		name, value, set := strings.Cut(d.args[0], "=")
		l.cfg.Main.Env = append(l.cfg.Main.Env, EnvVar{Name: name, Value: value, Set: set})
		return nil
	}},
	{name: "user", syntax: "user [group]  (default nobody when started as root; Lua runs as it, see README Security)", ctx: ctxMain, min: 1, max: 2, once: true, set: func(l *loader, d *directive) error {
		if _, err := user.Lookup(d.args[0]); err != nil {
			return d.errf(`getpwnam("%s") failed`, d.args[0])
		}
		if len(d.args) == 2 {
			if _, err := user.LookupGroup(d.args[1]); err != nil {
				return d.errf(`getgrnam("%s") failed`, d.args[1])
			}
		}
		l.cfg.Main.User = d.args[0]
		if len(d.args) == 2 {
			l.cfg.Main.Group = d.args[1]
		}
		return nil
	}},
	{name: "worker_rlimit_nofile", syntax: "number  (accepted; no effect)", ctx: ctxMain, min: 1, max: 1, once: true, set: num(nil)},
	{name: "load_module", syntax: "file  (accepted with a warning: goresty has no dynamic modules)", ctx: ctxMain, min: 1, max: 1, set: setLoadModule},
	{name: "events", syntax: "{ ... }", ctx: ctxMain, min: 0, max: 0, block: true, once: true, set: func(l *loader, d *directive) error {
		l.modsUsed = true
		return l.walk(d.block, &dctx{kind: ctxEvents, id: &l.cfg.Events})
	}},
	{name: "http", syntax: "{ ... }", ctx: ctxMain, min: 0, max: 0, block: true, once: true, set: func(l *loader, d *directive) error {
		h := &HTTPConf{LogFormats: map[string]string{"combined": combinedFormat}}
		l.cfg.HTTP = h
		l.modsUsed = true
		return l.walk(d.block, &dctx{kind: ctxHTTP, id: h, http: h})
	}},
	{name: "include", syntax: "file | mask", ctx: ctxAny, min: 1, max: 1, set: func(l *loader, d *directive) error { return l.include(d) }},

	{name: "worker_connections", syntax: "number  (default 512; the process accepts worker_connections × worker_processes client connections)", ctx: ctxEvents, min: 1, max: 1, once: true, set: func(l *loader, d *directive) error {
		n, ok := parseInt(d.args[0])
		if !ok {
			return d.errf(`invalid number "%s"`, d.args[0])
		}
		l.cfg.Events.WorkerConnections = n
		return nil
	}},
	{name: "accept_mutex", syntax: "on | off  (accepted; no effect)", ctx: ctxEvents, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "accept_mutex_delay", syntax: "time  (accepted; no effect)", ctx: ctxEvents, min: 1, max: 1, once: true, set: msec(nil)},
	{name: "multi_accept", syntax: "on | off  (accepted; no effect)", ctx: ctxEvents, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "use", syntax: "method  (accepted; no effect)", ctx: ctxEvents, min: 1, max: 1, once: true, set: accepted},
}
