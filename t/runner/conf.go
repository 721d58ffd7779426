package runner

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
)

// ConfParams is what the generated nginx.conf depends on.
type ConfParams struct {
	Workers           int
	Daemon            bool
	MasterOn          bool
	ErrorLog          string // absolute path
	LogLevel          string
	PidFile           string
	AccessLog         string
	EnvToNginx        []string
	MainConfig        string
	HTTPConfig        string
	PostMainConfig    string
	Port              string
	ServerName        string
	Config            string
	HTMLDir           string
	NoRootLocation    bool
	WorkerConnections int
	Root              bool // running as root: Test::Nginx adds "user root;"
}

// WriteConfig renders nginx.conf exactly as Test::Nginx::Util's
// write_config_file does (same lines, same blank lines), so that
// "nginx.conf:N" positions in error messages match a real Test::Nginx run.
func WriteConfig(p ConfParams) string {
	var b strings.Builder
	onOff := func(v bool) string {
		if v {
			return "on"
		}
		return "off"
	}
	if p.Workers == WorkersAuto {
		b.WriteString("worker_processes  auto;\n")
	} else {
		fmt.Fprintf(&b, "worker_processes  %d;\n", p.Workers)
	}
	fmt.Fprintf(&b, "daemon %s;\n", onOff(p.Daemon))
	fmt.Fprintf(&b, "master_process %s;\n", onOff(p.MasterOn))
	fmt.Fprintf(&b, "error_log %s %s;\n", p.ErrorLog, p.LogLevel)
	fmt.Fprintf(&b, "pid       %s;\n", p.PidFile)
	for _, e := range []string{"MOCKEAGAIN_VERBOSE", "MOCKEAGAIN", "MOCKEAGAIN_WRITE_TIMEOUT_PATTERN",
		"LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "DYLD_FORCE_FLAT_NAMESPACE"} {
		fmt.Fprintf(&b, "env %s;\n", e)
	}
	for _, v := range p.EnvToNginx {
		if strings.ContainsAny(v, " \t") {
			v = "'" + v + "'"
		}
		fmt.Fprintf(&b, "env %s;\n", v)
	}
	b.WriteString("#env LUA_PATH;\n#env LUA_CPATH;\n\n")
	b.WriteString(p.MainConfig)
	b.WriteString("\n\nhttp {\n")
	fmt.Fprintf(&b, "    access_log %s;\n", p.AccessLog)
	b.WriteString("    #access_log off;\n\n")
	b.WriteString("    default_type text/plain;\n")
	b.WriteString("    keepalive_timeout  68;\n\n")
	b.WriteString(p.HTTPConfig)
	b.WriteString("\n\n    server {\n")
	fmt.Fprintf(&b, "        listen          %s;\n", p.Port)
	fmt.Fprintf(&b, "        server_name     '%s';\n\n", p.ServerName)
	b.WriteString("        client_max_body_size 30M;\n")
	b.WriteString("        #client_body_buffer_size 4k;\n")
	b.WriteString("\n") // $ServerConfigHttp3 (empty)
	b.WriteString("\n        # Begin preamble config...\n")
	b.WriteString("\n") // $ConfigPreamble (empty)
	b.WriteString("        # End preamble config...\n\n")
	b.WriteString("        # Begin test case config...\n")
	b.WriteString(p.Config)
	b.WriteString("\n        # End test case config.\n\n")
	if !p.NoRootLocation {
		b.WriteString("        location / {\n")
		fmt.Fprintf(&b, "            root %s;\n", p.HTMLDir)
		b.WriteString("            index index.html index.htm;\n")
		b.WriteString("        }\n")
	}
	b.WriteString("    }\n")
	b.WriteString("}\n\n")
	b.WriteString(p.PostMainConfig)
	b.WriteString("\n\n#timer_resolution 100ms;\n\n")
	b.WriteString("events {\n    accept_mutex off;\n\n")
	fmt.Fprintf(&b, "    worker_connections  %d;\n", p.WorkerConnections)
	b.WriteString("}\n")
	b.WriteString("env ASAN_OPTIONS;\nenv MOCKNOEAGAIN_VERBOSE;\nenv MOCKNOEAGAIN;\n")
	if p.Root {
		b.WriteString("user root;\n")
	}
	return b.String()
}

var envVarRe = regexp.MustCompile(`\$(TEST_NGINX_[_A-Z0-9]+)`)
var randPortRe = regexp.MustCompile(`^TEST_NGINX_RAND_PORT_[0-9]+$`)

// Expand replaces $TEST_NGINX_* in text from env; $TEST_NGINX_RAND_PORT_N
// get free ports, allocated on first use and remembered in randPorts (per
// block). An unknown variable is an error, as in Test::Nginx.
func Expand(text string, env map[string]string, randPorts map[string]string) (string, error) {
	var err error
	out := envVarRe.ReplaceAllStringFunc(text, func(m string) string {
		name := m[1:]
		if randPortRe.MatchString(name) {
			if p, ok := randPorts[name]; ok {
				return p
			}
			port, e := FreePort()
			if e != nil {
				err = e
				return m
			}
			randPorts[name] = port
			return port
		}
		v, ok := env[name]
		if !ok {
			if err == nil {
				err = fmt.Errorf("no environment %s defined", name)
			}
			return m
		}
		return v
	})
	return out, err
}

var (
	portMu    sync.Mutex
	portsUsed = map[string]bool{}
)

// FreePort returns a loopback port, TCP and UDP, that is free now and has not been
// handed out before by this process (so parallel files never share one).
func FreePort() (string, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		_, port, _ := net.SplitHostPort(l.Addr().String())
		l.Close()
		// blocks also listen on UDP there (udp_listen): the port must be
		// free for UDP too (an ephemeral UDP socket may hold it)
		u, err := net.ListenPacket("udp", "127.0.0.1:"+port)
		if err != nil {
			continue
		}
		u.Close()
		if !portsUsed[port] {
			portsUsed[port] = true
			return port, nil
		}
	}
	return "", fmt.Errorf("cannot find a free port")
}
