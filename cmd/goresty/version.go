package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/goresty/goresty/httpserver/keysign"
	"github.com/goresty/goresty/ngxapi"
)

// Version is goresty's own version.
const Version = ngxapi.GorestyVersion

// -v and -V print nginx's layout, so that tools parsing nginx's output read
// it right: Test::Nginx takes the first "nginx/X.Y.Z" as the version (and
// drops -p/-e, or skips tests, for an old one), and tests look for "built
// with OpenSSL". The version is the nginx release whose behaviour goresty
// follows; goresty's own version stands beside it.

// versionLine is -v's line and -V's first.
func versionLine() string {
	return "nginx version: nginx/" + ngxapi.NginxRelease + " (goresty/" + Version + ")"
}

// buildLines are -V's lines between the version and "configure
// arguments:", where nginx says how it was built. Other parts of goresty
// (run.go) add theirs with addBuildLine.
var buildLines = []func() string{
	// The TLS stack is Go's: no "built with OpenSSL", so tests that need
	// OpenSSL features are skipped and those that skip an old OpenSSL run.
	func() string {
		return "built with Go crypto/tls (" + runtime.Version() + "), TLS 1.2 and 1.3; not OpenSSL"
	},
	func() string { return "TLS SNI support enabled" },
	// libcrypto or, without it, Go's crypto/rsa (httpserver/keysign).
	func() string {
		desc, _ := keysign.Backend()
		return "RSA private keys sign with " + desc
	},
}

func addBuildLine(f func() string) { buildLines = append(buildLines, f) }

// configureArgs names, as nginx's configure options, the modules whose
// directives goresty implements.
const configureArgs = "--with-http_ssl_module --with-http_v2_module" +
	" --add-module=ngx_devel_kit --add-module=lua-nginx-module-" + ngxapi.NgxLuaRelease

func printVersion(w io.Writer, verbose bool) {
	fmt.Fprintln(w, versionLine())
	if !verbose {
		return
	}
	for _, f := range buildLines {
		fmt.Fprintln(w, f())
	}
	fmt.Fprintln(w, "configure arguments: "+configureArgs)
}
