package runner

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/tls"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/ngxapi/tlsname"
)

// runRepeat runs the actions of one repetition of a block: requests and
// exec commands, in the order their sections appear, then the error log
// checks.
func (br *blockRun) runRepeat(rep int) {
	if br.tlsOpts != nil && br.tlsCacheOn {
		br.tlsOpts.Cache = tls.NewLRUClientSessionCache(64)
	}
	if rep > 0 && br.b.Has("user_files") {
		// as Test::Nginx: the user files are written again for each repetition
		if err := br.writeUserFiles(); err != nil {
			br.t.Fatal(err)
		}
	}
	tcp := br.startTCP()
	udp := br.startUDP()
	// As Test::Nginx, the error log position is not reset between
	// repetitions: each check sees the lines written since the last one.
	did := false
	for _, s := range br.b.Sections {
		switch s.Name {
		case "request", "pipelined_requests", "raw_request":
			if !did {
				br.runRequests(rep)
			}
			did = true
		case "exec":
			br.runExec(rep)
		}
	}
	if !did && !br.b.Has("exec") {
		br.t.Errorf("%s - request empty: no --- request, --- pipelined_requests, --- raw_request or --- exec", br.label())
	}
	br.waitSection()
	br.logNote = br.finalNote
	br.checkErrorLog(rep)
	br.logNote, br.finalNote = "", ""
	br.checkAccessLog(rep)
	br.finishMock(tcp, "tcp", rep)
	br.finishMock(udp, "udp", rep)
}

func (br *blockRun) waitSection() {
	if s := br.str(br.b, "wait"); s != "" {
		sec, err := parseTime(s)
		if err != nil {
			br.t.Fatalf("--- wait: %v", err)
		}
		time.Sleep(time.Duration(sec * float64(time.Second)))
	}
}

// reqSpec is one request to send on its own connection.
type reqSpec struct {
	packets []string
	n       int // number of pipelined requests in it (responses to read)
	head    bool
}

func (br *blockRun) buildRequests() ([]reqSpec, bool) {
	b := br.b
	serverName := "localhost"
	if br.fr.file.Pre.ServerName != "" {
		serverName = br.fr.file.Pre.ServerName
	}
	if br.tlsOpts != nil && br.tlsOpts.ServerName != "" {
		serverName = br.tlsOpts.ServerName
	}
	var body *string
	if s := b.Get("request_body"); s != nil {
		if s.Value.Kind != KindStr {
			br.t.Fatalf("--- request_body must be a string")
		}
		v := s.Value.Str
		body = &v
	}
	more := b.Get("more_headers")
	moreFor := func(i int) string {
		if more == nil {
			return ""
		}
		switch more.Value.Kind {
		case KindStr:
			return br.expand(more.Value.Str)
		case KindList:
			if i >= len(more.Value.List) {
				br.t.Fatalf("--- more_headers lacks data for request %d", i)
			}
			return br.expand(more.Value.List[i].Str)
		}
		br.t.Fatalf("--- more_headers: bad value type %s", more.Value.Kind)
		return ""
	}
	isHead := func(s string) bool { return headReqRe.MatchString(s) }
	if s := b.Get("raw_request"); s != nil {
		switch s.Value.Kind {
		case KindStr:
			return []reqSpec{{packets: []string{s.Value.Str}, n: 1, head: isHead(s.Value.Str)}}, false
		case KindList:
			var p []string
			for _, x := range s.Value.List {
				p = append(p, x.Str)
			}
			return []reqSpec{{packets: p, n: 1, head: isHead(strings.Join(p, ""))}}, false
		}
		br.t.Fatalf("--- raw_request: bad value type")
	}
	if s := b.Get("pipelined_requests"); s != nil {
		if s.Value.Kind != KindList {
			br.t.Fatalf("%s - invalid entries in --- pipelined_requests (need an eval [...] list)", br.label())
		}
		var all strings.Builder
		for i, r := range s.Value.List {
			conn := "keep-alive"
			if i == len(s.Value.List)-1 {
				conn = "close"
			}
			req, err := BuildRequest(r.Str, moreFor(i), serverName, conn, body)
			if err != nil {
				br.t.Fatalf("%s - %v", br.label(), err)
			}
			all.WriteString(req)
		}
		return []reqSpec{{packets: []string{all.String()}, n: len(s.Value.List)}}, true
	}
	s := b.Get("request")
	if s == nil {
		br.t.Fatalf("%s - request empty", br.label())
	}
	switch s.Value.Kind {
	case KindStr:
		req, err := BuildRequest(s.Value.Str, moreFor(0), serverName, "close", body)
		if err != nil {
			br.t.Fatalf("%s - %v", br.label(), err)
		}
		return []reqSpec{{packets: []string{req}, n: 1, head: isHead(s.Value.Str)}}, false
	case KindList:
		var out []reqSpec
		for i, r := range s.Value.List {
			switch r.Kind {
			case KindStr:
				req, err := BuildRequest(r.Str, moreFor(i), serverName, "close", body)
				if err != nil {
					br.t.Fatalf("%s - %v", br.label(), err)
				}
				out = append(out, reqSpec{packets: []string{req}, n: 1, head: isHead(r.Str)})
			case KindList:
				// one request split into packets: build it whole, then cut it
				// at the same offsets (header additions go in the first packet)
				var whole string
				var sizes []int
				for _, p := range r.List {
					whole += p.Str
					sizes = append(sizes, len(p.Str))
				}
				req, err := BuildRequest(whole, moreFor(i), serverName, "close", body)
				if err != nil {
					br.t.Fatalf("%s - %v", br.label(), err)
				}
				extra := len(req) - len(whole)
				var packets []string
				off := 0
				for j, sz := range sizes {
					if j == 0 {
						sz += extra
					}
					if j == len(sizes)-1 {
						sz = len(req) - off
					}
					packets = append(packets, req[off:off+sz])
					off += sz
				}
				out = append(out, reqSpec{packets: packets, n: 1, head: isHead(whole)})
			default:
				br.t.Fatalf("%s - invalid --- request entry", br.label())
			}
		}
		return out, len(out) > 1
	}
	br.t.Fatalf("%s - invalid --- request: must be a string or a list of requests", br.label())
	return nil, false
}

