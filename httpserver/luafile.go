package httpserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm"
	"github.com/goresty/goresty/luavm/errlog"
)

// chunk is the compiled code of a request phase. A *_by_lua_file path
// written with nginx variables (confparse.LuaCode.PathVars) is expanded
// for this request and a relative result rebased on the prefix, as
// OpenResty does; each path is compiled once per generation (OpenResty's
// code cache keys such files by path too). When the file cannot be
// loaded, status is what OpenResty answers: 404 for a missing file, 500
// otherwise, after its "failed to load external Lua file" line.
func (rq *request) chunk(code *confparse.LuaCode) (ch *luavm.Chunk, status int) {
	if code == nil || code.PathVars == "" {
		return rq.g.chunks[code], 0
	}
	p := rq.expand(code.PathVars)
	if !strings.HasPrefix(p, "/") {
		p = rq.g.cfg.Prefix + p
	}
	if c, ok := rq.g.fileChunks.Load(p); ok {
		return c.(*luavm.Chunk), 0
	}
	src, err := os.ReadFile(p)
	if err != nil {
		status = http.StatusInternalServerError
		if errors.Is(err, fs.ErrNotExist) {
			status = http.StatusNotFound
		}
		rq.logErr(errlog.Error, fmt.Sprintf("failed to load external Lua file \"%s\": cannot open %s: %s", p, p, errlog.Strerror(err)))
		return nil, status
	}
	ch, err = luavm.CompileString(string(src), p)
	if err != nil {
		rq.logErr(errlog.Error, fmt.Sprintf("failed to load external Lua file \"%s\": %s", p, err))
		return nil, http.StatusInternalServerError
	}
	c, _ := rq.g.fileChunks.LoadOrStore(p, ch)
	return c.(*luavm.Chunk), 0
}

// needBody reads the request body before a rewrite, access or content
// Lua handler runs when lua_need_request_body is on, as OpenResty does in
// each of those handlers; a status to answer with when it cannot be read
// (413 past client_max_body_size, whose length-announced case was
// answered before any phase).
func (rq *request) needBody() int {
	if !rq.settings().LuaNeedRequestBody {
		return 0
	}
	c := rq.luaCtx()
	if c.BodyRead {
		return 0
	}
	if msg := c.ReadBody(); msg != "" {
		if c.BodyTooLarge {
			return http.StatusRequestEntityTooLarge
		}
		rq.logErr(errlog.Info, "client prematurely closed connection: "+msg)
		return http.StatusBadRequest
	}
	return 0
}
