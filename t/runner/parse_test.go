package runner

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseBlocks(t *testing.T) {
	src := `use Test::Nginx::Socket::Lua;
repeat_each(3);
no_shuffle();
log_level('warn');
$ENV{TEST_NGINX_FOO} ||= 'foo';
$ENV{TEST_NGINX_SET} ||= 'default';
our $HttpConfig = <<_EOC_;
    lua_shared_dict d 1m; # $ENV{TEST_NGINX_FOO}
_EOC_
plan tests => repeat_each() * blocks();
run_tests();

__DATA__

=== TEST 1: sections, trimming and filters
a description
--- config


    location = /t {
        echo ok;
    }


--- request
GET /t
--- error_code: 404
--- response_body chomp
hello
--- response_body_like eval: qr/^h/
--- http_config eval: $::HttpConfig
--- grep_error_log_out eval
["a\n", "b\n"]
--- more_headers eval
"X-A: " . "b" x 3



=== TEST 2: second
--- config
--- request
GET /
--- ONLY
__END__
=== TEST 3: after __END__
`
	env := map[string]string{"TEST_NGINX_SET": "already"}
	f, err := Parse(src, env)
	if err != nil {
		t.Fatal(err)
	}
	if f.Pre.RepeatEach != 3 || !f.Pre.NoShuffle || f.Pre.LogLevel != "warn" {
		t.Errorf("preamble = %+v", f.Pre)
	}
	if env["TEST_NGINX_FOO"] != "foo" || env["TEST_NGINX_SET"] != "already" {
		t.Errorf("env = %v", env)
	}
	if len(f.Blocks) != 2 {
		t.Fatalf("%d blocks, want 2 (__END__ stops)", len(f.Blocks))
	}
	b := f.Blocks[0]
	if b.Name != "TEST 1: sections, trimming and filters" || b.Line != 15 || b.Desc != "a description\n" {
		t.Errorf("block = %q line %d desc %q", b.Name, b.Line, b.Desc)
	}
	str := func(name string) string {
		t.Helper()
		s := b.Get(name)
		if s == nil {
			t.Fatalf("no section %s", name)
		}
		return s.Value.String()
	}
	for name, want := range map[string]string{
		"config":        "    location = /t {\n        echo ok;\n    }\n",
		"request":       "GET /t\n",
		"error_code":    "404",
		"response_body": "hello",
		"http_config":   "    lua_shared_dict d 1m; # foo\n",
		"more_headers":  "X-A: bbb",
	} {
		if got := str(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if v := b.Get("response_body_like").Value; v.Kind != KindRegex || !v.Re.MatchString("hello") {
		t.Errorf("response_body_like = %v", v)
	}
	if v := b.Get("grep_error_log_out").Value; v.Kind != KindList || len(v.List) != 2 || v.List[1].Str != "b\n" {
		t.Errorf("grep_error_log_out = %v", v)
	}
	if b.Get("config").Line != 17 {
		t.Errorf("config line = %d", b.Get("config").Line)
	}
	if !f.Blocks[1].Has("ONLY") || f.Blocks[1].Get("config").Value.Str != "" {
		t.Errorf("block 2 = %+v", f.Blocks[1])
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"no data", "run_tests();\n", "no __DATA__"},
		{"preprocessor", "add_block_preprocessor(sub { my $b = shift; });\n__DATA__\n", "unsupported Perl statement: add_block_preprocessor"},
		{"unknown call", "frobnicate(1);\n__DATA__\n", "unsupported Perl statement: frobnicate(1)"},
		{"bad eval", "__DATA__\n=== TEST 1: x\n--- request eval\nmy_sub(1)\n", `section "request": eval: unsupported Perl expression near "my_sub(1)`},
		{"unknown filter", "__DATA__\n=== TEST 1: x\n--- request base64_decode\nR0VU\n", `unsupported filter "base64_decode"`},
		{"duplicate", "__DATA__\n=== TEST 1: x\n--- request\nGET /\n--- request\nGET /\n", `duplicate section "request"`},
		{"lookahead", "__DATA__\n=== TEST 1: x\n--- error_log eval\nqr/a(?=b)/\n", "look-around"},
		{"unknown var", "__DATA__\n=== TEST 1: x\n--- http_config eval: $::Nope\n", "unknown Perl variable $Nope"},
		{"workers_each", "workers_each(1, 'many');\n__DATA__\n", `workers_each: want numbers or 'auto', got "many"`},
	} {
		_, err := Parse(tc.src, map[string]string{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTrim(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"\n\n  \nfoo\n":    "foo\n",
		"foo\n\n\n":        "foo\n",
		"foo\n  \n\t\n":    "foo\n",
		"  foo  \nbar\n\n": "  foo  \nbar\n",
		"foo":              "foo",
		"foo\n\nbar\n \n":  "foo\n\nbar\n",
		"   ":              "   ",
		"\n":               "",
	} {
		if got := trim(in); got != want {
			t.Errorf("trim(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPreambleStatements(t *testing.T) {
	src := `
use Test::Nginx::Socket::Lua 'no_plan';
use Cwd qw(cwd);
workers(2);
workers_each(1, 'auto', 3);
worker_connections(1024);
master_on();
no_root_location();
server_name('test.com');
timeout(5);
check_accum_error_log();
env_to_nginx("PATH", 'FOO');
$ENV{TEST_NGINX_A} = "x" . 'y';
$ENV{TEST_NGINX_B} //= 1;
my $pwd = "/here";
our $Conf = qq{
    root $pwd; # $ENV{TEST_NGINX_A}
};
sub read_file {
    my $infile = shift;
    open my $in, $infile or die "cannot open $infile: $!";
}
`
	env := map[string]string{}
	p, err := ParsePreamble(src, env)
	if err != nil {
		t.Fatal(err)
	}
	if p.Workers != 2 || p.WorkerConnections != 1024 || !p.MasterOn || !p.NoRootLocation ||
		p.ServerName != "test.com" || p.Timeout != 5 || !p.CheckAccumErrLog ||
		strings.Join(p.EnvToNginx, ",") != "PATH,FOO" || fmt.Sprint(p.WorkersEach) != fmt.Sprint([]int{1, WorkersAuto, 3}) {
		t.Errorf("preamble = %+v", p)
	}
	if env["TEST_NGINX_A"] != "xy" || env["TEST_NGINX_B"] != "1" {
		t.Errorf("env = %v", env)
	}
	if v := p.Vars["Conf"]; v.Str != "\n    root /here; # xy\n" {
		t.Errorf("$Conf = %q", v.Str)
	}
}