func (br *blockRun) runRequests(rep int) {
	reqs, needArray := br.buildRequests()
	br.nreqs = 0
	for _, r := range reqs {
		br.nreqs += r.n
	}
	addr := "127.0.0.1:" + br.env["TEST_NGINX_SERVER_PORT"]
	if br.tlsOpts != nil {
		addr = br.tlsAddr
	}
	var middle time.Duration
	if s := br.str(br.b, "raw_request_middle_delay"); s != "" {
		sec, err := parseTime(s)
		if err != nil {
			br.t.Fatalf("--- raw_request_middle_delay: %v", err)
		}
		middle = time.Duration(sec * float64(time.Second))
	}
	reqIdx := 0
	h2 := br.b.Has("http2")
	if h2 && (br.b.Has("pipelined_requests") || br.b.Has("raw_request")) {
		br.t.Fatalf("%s - cannot use --- http2 with --- pipelined_requests or --- raw_request", br.label())
	}
	for ri, rq := range reqs {
		var sr SendResult
		var h2res *Response
		if h2 {
			h2res, sr = sendHTTP2(addr, strings.Join(rq.packets, ""), br.timeout, br.tlsOpts)
		} else {
			sr = Send(addr, rq.packets, middle, br.timeout, br.tlsOpts)
		}
		if sr.TimedOut && !br.b.Has("abort") {
			br.t.Errorf("%s - ERROR: client socket timed out (repeat %d, req %d)", br.label(), rep, reqIdx)
		}
		br.checkTLS(sr, reqIdx, len(reqs) > 1 || rq.n > 1, rep)
		raw := sr.Raw
		for k := 0; k < rq.n; k++ {
			var res *Response
			if h2 {
				res = h2res
				if sr.Err != nil && br.tlsOpts == nil && !br.b.Has("ignore_response") {
					br.t.Errorf("%s - %v (repeat %d, req %d)", br.label(), sr.Err, rep, reqIdx)
				}
			} else if sr.Err == nil || len(raw) > 0 {
				var left []byte
				var perr error
				res, left, perr = ParseResponse(raw, rq.head)
				if perr != nil && !br.b.Has("ignore_response") {
					br.t.Errorf("%s - %v (repeat %d, req %d)", br.label(), perr, rep, reqIdx)
				}
				if k == rq.n-1 && len(left) > 0 && !br.b.Has("ignore_response") {
					br.t.Logf("WARNING: %s - unexpected extra bytes after the response: %q", br.label(), left)
				}
				raw = left
			} else {
				res = &Response{}
			}
			if !br.b.Has("ignore_response") {
				br.filterBody(res, reqIdx)
				br.checkResponse(res, reqIdx, needArray || rq.n > 1, rep)
			}
			last := ri == len(reqs)-1 && k == rq.n-1
			if !last {
				br.waitSection()
				br.logNote = fmt.Sprintf(" [error log checked after request %d of %d: Test::Nginx checks it after every request, each check sees only the lines written since the previous one]", reqIdx+1, br.nreqs)
				br.checkErrorLog(rep)
				br.logNote = ""
			} else if br.nreqs > 1 {
				br.finalNote = fmt.Sprintf(" [error log checked after the last request (%d of %d): the lines already seen by the check after request %d are not seen again]", br.nreqs, br.nreqs, br.nreqs-1)
			}
			reqIdx++
		}
	}
}

