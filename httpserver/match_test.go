package httpserver

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/goresty/goresty/confparse"
)

func TestLocationMatching(t *testing.T) {
	L := func(mod, path string, nested ...*confparse.LocationConf) *confparse.LocationConf {
		return &confparse.LocationConf{Modifier: mod, Path: path, Locations: nested}
	}
	locs := []*confparse.LocationConf{
		L("", "/"),
		L("=", "/exact"),
		L("", "/exact"),
		L("", "/images/"),
		L("^~", "/static/"),
		L("~", `\.php$`),
		L("~*", `\.(gif|jpg)$`),
		L("", "/docs/",
			L("", "/docs/api/"),
			L("~", `^/docs/.*\.md$`),
		),
		L("^~", "/noregex/",
			L("~", `\.txt$`),
		),
		L("@", "named"),
	}
	tbl, err := buildLocations(locs, map[string]*location{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ uri, mod, path string }{
		{"/", "", "/"},
		{"/anything", "", "/"},
		{"/exact", "=", "/exact"},
		{"/exact/more", "", "/exact"},
		{"/images/a.png", "", "/images/"},
		{"/images/a.GIF", "~*", `\.(gif|jpg)$`},
		{"/static/a.php", "^~", "/static/"},
		{"/x/index.php", "~", `\.php$`},
		{"/x/index.PHP", "", "/"},
		{"/docs/api/x", "", "/docs/api/"},
		{"/docs/api/x.md", "~", `^/docs/.*\.md$`},
		{"/docs/a.php", "~", `\.php$`},
		{"/noregex/a.txt", "~", `\.txt$`},
		{"/noregex/a.php", "^~", "/noregex/"},
	}
	for _, tc := range tests {
		l := tbl.Find(tc.uri)
		if l == nil {
			t.Errorf("%s: no location", tc.uri)
			continue
		}
		if l.conf.Modifier != tc.mod || l.conf.Path != tc.path {
			t.Errorf("%s: got %q %q, want %q %q", tc.uri, l.conf.Modifier, l.conf.Path, tc.mod, tc.path)
		}
	}
	// no "/" location: unmatched URIs find nothing
	tbl2, _ := buildLocations([]*confparse.LocationConf{L("", "/a")}, map[string]*location{})
	if l := tbl2.Find("/b"); l != nil {
		t.Errorf("/b matched %q", l.conf.Path)
	}
}

func TestServerNames(t *testing.T) {
	mk := func(names ...string) *vserver {
		return &vserver{conf: &confparse.ServerConf{Names: names}, name: names[0]}
	}
	def := mk("default")
	servers := []*vserver{
		def,
		mk("example.com", "www.example.com"),
		mk("*.example.com"),
		mk("*.a.example.com"),
		mk("mail.*"),
		mk("~^(?P<user>\\w+)\\.users\\.org$"),
		mk(".dot.org"),
		mk("~^www\\d+\\."),
		mk("example.com"), // duplicate: ignored with a warning
	}
	nt, err := newNameTable("0.0.0.0:80", servers, def)
	if err != nil {
		t.Fatal(err)
	}
	if len(nt.warnings) != 1 {
		t.Errorf("warnings: %q", nt.warnings)
	}
	tests := []struct{ host, want string }{
		{"example.com", "example.com"},
		{"www.example.com", "example.com"},
		{"x.example.com", "*.example.com"},
		{"x.a.example.com", "*.a.example.com"},
		{"a.example.com", "*.example.com"},
		{"mail.example.org", "mail.*"},
		{"mail.example.com", "*.example.com"}, // leading wildcard beats trailing
		{"bob.users.org", "~^(?P<user>\\w+)\\.users\\.org$"},
		{"dot.org", ".dot.org"},
		{"x.dot.org", ".dot.org"},
		{"www1.example.net", "~^www\\d+\\."},
		{"nomatch.net", ""},
	}
	for _, tc := range tests {
		s := nt.find(tc.host)
		got := ""
		if s != nil {
			got = s.name
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.host, got, tc.want)
		}
	}
	for in, want := range map[string]string{"Example.COM:8080": "example.com", "a.b.": "a.b", "[::1]:80": "[::1]", "": ""} {
		if got := normHost(in); got != want {
			t.Errorf("normHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCiphers(t *testing.T) {
	tests := []struct {
		in   string
		want []uint16
		err  bool
	}{
		{"ECDHE-RSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, false},
		{"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, false},
		{"DHE-RSA-AES128-GCM-SHA256:AES128-SHA", []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, false},
		{"ECDHE+AESGCM:!ECDSA", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, false},
		{"NOSUCHCIPHER", nil, true},
		{"AES128-SHA:BOGUS-NAME", nil, true},
		{"DHE-RSA-AES128-GCM-SHA256", nil, true}, // nothing Go can use
	}
	for _, tc := range tests {
		got, err := ParseCiphers(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v", tc.in, err)
			continue
		}
		if tc.err {
			want := `SSL_CTX_set_cipher_list("` + tc.in + `") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`
			if err.Error() != want {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %x, want %x", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %x, want %x", tc.in, got, tc.want)
				break
			}
		}
	}
	if ids, err := ParseCiphers("HIGH:!aNULL:!MD5"); err != nil || len(ids) == 0 {
		t.Errorf("HIGH:!aNULL:!MD5: %v %v", ids, err)
	}
}

func TestCurvesAndProtocols(t *testing.T) {
	c, err := ParseCurves("X25519:prime256v1:secp384r1")
	if err != nil || len(c) != 3 || c[0] != tls.X25519 || c[1] != tls.CurveP256 || c[2] != tls.CurveP384 {
		t.Errorf("curves %v %v", c, err)
	}
	if c, err := ParseCurves("auto"); c != nil || err != nil {
		t.Errorf("auto: %v %v", c, err)
	}
	if _, err := ParseCurves("brainpool"); err == nil {
		t.Error("brainpool accepted")
	}
	min, max, w := protocolRange([]string{"TLSv1", "TLSv1.1", "TLSv1.2"})
	if min != tls.VersionTLS12 || max != tls.VersionTLS12 || len(w) != 2 {
		t.Errorf("protocols: %x %x %q", min, max, w)
	}
	min, max, w = protocolRange(nil)
	if min != tls.VersionTLS12 || max != tls.VersionTLS13 || len(w) != 0 {
		t.Errorf("default protocols: %x %x %q", min, max, w)
	}
}

func TestProxyURI(t *testing.T) {
	tests := []struct{ pass, locPath, mod, uri, raw, args, want string }{
		{"http://127.0.0.1:8080", "/app/", "", "/app/x", "/app/x?a=1", "a=1", "/app/x?a=1"},
		{"http://127.0.0.1:8080", "/app/", "", "/app/a b", "/app/a%20b", "", "/app/a%20b"},
		{"http://127.0.0.1:8080/", "/app/", "", "/app/x", "/app/x?a=1", "a=1", "/x?a=1"},
		{"http://127.0.0.1:8080/back/", "/app/", "", "/app/x/y", "/app/x/y", "", "/back/x/y"},
		{"http://127.0.0.1:8080/back", "/app", "", "/app/x", "/app/x", "", "/back/x"},
		{"http://127.0.0.1:8080/back/", "\\.php$", "~", "/a.php", "/a.php", "q", "/back/?q"},
	}
	for _, tc := range tests {
		if got := proxyURI(tc.pass, tc.locPath, tc.mod, tc.uri, tc.raw, tc.args); got != tc.want {
			t.Errorf("%s %s %s: got %q, want %q", tc.pass, tc.locPath, tc.uri, got, tc.want)
		}
	}
}

func TestNormalizeURI(t *testing.T) {
	for in, want := range map[string]string{
		"/": "/", "/a//b": "/a/b", "/a/./b/": "/a/b/", "/a/../b": "/b", "/a/b/..": "/a/", "/..": "", "": "/",
	} {
		got, ok := normalizeURI(in)
		if want == "" {
			if ok {
				t.Errorf("%q accepted as %q", in, got)
			}
			continue
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	srv := &confparse.ServerConf{
		Listens: []confparse.Listen{{Network: "tcp", Addr: ":443", SSL: true}},
		Names:   []string{"a"},
		SSL: confparse.SSLSettings{
			Certificates: []confparse.CertPair{{Cert: certDir + "/ecdsa.crt", Key: certDir + "/ecdsa.key"}},
			Ciphers:      "BOGUS", Protocols: []string{"TLSv1.1", "TLSv1.2"},
		},
	}
	cfg := &confparse.Config{HTTP: &confparse.HTTPConf{Servers: []*confparse.ServerConf{srv}}}
	w, err := Check(cfg)
	if err == nil || !strings.Contains(err.Error(), `SSL_CTX_set_cipher_list("BOGUS") failed`) {
		t.Errorf("bad cipher: %v", err)
	}
	srv.SSL.Ciphers = ""
	if w, err = Check(cfg); err != nil || len(w) != 1 {
		t.Errorf("ok config: %v %q", err, w)
	}
	srv.SSL.Certificates = nil
	if _, err = Check(cfg); err == nil || !strings.Contains(err.Error(), `no "ssl_certificate" is defined`) {
		t.Errorf("no certificate: %v", err)
	}
	srv.SSL.Certificates = []confparse.CertPair{{Cert: certDir + "/missing.crt", Key: certDir + "/ecdsa.key"}}
	if _, err = Check(cfg); err == nil || !strings.Contains(err.Error(), `cannot load certificate "`+certDir+`/missing.crt": BIO_new_file() failed`) {
		t.Errorf("missing certificate: %v", err)
	}
}
