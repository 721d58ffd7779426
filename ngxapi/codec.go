package ngxapi

// ngx.encode_base64, decode_base64, md5, md5_bin, sha1_bin, hmac_sha1,
// crc32_short, crc32_long, escape_uri, unescape_uri, encode_args,
// decode_args and quote_sql_str, as lua-nginx-module / lua-resty-core define
// them. Pure functions, allowed in every phase.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// OpenCodec installs the codec functions into the ngx table.
func OpenCodec(L *lua.LState, ngx *lua.LTable) {
	funcs := map[string]lua.LGFunction{
		"encode_base64": ngxEncodeBase64,
		"decode_base64": ngxDecodeBase64,
		"md5":           ngxMD5,
		"md5_bin":       ngxMD5Bin,
		"sha1_bin":      ngxSHA1Bin,
		"hmac_sha1":     ngxHMACSHA1,
		"crc32_short":   ngxCRC32,
		"crc32_long":    ngxCRC32,
		"escape_uri":    ngxEscapeURI,
		"unescape_uri":  ngxUnescapeURI,
		"encode_args":   ngxEncodeArgs,
		"decode_args":   ngxDecodeArgs,
		"quote_sql_str": ngxQuoteSQLStr,
	}
	for name, f := range funcs {
		ngx.RawSetString(name, L.NewFunction(f))
	}
	// lua-resty-core's `ngx.base64` module (its own version needs FFI)
	L.PreloadModule("ngx.base64", func(L *lua.LState) int {
		m := L.NewTable()
		m.RawSetString("version", lua.LString(restyCoreVersion))
		m.RawSetString("encode_base64url", L.NewFunction(func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				return luaFail(L, "must provide a string")
			}
			L.Push(lua.LString(base64.RawURLEncoding.EncodeToString([]byte(s))))
			return 1
		}))
		m.RawSetString("decode_base64url", L.NewFunction(func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if !ok {
				return luaFail(L, "must provide a string")
			}
			out, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(s), "="))
			if err != nil {
				return luaFail(L, "invalid input")
			}
			L.Push(lua.LString(out))
			return 1
		}))
		L.Push(m)
		return 1
	})
}

// optStringArg is resty.core's coercion: nil/false → "", others tostring().
func optStringArg(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case *lua.LNilType:
		return ""
	case lua.LBool:
		if !v {
			return ""
		}
		return "true"
	case lua.LNumber:
		return v.String()
	default:
		return L.ToStringMeta(v).String()
	}
}

func ngxEncodeBase64(L *lua.LState) int {
	s := optStringArg(L, 1)
	noPad := false
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LBool:
		noPad = bool(v)
	default:
		L.RaiseError("bad no_padding: boolean expected, got %s", v.Type().String())
	}
	enc := base64.StdEncoding
	if noPad {
		enc = base64.RawStdEncoding
	}
	L.Push(lua.LString(enc.EncodeToString([]byte(s))))
	return 1
}

var b64Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	return
}()

// decodeBase64 follows nginx's ngx_decode_base64: input ends at the first
// '=' (whatever follows is ignored), padding is optional, any other byte
// outside the alphabet or a length of 4n+1 is an error.
func decodeBase64(s string) ([]byte, bool) {
	n := len(s)
	if i := strings.IndexByte(s, '='); i >= 0 {
		n = i
	}
	for i := 0; i < n; i++ {
		if b64Index[s[i]] < 0 {
			return nil, false
		}
	}
	if n%4 == 1 {
		return nil, false
	}
	out := make([]byte, 0, n*3/4)
	i := 0
	for ; i+4 <= n; i += 4 {
		v := uint32(b64Index[s[i]])<<18 | uint32(b64Index[s[i+1]])<<12 |
			uint32(b64Index[s[i+2]])<<6 | uint32(b64Index[s[i+3]])
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
	}
	switch n - i {
	case 2:
		v := uint32(b64Index[s[i]])<<18 | uint32(b64Index[s[i+1]])<<12
		out = append(out, byte(v>>16))
	case 3:
		v := uint32(b64Index[s[i]])<<18 | uint32(b64Index[s[i+1]])<<12 | uint32(b64Index[s[i+2]])<<6
		out = append(out, byte(v>>16), byte(v>>8))
	}
	return out, true
}

func ngxDecodeBase64(L *lua.LState) int {
	v, ok := L.Get(1).(lua.LString)
	if !ok {
		L.RaiseError("string argument only")
	}
	out, ok := decodeBase64(string(v))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(out))
	return 1
}