// indexed picks the value for request idx: a list gives its idx'th entry
// (Test::Nginx's get_indexed_value); a scalar applies to every request.
func (br *blockRun) indexed(name string, idx int, needArray bool) (Value, bool) {
	s := br.b.Get(name)
	if s == nil {
		return Value{}, false
	}
	v := s.Value
	if v.Kind == KindList {
		if idx >= len(v.List) {
			br.t.Fatalf("%s - --- %s has %d entries, no entry for request %d", br.label(), name, len(v.List), idx)
		}
		return v.List[idx], true
	}
	if needArray {
		br.t.Fatalf("%s - you asked for many requests, the expected results of --- %s should be an eval [...] list as well", br.label(), name)
	}
	return v, true
}

func (br *blockRun) subPort(s string) string {
	s = serverPortForClientRe.ReplaceAllString(s, br.env["TEST_NGINX_SERVER_PORT"])
	return serverPortRe.ReplaceAllString(s, br.env["TEST_NGINX_SERVER_PORT"])
}

func (br *blockRun) checkResponse(res *Response, idx int, needArray bool, rep int) {
	t := br.t
	where := fmt.Sprintf("(repeat %d, req %d)", rep, idx)
	// status code
	if v, ok := br.indexed("error_code_like", idx, needArray); ok {
		re, err := br.likeRegexp(v, "sm")
		if err != nil {
			t.Fatalf("--- error_code_like: %v", err)
		}
		if !re.MatchString(res.Code) {
			t.Errorf("%s - status code ok %s: got %q, want like %s", br.label(), where, res.Code, v)
		}
	} else {
		want := "200"
		if v, ok := br.indexed("error_code", idx, needArray); ok {
			want = strings.TrimSpace(v.Str)
		}
		if res.Code != want {
			t.Errorf("%s - status code ok %s: got %q, want %q", br.label(), where, res.Code, want)
		}
	}
	// raw headers
	for _, n := range []string{"raw_response_headers_like", "raw_response_headers_unlike"} {
		if v, ok := br.indexed(n, idx, needArray); ok {
			re, err := br.likeRegexp(v, "s")
			if err != nil {
				t.Fatalf("--- %s: %v", n, err)
			}
			if re.MatchString(res.RawHeaders) != (n == "raw_response_headers_like") {
				t.Errorf("%s - %s %s: raw headers %q vs %s", br.label(), n, where, res.RawHeaders, v)
			}
		}
	}
	// headers
	if v, ok := br.indexed("response_headers", idx, needArray); ok {
		for _, h := range parseHeaderSpec(v.Str) {
			if h.absent {
				re := regexp.MustCompile(`(?mi)^\s*` + regexp.QuoteMeta(h.key) + `\s*:`)
				if re.MatchString(res.RawHeaders) {
					t.Errorf("%s - header %s not present in the raw headers %s: it is", br.label(), h.key, where)
				}
				continue
			}
			got, _ := res.Header(h.key)
			want := br.subPort(h.val)
			if got != want {
				t.Errorf("%s - header %s ok %s: got %q, want %q", br.label(), h.key, where, got, want)
			}
		}
	} else if v, ok := br.indexed("response_headers_like", idx, needArray); ok {
		for _, h := range parseHeaderSpec(v.Str) {
			got, _ := res.Header(h.key)
			re, err := PerlRegexp("^"+h.val+"$", "")
			if err != nil {
				t.Fatalf("--- response_headers_like: %v", err)
			}
			if !re.MatchString(got) {
				t.Errorf("%s - header %s like ok %s: got %q, want like /^%s$/", br.label(), h.key, where, got, h.val)
			}
		}
	}
	// body
	if v, ok := br.indexed("response_body", idx, needArray); ok {
		switch v.Kind {
		case KindRegex:
			if !v.Re.MatchString(res.Body) {
				t.Errorf("%s - response_body - like %s:\ngot:  %q\nwant like: %s", br.label(), where, res.Body, v)
			}
		case KindUndef:
		default:
			want := br.subPort(v.Str)
			if res.Body != want {
				t.Errorf("%s - response_body - response is expected %s:\ngot:  %q\nwant: %q", br.label(), where, res.Body, want)
			}
		}
	} else {
		for _, n := range []string{"response_body_like", "response_body_unlike"} {
			if v, ok := br.indexed(n, idx, needArray); ok {
				if v.Kind == KindStr {
					v.Str = br.subPort(v.Str)
				}
				re, err := br.likeRegexp(v, "s")
				if err != nil {
					t.Fatalf("--- %s: %v", n, err)
				}
				if re.MatchString(res.Body) != (n == "response_body_like") {
					t.Errorf("%s - %s - response is expected %s:\ngot: %q\npattern: %s", br.label(), n, where, res.Body, v)
				}
				break
			}
		}
	}
}

