// Package httpserver is goresty's server: listeners, TLS per server block
// chosen by SNI, locations, content_by_lua, static files, proxy_pass,
// access logs, and nginx's process lifecycle (daemon, pid file, signals,
// reload).
package httpserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver/keysign"
	"github.com/goresty/goresty/luavm/errlog"
	"github.com/goresty/goresty/ngxapi/shdict"
)

// RunOptions come from the command line.
type RunOptions struct {
	ErrorLogPath string            // -e
	ConfOpts     confparse.Options // to reload the configuration (HUP)
}

// checkDicts refuses lua_shared_dict sizes the machine cannot back, as
// nginx does when it maps them (at -t and at start).
func checkDicts(h *confparse.HTTPConf) error {
	for _, sd := range h.SharedDicts {
		if err := shdict.Backable(sd.Size); err != nil {
			return err
		}
	}
	return nil
}

// daemonEnv marks the detached child of "daemon on".
const daemonEnv = "GORESTY_DAEMON_CHILD"

// Run serves cfg until a stop signal; it returns the exit status.
func Run(cfg *confparse.Config, opts RunOptions) int {
	if cfg.Main.Daemon && os.Getenv(daemonEnv) == "" {
		return daemonize()
	}
	child := os.Getenv(daemonEnv) != ""
	os.Unsetenv(daemonEnv)
	applyEnv(cfg)
	setProcs(cfg)
	startGCFloor()
	startQuietRelease()

	log, err := errlog.New(cfg.Main.ErrorLogs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	fail := func(err error) int {
		lvl := errlog.LevelOf(err)
		fmt.Fprintf(os.Stderr, "goresty: [%s] %s\n", lvl, err)
		log.Log(lvl, err.Error())
		log.Close()
		return 1
	}
	socks := map[string]*socket{}
	pidWritten := false
	g, err := build(cfg, log, socks, func() error {
		err := writePID(cfg)
		pidWritten = err == nil
		return err
	}, func() error { return dropPrivileges(cfg, log) })
	if err != nil {
		closeSockets(socks, nil)
		if pidWritten {
			asRoot(func() error { return os.Remove(cfg.Main.PID) })
		}
		return fail(err)
	}
	for _, w := range cfg.Warnings {
		log.Log(errlog.Warn, w)
	}
	for _, w := range g.warnings {
		log.Log(errlog.Warn, w)
	}
	// signals before we announce readiness
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGUSR2)
	g.start()
	log.Log(errlog.Notice, "using the \"epoll\" event method")
	log.Log(errlog.Notice, "goresty/"+Version)
	log.Log(errlog.Notice, "built with "+runtime.Version())
	log.Log(errlog.Notice, "OS: "+runtime.GOOS)
	if desc, fallback := keysign.Backend(); fallback {
		log.Log(errlog.Notice, "RSA private keys sign with "+desc)
	}
	log.Log(errlog.Notice, "start worker processes")
	log.Log(errlog.Notice, "start worker process "+strconv.Itoa(os.Getpid()))
	if child {
		daemonReady()
	}

	cur := g
	for sig := range sigs {
		s := sig.(syscall.Signal)
		switch s {
		case syscall.SIGHUP:
			log.Log(errlog.Notice, fmt.Sprintf("signal %d (SIGHUP) received, reconfiguring", int(s)))
			// As nginx's master: the new configuration and everything it
			// names are read as root (asRoot), the workers' Lua is not.
			var ncfg *confparse.Config
			err := asRoot(func() (err error) { ncfg, err = confparse.Load(opts.ConfOpts); return err })
			if err != nil {
				log.Log(errlog.Emerg, err.Error())
				continue
			}
			applyEnv(ncfg)
			setProcs(ncfg)
			nlog := log
			if !sameTargets(ncfg.Main.ErrorLogs, cur.cfg.Main.ErrorLogs) {
				var l *errlog.Logger
				if err := asRoot(func() (err error) { l, err = errlog.New(ncfg.Main.ErrorLogs); return err }); err == nil {
					nlog = l
				} else {
					log.Log(errlog.Emerg, err.Error())
					continue
				}
			}
			var ng *generation
			err = asRoot(func() (err error) { ng, err = build(ncfg, nlog, socks); return err })
			if err != nil {
				log.Log(errlog.Emerg, err.Error())
				if nlog != log {
					nlog.Close()
				}
				continue
			}
			for _, w := range ncfg.Warnings {
				nlog.Log(errlog.Warn, w)
			}
			for _, w := range ng.warnings {
				nlog.Log(errlog.Warn, w)
			}
			if ncfg.Main.PID != cur.cfg.Main.PID {
				if err := asRoot(func() error { return writePID(ncfg) }); err != nil {
					nlog.Log(errlog.Emerg, err.Error())
				}
				asRoot(func() error { return os.Remove(cur.cfg.Main.PID) })
			}
			ng.start()
			retainDicts(ncfg)
			old := cur
			cur = ng
			old.detach()
			closeSockets(socks, ng)
			oldLog := log
			log = nlog
			log.Log(errlog.Notice, "start worker processes")
			go func() {
				old.shutdown(context.Background())
				if oldLog != log {
					oldLog.Close()
				}
			}()
		case syscall.SIGUSR1:
			log.Log(errlog.Notice, fmt.Sprintf("signal %d (SIGUSR1) received, reopening logs", int(s)))
			asRoot(func() error { log.Reopen(); cur.reopenLogs(); return nil })
		case syscall.SIGQUIT:
			log.Log(errlog.Notice, fmt.Sprintf("signal %d (SIGQUIT) received, shutting down", int(s)))
			log.Log(errlog.Notice, "gracefully shutting down")
			cur.detach()
			closeSockets(socks, nil)
			ctx := context.Background()
			if to := cur.cfg.Main.WorkerShutdownTimeout; to > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, to)
				defer cancel()
			}
			cur.shutdown(ctx) // past the timeout, the exit closes what is left
			return exit(cur, log)
		case syscall.SIGTERM, syscall.SIGINT:
			name := "SIGTERM"
			if s == syscall.SIGINT {
				name = "SIGINT"
			}
			log.Log(errlog.Notice, fmt.Sprintf("signal %d (%s) received, exiting", int(s), name))
			cur.detach()
			closeSockets(socks, nil)
			cur.close()
			return exit(cur, log)
		}
	}
	return 0
}

