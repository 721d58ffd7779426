package luavm

import (
	"fmt"
	"os"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Chunk is compiled Lua code shared (read-only) by every worker.
type Chunk struct {
	Name  string
	Proto *lua.FunctionProto
}

// Compile compiles an inline block (src) or, when file is set, a _file
// once. The error text is "<chunkname>:<line>: <message>" as LuaJIT
// reports it; name defaults to the file's path. A file's code is named
// as LuaJIT names "@path" in messages (FileSource).
func Compile(src, file, name string) (*Chunk, error) {
	if file == "" {
		return CompileString(src, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to load Lua file \"%s\": %v", file, err)
	}
	if name == "" {
		name = file
	}
	p, err := compileProto(string(b), FileSource(file))
	if err != nil {
		return nil, err
	}
	return &Chunk{Name: name, Proto: p}, nil
}

// idSize is LuaJIT's LUA_IDSIZE: the longest chunk name in a message, with
// its terminating NUL.
const idSize = 60

// fullPaths maps the name of code loaded from a file (FileSource) to its
// path: what debug.getinfo and the timer alert give as "@path".
var fullPaths sync.Map // string -> string

// chunkSource is the chunk name LuaJIT keeps (debug.getinfo's source) for
// code that messages name name: "@path" for a file, "=name" for the rest
// ("=content_by_lua(nginx.conf:41)").
func chunkSource(name string) string {
	if full, ok := fullPaths.Load(name); ok {
		return "@" + full.(string)
	}
	return "=" + name
}

// FileSource is the name LuaJIT gives code loaded from path (chunk name
// "@path") in error messages, tracebacks and short_src: the path, or, from
// idSize bytes on, "..." and its last idSize-4 bytes.
func FileSource(path string) string {
	short := path
	if len(path) >= idSize {
		short = "..." + path[len(path)-(idSize-4):]
	}
	if v, ok := fullPaths.Load(short); !ok || v.(string) != path {
		fullPaths.Store(short, path)
	}
	return short
}

// CompileString compiles src under the chunk name name.
func CompileString(src, name string) (*Chunk, error) {
	p, err := compileProto(src, name)
	if err != nil {
		return nil, err
	}
	return &Chunk{Name: name, Proto: p}, nil
}

func compileProto(src, name string) (*lua.FunctionProto, error) {
	if strings.HasPrefix(src, "#") { // shebang line, as lua's loadfile
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:]
		} else {
			src = ""
		}
	}
	src = luajitSource(src)
	stmts, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(name, src, err)
	}
	concatCalls(stmts)
	p, err := lua.Compile(stmts, name)
	if err != nil {
		return nil, syntaxError(name, src, err)
	}
	setConcatConst(p)
	untailCalls(p)
	return p, nil
}

// untailCalls turns every "return f(...)" tail call into a plain call
// (the compiler always follows it with "RETURN A 0", so results are the
// same). gopher-lua corrupts a coroutine when a tail-called Go function
// yields, and any Go API function may yield (ngx.sleep, cosockets,
// ngx.exit). The cost: tail recursion uses call frames like any call.
//
// It also drops Lua 5.0's implicit "arg" table (LuaJIT has none), which
// gopher-lua would otherwise build on every run of a chunk.
func untailCalls(p *lua.FunctionProto) {
	p.IsVarArg &^= lua.VarArgNeedsArg
	for i, inst := range p.Code {
		if int(inst>>26) == lua.OP_TAILCALL {
			p.Code[i] = inst&0x03ffffff | uint32(lua.OP_CALL)<<26
		}
	}
	for _, c := range p.FunctionPrototypes {
		untailCalls(c)
	}
}

// syntaxError rewrites gopher-lua's "name line:2(column:5) near 'x': msg"
// into LuaJIT's "name:2: msg near 'x'" (gopher-lua's parser only knows
// "syntax error", which LuaJIT words "unexpected symbol").
func syntaxError(name, src string, err error) error {
	if pe, ok := err.(*parse.Error); ok {
		line := pe.Pos.Line
		msg := pe.Message
		if msg == "syntax error" {
			msg = "unexpected symbol"
		}
		if line == parse.EOF {
			line = strings.Count(src, "\n") + 1
			if strings.HasSuffix(src, "\n") {
				line--
			}
			if line < 1 {
				line = 1
			}
			return fmt.Errorf("%s:%d: %s near '<eof>'", name, line, msg)
		}
		if pe.Token != "" {
			return fmt.Errorf("%s:%d: %s near '%s'", name, line, msg, pe.Token)
		}
		return fmt.Errorf("%s:%d: %s", name, line, msg)
	}
	if ce, ok := err.(*lua.CompileError); ok {
		return fmt.Errorf("%s:%d: %s", name, ce.Line, ce.Message)
	}
	return fmt.Errorf("%s: %v", name, err)
}

func compilePrelude() (*lua.FunctionProto, error) {
	stmts, err := parse.Parse(strings.NewReader(prelude), preludeName)
	if err != nil {
		return nil, err
	}
	return lua.Compile(stmts, preludeName)
}