// likeRegexp compiles a *_like section value: a qr// value as is, a plain
// string as qr/$text/flags.
func (br *blockRun) likeRegexp(v Value, flags string) (*regexp.Regexp, error) {
	switch v.Kind {
	case KindRegex:
		return v.Re, nil
	case KindStr:
		return PerlRegexp(v.Str, flags)
	}
	return nil, fmt.Errorf("expected a string or a regex, got a %s", v.Kind)
}

type headerSpec struct {
	key, val string
	absent   bool
}

// parseHeaderSpec is Test::Nginx's parse_headers: "Key: value" lines,
// "!Key" for a header that must be absent.
func parseHeaderSpec(s string) []headerSpec {
	var out []headerSpec
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "!") {
			out = append(out, headerSpec{key: strings.TrimSpace(l[1:]), absent: true})
			continue
		}
		parts := headerSepRe.Split(l, 2)
		h := headerSpec{key: parts[0]}
		if len(parts) > 1 {
			h.val = parts[1]
		}
		out = append(out, h)
	}
	return out
}

// perRequestLine picks the expectation for request idx from a goresty
// extension section: an eval list is indexed; a string with one line
// applies to all requests; a string with several lines has one per request.
func (br *blockRun) perRequestLine(name string, idx int) (Value, bool) {
	s := br.b.Get(name)
	if s == nil {
		return Value{}, false
	}
	switch s.Value.Kind {
	case KindList:
		if idx >= len(s.Value.List) {
			br.t.Fatalf("%s - --- %s has no entry for request %d", br.label(), name, idx)
		}
		return s.Value.List[idx], true
	case KindStr:
		lines := strings.Split(strings.TrimRight(s.Value.Str, "\n"), "\n")
		if len(lines) == 1 {
			return Value{Kind: KindStr, Str: lines[0]}, true
		}
		if idx >= len(lines) {
			br.t.Fatalf("%s - --- %s has %d lines, none for request %d", br.label(), name, len(lines), idx)
		}
		return Value{Kind: KindStr, Str: lines[idx]}, true
	}
	return s.Value, true
}