func exit(g *generation, log *errlog.Logger) int {
	asRoot(func() error { return os.Remove(g.cfg.Main.PID) })
	log.Log(errlog.Notice, "exit")
	log.Close()
	return 0
}

func sameTargets(a, b []errlog.Target) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// closeSockets closes the sockets the generation keep does not use.
func closeSockets(socks map[string]*socket, keep *generation) {
	used := map[string]bool{}
	if keep != nil {
		for _, grp := range keep.groups {
			used[grp.key] = true
		}
	}
	for k, s := range socks {
		if !used[k] {
			s.ln.Close()
			delete(socks, k)
		}
	}
}

// setProcs makes worker_processes the number of CPUs goresty runs on at
// most (GOMAXPROCS), as nginx's worker count bounds the cores it uses; a
// GOMAXPROCS environment variable wins. Fewer Ps also mean fewer thread
// hand-offs per connection: below that bound the Ps governor (procs.go)
// runs on as few Ps as the load needs.
func setProcs(cfg *confparse.Config) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	n := cfg.Main.WorkerProcesses
	if n <= 0 || n > runtime.NumCPU() {
		n = runtime.NumCPU()
	}
	if runtime.GOMAXPROCS(0) > n {
		runtime.GOMAXPROCS(n)
	}
	governProcs(n)
}

func applyEnv(cfg *confparse.Config) {
	for _, e := range cfg.Main.Env {
		if e.Set {
			os.Setenv(e.Name, e.Value)
		}
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// daemonize re-executes goresty detached; it returns 0 once the child
// listens and wrote its pid file, 1 (after printing the child's messages)
// when the child failed.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	null, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, errW
	cmd.ExtraFiles = []*os.File{wr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	wr.Close()
	errW.Close()
	null.Close()
	line, _ := bufio.NewReader(rd).ReadString('\n')
	if strings.TrimSpace(line) == "ok" {
		cmd.Process.Release()
		return 0
	}
	io.Copy(os.Stderr, errR)
	cmd.Wait()
	return 1
}

// daemonReady tells the waiting parent we are up, then detaches stderr.
func daemonReady() {
	f := os.NewFile(3, "ready")
	if f == nil {
		return
	}
	f.WriteString("ok\n")
	f.Close()
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		syscall.Dup2(int(null.Fd()), 2)
		null.Close()
	}
}

// Check verifies what only the server looks at (for "goresty -t"): server
// name and location regexes, certificates, ssl_ciphers, ssl_ecdh_curve,
// and that every "listen ... ssl" has a certificate. It opens no socket
// and starts no Lua VM. Warnings (e.g. old ssl_protocols) are returned too.
func Check(cfg *confparse.Config) (warnings []string, err error) {
	if _, err := lookupUser(cfg); err != nil {
		return nil, err
	}
	if cfg.HTTP == nil {
		return nil, nil
	}
	if err := checkDicts(cfg.HTTP); err != nil {
		return nil, err
	}
	type grp struct {
		ssl     bool
		servers []*vserver
		def     *vserver
		shown   string // address as in messages
	}
	groups := map[string]*grp{}
	var order []string
	for _, sc := range cfg.HTTP.Servers {
		vs := &vserver{conf: sc}
		if len(sc.Names) > 0 {
			vs.name = sc.Names[0]
		}
		if _, err := buildLocations(sc.Locations, map[string]*location{}); err != nil {
			return warnings, err
		}
		for _, l := range sc.Listens {
			key := l.Network + " " + l.Addr
			g := groups[key]
			if g == nil {
				g = &grp{shown: displayAddr(l.Network, l.Addr)}
				groups[key] = g
				order = append(order, key)
			}
			g.ssl = g.ssl || l.SSL
			g.servers = append(g.servers, vs)
			if l.DefaultServer && g.def == nil {
				g.def = vs
			}
		}
	}
	checked := map[*vserver]bool{}
	for _, key := range order {
		g := groups[key]
		if g.def == nil {
			g.def = g.servers[0]
		}
		nt, err := newNameTable(g.shown, g.servers, g.def)
		if err != nil {
			return warnings, err
		}
		warnings = append(warnings, nt.warnings...)
		if !g.ssl {
			continue
		}
		for _, vs := range g.servers {
			if checked[vs] || len(vs.conf.SSL.Certificates) == 0 {
				continue
			}
			checked[vs] = true
			_, _, w, err := buildTLS(vs.conf, false)
			if err != nil {
				return warnings, err
			}
			warnings = append(warnings, w...)
		}
		if len(g.def.conf.SSL.Certificates) == 0 {
			p := g.def.conf.Pos
			return warnings, fmt.Errorf("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in %s:%d", p.File, p.Line)
		}
	}
	return warnings, nil
}
