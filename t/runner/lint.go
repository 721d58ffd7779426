package runner

import (
	"fmt"
	"path/filepath"
)

// LintFile parses a .t file and checks, without running anything, that
// every block only uses supported sections and that paired sections come
// together. It returns one error per problem.
func LintFile(path string, env map[string]string) []error {
	root := "/nonexistent/servroot"
	fenv, err := fileEnv(env, root)
	if err != nil {
		return []error{err}
	}
	f, err := ParseFile(path, fenv)
	if err != nil {
		return []error{err}
	}
	name := filepath.Base(path)
	var errs []error
	if len(f.Blocks) == 0 {
		errs = append(errs, fmt.Errorf("%s: no test blocks", name))
	}
	for i, b := range f.Blocks {
		where := fmt.Sprintf("%s:%d: %s", name, b.Line, b.Name)
		for _, s := range b.Sections {
			if !supportedSections[s.Name] {
				errs = append(errs, fmt.Errorf("%s: unsupported section %q (line %d)", where, s.Name, s.Line))
			}
		}
		if b.Has("ONLY") {
			errs = append(errs, fmt.Errorf("%s: --- ONLY left in the file", where))
		}
		if b.Has("grep_error_log") != b.Has("grep_error_log_out") {
			errs = append(errs, fmt.Errorf("%s: --- grep_error_log and --- grep_error_log_out go together", where))
		}
		if i == 0 && !b.Has("config") {
			errs = append(errs, fmt.Errorf("%s: the first block needs a --- config", where))
		}
		if !b.Has("must_die") && !b.Has("request") && !b.Has("pipelined_requests") && !b.Has("raw_request") && !b.Has("exec") {
			errs = append(errs, fmt.Errorf("%s: no --- request, --- pipelined_requests, --- raw_request or --- exec", where))
		}
		for _, n := range []string{"tls_session", "tls_protocol", "tls_error_like"} {
			if b.Has(n) && !b.Has("tls") {
				errs = append(errs, fmt.Errorf("%s: --- %s needs --- tls", where, n))
			}
		}
		for _, n := range []string{"exec_out", "exec_out_like", "exec_status"} {
			if b.Has(n) && !b.Has("exec") {
				errs = append(errs, fmt.Errorf("%s: --- %s needs --- exec", where, n))
			}
		}
		for _, n := range []string{"main_config", "http_config", "post_main_config", "config", "user_files",
			"exec", "tls", "more_headers", "tcp_listen", "udp_listen"} {
			if sec := b.Get(n); sec != nil && sec.Value.Kind == KindStr {
				if _, err := Expand(sec.Value.Str, f.Pre.Env, map[string]string{}); err != nil {
					errs = append(errs, fmt.Errorf("%s: --- %s: %v", where, n, err))
				}
			}
		}
		if b.Has("tls") {
			br := &blockRun{fr: &fileRun{file: f}, b: b, env: f.Pre.Env, randPorts: map[string]string{}, t: lintTB{}}
			if err := lintTLS(br); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", where, err))
			}
		}
	}
	return errs
}

func lintTLS(br *blockRun) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return br.setupTLS()
}

// lintTB turns fatal reports into panics caught by lintTLS.
type lintTB struct{}

func (lintTB) Helper()                   {}
func (lintTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (lintTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (lintTB) Fatal(a ...any)            { panic(fmt.Sprint(a...)) }
func (lintTB) Logf(f string, a ...any)   {}
func (lintTB) Skip(a ...any)             {}
func (lintTB) Failed() bool              { return false }