func (br *blockRun) checkTLS(sr SendResult, idx int, needArray bool, rep int) {
	if br.tlsOpts == nil {
		return
	}
	t := br.t
	where := fmt.Sprintf("(repeat %d, req %d)", rep, idx)
	if v, ok := br.perRequestLine("tls_error_like", idx); ok {
		re, err := br.likeRegexp(v, "")
		if err != nil {
			t.Fatalf("--- tls_error_like: %v", err)
		}
		msg := ""
		if sr.Err != nil {
			msg = sr.Err.Error()
		}
		if !re.MatchString(msg) {
			t.Errorf("%s - tls_error_like %s: got %q, want like %s", br.label(), where, msg, v)
		}
		return
	}
	if sr.Err != nil {
		t.Errorf("%s - %v %s", br.label(), sr.Err, where)
		return
	}
	if sr.TLS == nil {
		return
	}
	if v, ok := br.perRequestLine("tls_session", idx); ok {
		got := "New"
		if sr.TLS.DidResume {
			got = "Reused"
		}
		if strings.TrimSpace(v.Str) != got {
			t.Errorf("%s - tls_session %s: got %s, want %s", br.label(), where, got, strings.TrimSpace(v.Str))
		}
	}
	if v, ok := br.perRequestLine("tls_protocol", idx); ok {
		got := tlsname.String(sr.TLS.Version)
		if strings.TrimSpace(v.Str) != got {
			t.Errorf("%s - tls_protocol %s: got %s, want %s", br.label(), where, got, strings.TrimSpace(v.Str))
		}
	}
}

// checkErrorLog reads the new error log lines and checks grep_error_log,
// error_log and no_error_log, as Test::Nginx's check_error_log.
func (br *blockRun) checkErrorLog(rep int) {
	if br.sleep > 0 {
		time.Sleep(br.sleep)
	}
	br.checkLogLines(br.logLines(), rep)
}

func (br *blockRun) checkLogLines(lines []string, rep int) {
	t := br.t
	b := br.b
	if g := b.Get("grep_error_log"); g != nil {
		pat := g.Value
		if pat.Kind == KindList {
			if rep >= len(pat.List) {
				t.Fatalf("%s - --- grep_error_log has no entry for repeat %d", br.label(), rep)
			}
			pat = pat.List[rep]
		}
		outSec := b.Get("grep_error_log_out")
		if outSec == nil {
			t.Fatalf("%s - no --- grep_error_log_out defined but --- grep_error_log is defined", br.label())
		}
		want := outSec.Value
		if want.Kind == KindList {
			if rep >= len(want.List) {
				t.Fatalf("%s - --- grep_error_log_out has no entry for repeat %d", br.label(), rep)
			}
			want = want.List[rep]
		}
		var got strings.Builder
		for _, l := range lines {
			line := strings.TrimSuffix(l, "\n")
			var m string
			if pat.Kind == KindRegex {
				loc := pat.Re.FindStringIndex(line)
				if loc == nil {
					continue
				}
				m = line[loc[0]:loc[1]]
			} else if strings.Contains(line, pat.Str) {
				m = pat.Str
			} else {
				continue
			}
			if !strings.Contains(m, "\n") {
				got.WriteString(m + "\n")
			}
		}
		switch want.Kind {
		case KindRegex:
			if !want.Re.MatchString(got.String()) {
				t.Errorf("%s - grep_error_log_out (repeat %d)%s:\ngot:\n%s\nwant like: %s", br.label(), rep, br.logNote, got.String(), want)
			}
		default:
			if got.String() != want.Str {
				t.Errorf("%s - grep_error_log_out (repeat %d)%s:\ngot:\n%q\nwant:\n%q", br.label(), rep, br.logNote, got.String(), want.Str)
			}
		}
	} else if b.Has("grep_error_log_out") {
		t.Fatalf("%s - no --- grep_error_log defined but --- grep_error_log_out is defined", br.label())
	}
	mentioned := func(level string) bool {
		for _, n := range []string{"error_log", "no_error_log"} {
			if s := b.Get(n); s != nil && valueContains(s.Value, level) {
				return true
			}
		}
		return false
	}
	br.matchLines("error_log", b.Get("error_log"), lines, true, rep)
	br.matchLines("no_error_log", b.Get("no_error_log"), lines, false, rep)
	for _, lvl := range []string{"[alert", "[crit", "[emerg"} {
		if mentioned(lvl) {
			continue
		}
		for _, l := range lines {
			if strings.Contains(l, lvl+"]") {
				t.Logf("WARNING: %s - %s", br.label(), strings.TrimSuffix(l, "\n"))
			}
		}
	}
}

