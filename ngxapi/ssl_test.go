package ngxapi

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/goresty/goresty/luavm"
)

type fakeDecoder struct{ got []byte }

func (d *fakeDecoder) DecodeSession(b []byte) error {
	if string(b) == "bad" {
		return errors.New("failed to de-serialize session")
	}
	d.got = b
	return nil
}

func (vm *coreVM) runCtx(ph luavm.Phase, ctx any, src string) (luavm.Result, []string) {
	vm.t.Helper()
	ch, err := luavm.CompileString(src, strings.TrimSuffix(ph.Context(), "*")+"(nginx.conf:10)")
	if err != nil {
		vm.t.Fatal(err)
	}
	r := vm.pool.Workers()[0].Run(&luavm.Request{Phase: ph, Chunk: ch, Ctx: ctx})
	return r, vm.drain()
}

type tlsCtx struct{ st *tls.ConnectionState }

func (c *tlsCtx) TLSState() *tls.ConnectionState { return c.st }

func TestSSLSessionModule(t *testing.T) {
	vm := newCoreVM(t, luavm.Options{})
	id := make([]byte, 32)
	for i := range id {
		id[i] = byte(i * 7)
	}
	const src = `
local s = require "ngx.ssl.session"
local ssl = require "ngx.ssl"
for _, f in ipairs({"get_session_id", "get_serialized_session"}) do
    local ok, a, b = pcall(s[f])
    emit(f, tostring(ok), tostring(a), tostring(b))
end
for _, v in ipairs({"good", "bad"}) do
    local ok, a, b = pcall(s.set_serialized_session, v)
    emit("set " .. v, tostring(ok), tostring(a), tostring(b))
end
for _, f in ipairs({"server_name", "get_tls1_version", "get_tls1_version_str"}) do
    local ok, a, b = pcall(ssl[f])
    emit(f, tostring(ok), tostring(a), tostring(b))
end
`
	hexID := "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"
	disabled := func(ctx string) string { return "false API disabled in the context of " + ctx + " nil" }
	cases := []struct {
		phase luavm.Phase
		ctx   any
		want  []string
	}{
		{luavm.PhaseSSLSessionStore, &SessionCtx{ID: id, Serialized: []byte("SER"), ServerName: "test.com", Version: tls.VersionTLS12}, []string{
			"get_session_id true " + hexID + " nil",
			"get_serialized_session true SER nil",
			"set good " + disabled("ssl_session_store_by_lua*"),
			"set bad " + disabled("ssl_session_store_by_lua*"),
			"server_name true test.com nil",
			"get_tls1_version true 771 nil",
			"get_tls1_version_str true TLSv1.2 nil",
		}},
		{luavm.PhaseSSLSessionFetch, &SessionCtx{ID: id, Version: tls.VersionTLS13, Decoder: &fakeDecoder{}}, []string{
			"get_session_id true " + hexID + " nil",
			"get_serialized_session true nil bad session in lua context",
			"set good true true nil",
			"set bad true nil failed to de-serialize session",
			"server_name true nil nil",
			"get_tls1_version true 772 nil",
			"get_tls1_version_str true TLSv1.3 nil",
		}},
		{luavm.PhaseContent, &tlsCtx{st: &tls.ConnectionState{ServerName: "a.test.com", Version: tls.VersionTLS13}}, []string{
			"get_session_id " + disabled("content_by_lua*"),
			"get_serialized_session " + disabled("content_by_lua*"),
			"set good " + disabled("content_by_lua*"),
			"set bad " + disabled("content_by_lua*"),
			"server_name true a.test.com nil",
			"get_tls1_version true 772 nil",
			"get_tls1_version_str true TLSv1.3 nil",
		}},
		{luavm.PhaseContent, &tlsCtx{}, []string{ // plain HTTP
			"get_session_id " + disabled("content_by_lua*"),
			"get_serialized_session " + disabled("content_by_lua*"),
			"set good " + disabled("content_by_lua*"),
			"set bad " + disabled("content_by_lua*"),
			"server_name true nil bad request",
			"get_tls1_version true nil bad request",
			"get_tls1_version_str true nil bad request",
		}},
		{luavm.PhaseTimer, nil, []string{
			"get_session_id " + disabled("ngx.timer"),
			"get_serialized_session " + disabled("ngx.timer"),
			"set good " + disabled("ngx.timer"),
			"set bad " + disabled("ngx.timer"),
			"server_name " + disabled("ngx.timer"),
			"get_tls1_version " + disabled("ngx.timer"),
			"get_tls1_version_str " + disabled("ngx.timer"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.phase.String(), func(t *testing.T) {
			r, got := vm.runCtx(tc.phase, tc.ctx, src)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if sc, ok := tc.ctx.(*SessionCtx); ok && tc.phase == luavm.PhaseSSLSessionFetch {
				if string(sc.Fetched) != "good" || string(sc.Decoder.(*fakeDecoder).got) != "good" {
					t.Errorf("Fetched %q", sc.Fetched)
				}
			}
		})
	}
}