func ngxMD5(L *lua.LState) int {
	sum := md5.Sum([]byte(optStringArg(L, 1)))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

func ngxMD5Bin(L *lua.LState) int {
	sum := md5.Sum([]byte(optStringArg(L, 1)))
	L.Push(lua.LString(sum[:]))
	return 1
}

func ngxSHA1Bin(L *lua.LState) int {
	sum := sha1.Sum([]byte(optStringArg(L, 1)))
	L.Push(lua.LString(sum[:]))
	return 1
}

func ngxHMACSHA1(L *lua.LState) int {
	key := cCheckString(L, 1, "hmac_sha1")
	msg := cCheckString(L, 2, "hmac_sha1")
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	L.Push(lua.LString(m.Sum(nil)))
	return 1
}

func ngxCRC32(L *lua.LState) int {
	L.Push(lua.LNumber(crc32.ChecksumIEEE([]byte(optStringArg(L, 1)))))
	return 1
}

// Escape sets by ngx.escape_uri type (true = escaped), as nginx's
// ngx_escape_uri tables: 0 uri, 1 args, 2 uri component (lua-nginx-module's
// own set: alphanumerics and -._~!*'() stay), 3 html, 4 refresh,
// 5 memcached, 6 mail_auth.
var escapeSets = func() (t [7][256]bool) {
	punct := [7]string{
		0: " #%?",
		1: " #%+?",
		3: ` "#%'`,
		4: ` "'`,
		5: " %",
		6: " %",
	}
	for c := 0; c < 256; c++ {
		ctl := c < 0x20 || c >= 0x7f
		alnum := (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		for typ := range t {
			switch typ {
			case 2:
				t[typ][c] = !alnum && !strings.ContainsRune("-._~!*'()", rune(c))
			case 5, 6:
				t[typ][c] = c < 0x20 || strings.ContainsRune(punct[typ], rune(c))
			default:
				t[typ][c] = ctl || strings.ContainsRune(punct[typ], rune(c))
			}
		}
	}
	return
}()

const upperHex = "0123456789ABCDEF"

func escapeURI(s string, typ int) string {
	set := &escapeSets[typ]
	n := 0
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if set[c] {
			b = append(b, '%', upperHex[c>>4], upperHex[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func ngxEscapeURI(L *lua.LState) int {
	s := optStringArg(L, 1)
	typ := 2
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LNumber:
		typ = int(v)
		if float64(typ) != float64(v) || typ < 0 || typ >= len(escapeSets) {
			L.RaiseError("\"type\" %s out of range", v.String())
		}
	default:
		L.RaiseError("\"type\" is not a number")
	}
	L.Push(lua.LString(escapeURI(s, typ)))
	return 1
}

// unescapeURI decodes %XX sequences and '+' as a space, keeping a '%' that
// does not start a valid escape (lua-nginx-module's behaviour).
func unescapeURI(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHexByte(s[i+1]) && isHexByte(s[i+2]):
			b = append(b, hexVal(s[i+1])<<4|hexVal(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func ngxUnescapeURI(L *lua.LState) int {
	L.Push(lua.LString(unescapeURI(optStringArg(L, 1))))
	return 1
}

// EncodeArgs renders a Lua table as a query string, as ngx.encode_args; it
// raises Lua errors with lua-nginx-module's wording. Exported for
// ngx.req.set_uri_args and similar users.
func EncodeArgs(L *lua.LState, t *lua.LTable) string {
	var parts []string
	t.ForEach(func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			L.Error(lua.LString(`attempt to use a non-string key in the "args" option table`), 0)
		}
		key := escapeURI(string(ks), 2)
		switch vv := v.(type) {
		case lua.LNumber, lua.LString:
			parts = append(parts, key+"="+escapeURI(lua.LVAsString(vv), 2))
		case lua.LBool:
			if vv {
				parts = append(parts, key)
			}
		case *lua.LTable:
			vv.ForEach(func(_, e lua.LValue) {
				switch ee := e.(type) {
				case lua.LBool:
					if ee {
						parts = append(parts, key)
					}
				case lua.LNumber, lua.LString:
					parts = append(parts, key+"="+escapeURI(lua.LVAsString(ee), 2))
				default:
					L.Error(lua.LString(fmt.Sprintf("attempt to use %s as query arg value", e.Type().String())), 0)
				}
			})
		default:
			L.Error(lua.LString(fmt.Sprintf("attempt to use %s as query arg value", v.Type().String())), 0)
		}
	})
	return strings.Join(parts, "&")
}

func ngxEncodeArgs(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		cArgError(L, 1, "encode_args", "table expected, got "+cTypeName(L, 1))
	}
	L.Push(lua.LString(EncodeArgs(L, t)))
	return 1
}

// DecodeArgs parses a query string into t as ngx.decode_args and
// ngx.req.get_uri_args do; max <= 0 means no limit. It reports whether the
// limit cut the input short.
func DecodeArgs(L *lua.LState, t *lua.LTable, s string, max int) (truncated bool) {
	count := 0
	for len(s) > 0 {
		var pair string
		amp := false
		if i := strings.IndexByte(s, '&'); i >= 0 {
			pair, s, amp = s[:i], s[i+1:], true
		} else {
			pair, s = s, ""
		}
		var key string
		var val lua.LValue
		if i := strings.IndexByte(pair, '='); i >= 0 {
			key = unescapeURI(pair[:i])
			if key == "" {
				continue
			}
			val = lua.LString(unescapeURI(pair[i+1:]))
		} else {
			key = unescapeURI(pair)
			if key == "" {
				continue
			}
			val = lua.LTrue
		}
		switch old := t.RawGetString(key).(type) {
		case *lua.LNilType:
			t.RawSetString(key, val)
		case *lua.LTable:
			old.Append(val)
		default:
			lst := L.NewTable()
			lst.Append(old)
			lst.Append(val)
			t.RawSetString(key, lst)
		}
		count++
		if max > 0 && count == max && amp {
			// as lua-nginx-module: the limit counts '&'-terminated pairs
			return true
		}
	}
	return false
}

func ngxDecodeArgs(L *lua.LState) int {
	s := cCheckString(L, 1, "decode_args")
	max := 100
	if L.Get(2) != lua.LNil {
		max = cCheckInt(L, 2, "decode_args")
	}
	t := L.NewTable()
	return retTruncated(L, t, DecodeArgs(L, t, s, max))
}

func ngxQuoteSQLStr(L *lua.LState) int {
	s := cCheckString(L, 1, "quote_sql_str")
	b := make([]byte, 0, len(s)+2)
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b = append(b, '\\', '0')
		case '\b':
			b = append(b, '\\', 'b')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case 0x1a:
			b = append(b, '\\', 'Z')
		case '\\', '\'', '"':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	b = append(b, '\'')
	L.Push(lua.LString(b))
	return 1
}