func valueContains(v Value, pat string) bool {
	switch v.Kind {
	case KindStr, KindRegex:
		return strings.Contains(v.Str, pat)
	case KindList:
		for _, x := range v.List {
			if valueContains(x, pat) {
				return true
			}
		}
	}
	return false
}

// patterns turns an error_log-style value into patterns: a string gives
// one substring pattern per non-empty line, a regex itself, a list its
// entries.
func patterns(v Value) []Value {
	switch v.Kind {
	case KindStr:
		var out []Value
		for _, l := range strings.Split(strings.TrimSuffix(v.Str, "\n"), "\n") {
			if l != "" {
				out = append(out, Value{Kind: KindStr, Str: l})
			}
		}
		return out
	case KindRegex:
		return []Value{v}
	case KindList:
		return v.List
	}
	return nil
}

func matchLine(p Value, line string) bool {
	if p.Kind == KindRegex {
		return p.Re.MatchString(strings.TrimSuffix(line, "\n"))
	}
	return strings.Contains(line, p.Str)
}

func (br *blockRun) matchLines(name string, s *Section, lines []string, want bool, rep int) {
	if s == nil {
		return
	}
	t := br.t
	file := "error.log"
	if strings.Contains(name, "access") {
		file = "access.log"
	}
	for _, p := range patterns(s.Value) {
		if p.Kind == KindUndef {
			continue
		}
		found := ""
		for _, l := range lines {
			if matchLine(p, l) {
				found = l
				break
			}
		}
		if want && found == "" {
			t.Errorf("%s - pattern \"%s\" should match a line in %s (repeat %d)%s", br.label(), p, file, rep, br.logNote)
		}
		if !want && found != "" {
			t.Errorf("%s - pattern \"%s\" should not match any line in %s but matches line %q (repeat %d)%s",
				br.label(), p, file, strings.TrimSuffix(found, "\n"), rep, br.logNote)
		}
	}
}

func (br *blockRun) checkAccessLog(rep int) {
	if !br.b.Has("access_log") && !br.b.Has("no_access_log") {
		return
	}
	lines := splitLines(br.readAll(br.accLog))
	br.matchLines("access_log", br.b.Get("access_log"), lines, true, rep)
	br.matchLines("no_access_log", br.b.Get("no_access_log"), lines, false, rep)
}

// runExec runs the commands of "--- exec" (one per line, through sh -c)
// and checks exec_status, exec_out and exec_out_like.
func (br *blockRun) runExec(rep int) {
	t := br.t
	s := br.b.Get("exec")
	if s.Value.Kind != KindStr && s.Value.Kind != KindList {
		t.Fatalf("--- exec: expected command lines")
	}
	var cmds []string
	if s.Value.Kind == KindList {
		for _, c := range s.Value.List {
			cmds = append(cmds, c.Str)
		}
	} else {
		for _, l := range strings.Split(s.Value.Str, "\n") {
			if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") {
				cmds = append(cmds, l)
			}
		}
	}
	env := br.procEnv()
	if br.fr.opts.Helpers != nil {
		path, err := br.fr.opts.Helpers.PathFor(strings.Join(cmds, "\n"))
		if err != nil {
			t.Fatalf("%s - building helper commands: %v", br.label(), err)
		}
		env = append(env, "PATH="+path)
	}
	var all strings.Builder
	for i, c := range cmds {
		c = br.expand(c)
		ctx, cancel := context.WithTimeout(context.Background(), br.timeout+5*time.Second)
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c)
		cmd.Env = env
		cmd.Dir = br.fr.root
		var out, errb bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &errb
		err := cmd.Run()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Errorf("%s - exec %q: %v", br.label(), c, err)
			code = -1
		}
		wantCode := "0"
		if v, ok := br.perExec("exec_status", i, len(cmds)); ok {
			wantCode = strings.TrimSpace(v.Str)
		}
		if wantCode != "any" && strconv.Itoa(code) != wantCode {
			t.Errorf("%s - exec %q (repeat %d): exit status %d, want %s\nstdout:\n%s\nstderr:\n%s",
				br.label(), c, rep, code, wantCode, out.String(), errb.String())
		}
		if br.fr.opts.Verbose {
			t.Logf("exec %q:\n%s%s", c, out.String(), errb.String())
		}
		if v, ok := br.perExecList("exec_out", i); ok && out.String() != v.Str {
			t.Errorf("%s - exec_out of %q (repeat %d):\ngot:  %q\nwant: %q\nstderr:\n%s", br.label(), c, rep, out.String(), v.Str, errb.String())
		}
		if v, ok := br.perExecList("exec_out_like", i); ok {
			re, err := br.likeRegexp(v, "s")
			if err != nil {
				t.Fatalf("--- exec_out_like: %v", err)
			}
			if !re.MatchString(out.String()) {
				t.Errorf("%s - exec_out_like of %q (repeat %d):\ngot: %q\npattern: %s\nstderr:\n%s", br.label(), c, rep, out.String(), v, errb.String())
			}
		}
		all.WriteString(out.String())
	}
	for _, n := range []string{"exec_out", "exec_out_like"} {
		sec := br.b.Get(n)
		if sec == nil || sec.Value.Kind == KindList {
			continue
		}
		got := all.String()
		if n == "exec_out" && got != sec.Value.Str {
			t.Errorf("%s - exec_out (repeat %d):\ngot:  %q\nwant: %q", br.label(), rep, got, sec.Value.Str)
		}
		if n == "exec_out_like" {
			re, err := br.likeRegexp(sec.Value, "s")
			if err != nil {
				t.Fatalf("--- exec_out_like: %v", err)
			}
			if !re.MatchString(got) {
				t.Errorf("%s - exec_out_like (repeat %d):\ngot: %q\npattern: %s", br.label(), rep, got, sec.Value)
			}
		}
	}
}

