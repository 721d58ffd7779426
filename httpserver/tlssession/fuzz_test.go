package tlssession

import (
	"testing"

	"github.com/goresty/goresty/confparse"
)

// FuzzDecode: whatever bytes a store hands back, decoding never panics and
// only a well-formed, fresh, same-vhost envelope is accepted.
func FuzzDecode(f *testing.F) {
	h := newFuncHooks()
	e := newEnv(f, &confparse.HTTPConf{SSLSessionSealOff: true}, h)
	srv := e.server(nil, "a")
	handshake(f, srv, client(f, 0x0303))
	for _, b := range h.sessions {
		f.Add(b)
	}
	f.Add([]byte("g\x02"))
	f.Add([]byte("G\x01abcd"))
	v := e.m.configs[srv]
	ek := newEnv(f, &confparse.HTTPConf{SSLSessionSealKeys: []string{writeKey(f, 32, 9)}}, nil)
	vs := ek.m.configs[ek.server(nil, "a")]
	ed := newEnv(f, nil, nil) // the default: a process key
	vd := ed.m.configs[ed.server(nil, "a")]
	id := make([]byte, IDLen)
	f.Fuzz(func(t *testing.T, b []byte) {
		v.decode(id, b)
		vs.decode(id, b)
		vd.decode(id, b)
		v.unwrapStateless(b, nil)
	})
}
