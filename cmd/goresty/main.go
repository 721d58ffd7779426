// Command goresty is an nginx-compatible HTTPS server scripted in Lua. Its
// command line is nginx's: -c -p -e -g -t -T -q -v -V -s -h.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/httpserver"
	"github.com/goresty/goresty/luavm/errlog"
)

const usage = `Usage: goresty [-?hvVtTq] [-s signal] [-p prefix]
               [-e filename] [-c filename] [-g directives]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and built-in features then exit
  -t            : test configuration (and compile its Lua code) and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: current directory)
  -e filename   : set error log file (default: logs/error.log)
  -c filename   : set configuration file (default: conf/nginx.conf)
  -g directives : set global directives out of configuration file
`

type options struct {
	help, version, verbose bool
	test, dump, quiet      bool
	signal                 string
	prefix, conf, errorLog string
	globals                string
}

// runServer starts serving; it is set by run.go (httpserver.Run).
var runServer func(cfg *confparse.Config, o options) int

// checkServer runs the server's own checks for -t (certificates, ciphers,
// curves, regexes); set by run.go (httpserver.Check).
var checkServer func(cfg *confparse.Config) (warnings []string, err error)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// parseArgs reads nginx-style options: flags may be grouped ("-tq") and an
// option's value may be glued ("-pPREFIX") or the next argument.
func parseArgs(args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			return o, fmt.Errorf("invalid option: %q", a)
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case '?', 'h':
				o.help = true
			case 'v':
				o.version = true
			case 'V':
				o.version, o.verbose = true, true
			case 't':
				o.test = true
			case 'T':
				o.test, o.dump = true, true
			case 'q':
				o.quiet = true
			case 'p', 'c', 'e', 'g', 's':
				var val string
				if j+1 < len(a) {
					val = a[j+1:]
				} else if i+1 < len(args) {
					i++
					val = args[i]
				} else {
					what := map[byte]string{'p': "directory name", 'c': "file name", 'e': "file name", 'g': "parameter", 's': "parameter"}[c]
					return o, fmt.Errorf(`option "-%c" requires %s`, c, what)
				}
				switch c {
				case 'p':
					o.prefix = val
				case 'c':
					o.conf = val
				case 'e':
					o.errorLog = val
				case 'g':
					o.globals = val
				case 's':
					switch val {
					case "stop", "quit", "reopen", "reload":
						o.signal = val
					default:
						return o, fmt.Errorf(`invalid option: "-s %s"`, val)
					}
				}
				j = len(a)
			default:
				return o, fmt.Errorf(`invalid option: "%s"`, a[j:])
			}
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "goresty: %s\n", err)
		return 1
	}
	if o.version {
		printVersion(stderr, o.verbose)
	}
	if o.help {
		fmt.Fprint(stderr, usage)
	}
	if o.version || o.help {
		return 0
	}
	prefix := o.prefix
	if prefix == "" {
		prefix, err = os.Getwd()
		if err != nil {
			fmt.Fprintf(stderr, "goresty: [alert] getcwd() failed (%s)\n", errlog.ErrnoText(err))
			return 1
		}
	}
	prefix, _ = filepath.Abs(prefix)
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	o.prefix = prefix
	slog := newStartLog(stderr, o, prefix)
	defer slog.close()
	copts := confparse.Options{Prefix: prefix, ConfFile: o.conf, Globals: o.globals, ErrorLog: o.errorLog}
	confFile := confparse.ConfPath(prefix, o.conf)

	cfg, err := confparse.Load(copts)
	if err == nil && o.test {
		err = compileAll(cfg)
		if err == nil && checkServer != nil {
			var warns []string
			warns, err = checkServer(cfg)
			cfg.Warnings = append(cfg.Warnings, warns...)
		}
	}
	if cfg != nil && o.test {
		// as nginx, warnings are printed even with -q
		for _, w := range cfg.Warnings {
			slog.log(errlog.Warn, w)
		}
	}
	if err != nil {
		slog.log(errlog.LevelOf(err), err.Error())
		if o.test {
			fmt.Fprintf(stderr, "goresty: configuration file %s test failed\n", confFile)
		}
		return 1
	}
	if o.test {
		if !o.quiet {
			fmt.Fprintf(stderr, "goresty: the configuration file %s syntax is ok\n", confFile)
			fmt.Fprintf(stderr, "goresty: configuration file %s test is successful\n", confFile)
		}
		if o.dump {
			for _, f := range cfg.Files {
				fmt.Fprintf(stdout, "# configuration file %s:\n%s\n", f.Name, f.Text)
			}
		}
		return 0
	}
	if o.signal != "" {
		return sendSignal(cfg, o.signal, slog)
	}
	if runServer == nil {
		slog.log(errlog.Emerg, "goresty was built without its HTTP server")
		return 1
	}
	return runServer(cfg, o)
}

// compileAll compiles every Lua chunk of the configuration, so that -t
// finds Lua syntax errors that OpenResty only finds at run time.
func compileAll(cfg *confparse.Config) error {
	for _, c := range cfg.Lua {
		if _, err := httpserver.CompileLua(c); err != nil {
			return err
		}
	}
	return nil
}

var signals = map[string]syscall.Signal{
	"stop":   syscall.SIGTERM,
	"quit":   syscall.SIGQUIT,
	"reopen": syscall.SIGUSR1,
	"reload": syscall.SIGHUP,
}

// sendSignal implements -s: read the pid file named by the configuration
// and signal that process.
func sendSignal(cfg *confparse.Config, name string, slog *startLog) int {
	sig := signals[name]
	b, err := os.ReadFile(cfg.Main.PID)
	if err != nil {
		slog.log(errlog.Error, fmt.Sprintf("open() \"%s\" failed (%s)", cfg.Main.PID, errlog.ErrnoText(err)))
		return 1
	}
	s := strings.TrimSpace(string(b))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		slog.log(errlog.Error, fmt.Sprintf("invalid PID number \"%s\" in \"%s\"", s, cfg.Main.PID))
		return 1
	}
	if err := syscall.Kill(pid, sig); err != nil {
		var errno syscall.Errno
		text := err.Error()
		if errors.As(err, &errno) {
			text = errlog.ErrnoText(err)
		}
		slog.log(errlog.Alert, fmt.Sprintf("kill(%d, %d) failed (%s)", pid, int(sig), text))
		return 1
	}
	return 0
}