// perExecList returns the list entry for command i of exec_out/exec_out_like
// (scalars are checked against all output together by the caller).
func (br *blockRun) perExecList(name string, i int) (Value, bool) {
	s := br.b.Get(name)
	if s == nil || s.Value.Kind != KindList {
		return Value{}, false
	}
	if i >= len(s.Value.List) {
		br.t.Fatalf("%s - --- %s has no entry for command %d", br.label(), name, i)
	}
	return s.Value.List[i], true
}

// perExec returns exec_status for command i: a list is indexed, a single
// line applies to all commands, several lines give one per command.
func (br *blockRun) perExec(name string, i, n int) (Value, bool) {
	return br.perRequestLine(name, i)
}

// filterBody applies --- response_body_filters (uc, lc, ucfirst, lcfirst,
// md5_hex, sha1_hex, length; an eval list of lists gives filters per
// request) to the body before the checks.
func (br *blockRun) filterBody(res *Response, idx int) {
	s := br.b.Get("response_body_filters")
	if s == nil {
		return
	}
	var names []string
	switch v := s.Value; v.Kind {
	case KindStr:
		names = strings.Fields(v.Str)
	case KindList:
		if len(v.List) > 0 && v.List[0].Kind == KindList {
			if idx >= len(v.List) {
				br.t.Fatalf("%s - --- response_body_filters has no entry for request %d", br.label(), idx)
			}
			v = v.List[idx]
		}
		for _, x := range v.List {
			names = append(names, x.Str)
		}
	}
	for _, n := range names {
		b := res.Body
		switch n {
		case "uc":
			b = strings.ToUpper(b)
		case "lc":
			b = strings.ToLower(b)
		case "ucfirst":
			if b != "" {
				b = strings.ToUpper(b[:1]) + b[1:]
			}
		case "lcfirst":
			if b != "" {
				b = strings.ToLower(b[:1]) + b[1:]
			}
		case "md5_hex":
			b = fmt.Sprintf("%x", md5.Sum([]byte(b)))
		case "sha1_hex":
			b = fmt.Sprintf("%x", sha1.Sum([]byte(b)))
		case "length":
			b = strconv.Itoa(len(b))
		default:
			br.t.Fatalf("%s - unknown filter, %q, specified in the --- response_body_filters section", br.label(), n)
		}
		res.Body = b
	}
}

var headReqRe = regexp.MustCompile(`^\s*HEAD\s+`)
var serverPortForClientRe = regexp.MustCompile(`\$ServerPortForClient\b`)
var serverPortRe = regexp.MustCompile(`\$ServerPort\b`)
var headerSepRe = regexp.MustCompile(`\s*:\s*`)
