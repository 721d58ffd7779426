package luavm

import (
	"strconv"
	"strings"
)

// luajitSource rewrites the LuaJIT extensions of the source language that
// gopher-lua's parser lacks into plain Lua 5.1, before compiling:
//
//   - "\xXX" and "\u{XXXX}" escapes in quoted strings become "\ddd" bytes
//     (\u as UTF-8, up to LuaJIT's 0x7FFFFFFF);
//   - "\z" drops the white space that follows it; the newlines it skipped
//     are put back right after the string, so later lines keep their numbers;
//   - the LL/ULL suffixes of integer literals are dropped (the value is a
//     Lua number here, not a 64-bit cdata).
//
// Comments and long strings are copied untouched. Source without any of
// these is returned as is.
func luajitSource(src string) string {
	if !strings.Contains(src, `\`) && !strings.ContainsAny(src, "Ll") {
		return src
	}
	var out strings.Builder
	changed := false
	last := 0 // src[last:i] not yet copied
	flush := func(i int, repl string) {
		if !changed {
			out.Grow(len(src) + 16)
			changed = true
		}
		out.WriteString(src[last:i])
		out.WriteString(repl)
	}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == '-' && i+1 < n && src[i+1] == '-':
			i += 2
			if lvl, ok := longBracket(src, i); ok {
				i = skipLong(src, i, lvl)
			} else {
				for i < n && src[i] != '\n' {
					i++
				}
			}
		case c == '[':
			if lvl, ok := longBracket(src, i); ok {
				i = skipLong(src, i, lvl)
			} else {
				i++
			}
		case c == '"' || c == '\'':
			i = quoted(src, i, func(from, to int, repl string) {
				flush(from, repl)
				last = to
			})
		case isIdentStart(c):
			for i < n && (isIdentStart(src[i]) || isDigit(src[i])) {
				i++
			}
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			end := numberEnd(src, i)
			if k := int64Suffix(src, end); k > 0 {
				flush(end, "")
				last = end + k
				i = end + k
			} else {
				i = end
			}
		default:
			i++
		}
	}
	if !changed {
		return src
	}
	out.WriteString(src[last:])
	return out.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80 }

// longBracket reports whether src[i:] opens a long bracket "[=*[" and its level.
func longBracket(src string, i int) (int, bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLong returns the index after the long bracket opened at i.
func skipLong(src string, i, lvl int) int {
	closer := "]" + strings.Repeat("=", lvl) + "]"
	if k := strings.Index(src[i+lvl+2:], closer); k >= 0 {
		return i + lvl + 2 + k + len(closer)
	}
	return len(src)
}

// numberEnd returns where the numeric literal at i ends, as Lua's lexer
// reads it (digits, letters, '.', and a sign after an exponent letter).
func numberEnd(src string, i int) int {
	hex := strings.HasPrefix(src[i:], "0x") || strings.HasPrefix(src[i:], "0X")
	if hex {
		i += 2
	}
	for i < len(src) {
		c := src[i]
		switch {
		case isDigit(c) || c == '.':
		case hex && isHex(c):
		case (c|0x20 == 'e' && !hex) || (c|0x20 == 'p' && hex):
			if i+1 < len(src) && (src[i+1] == '+' || src[i+1] == '-') {
				i++
			}
		default:
			return i
		}
		i++
	}
	return i
}

// int64Suffix is the length of an LL, ULL (any case) suffix at i that ends
// the token, else 0.
func int64Suffix(src string, i int) int {
	k := i
	if k < len(src) && src[k]|0x20 == 'u' {
		k++
	}
	if k+1 < len(src) && src[k]|0x20 == 'l' && src[k+1]|0x20 == 'l' {
		k += 2
		if k == len(src) || !(isIdentStart(src[k]) || isDigit(src[k])) {
			return k - i
		}
	}
	return 0
}

// quoted scans the quoted string opening at i and returns the index after
// it; edit(from, to, repl) replaces src[from:to] for each rewritten escape.
func quoted(src string, i int, edit func(from, to int, repl string)) int {
	q := src[i]
	i++
	newlines := 0
	for i < len(src) {
		c := src[i]
		if c == q || c == '\n' {
			break
		}
		if c != '\\' || i+1 >= len(src) {
			i++
			continue
		}
		switch src[i+1] {
		case 'x':
			if i+3 < len(src) && isHex(src[i+2]) && isHex(src[i+3]) {
				v, _ := strconv.ParseUint(src[i+2:i+4], 16, 8)
				edit(i, i+4, decEscape(byte(v)))
				i += 4
				continue
			}
		case 'u':
			if i+2 < len(src) && src[i+2] == '{' {
				if end := strings.IndexByte(src[i+3:], '}'); end > 0 {
					v, err := strconv.ParseUint(src[i+3:i+3+end], 16, 32)
					if err == nil && v < 0x80000000 {
						var b strings.Builder
						for _, x := range utf8Extended(uint32(v)) {
							b.WriteString(decEscape(x))
						}
						edit(i, i+4+end, b.String())
						i += 4 + end
						continue
					}
				}
			}
		case 'z':
			j := i + 2
			for j < len(src) && strings.IndexByte(" \t\r\n\v\f", src[j]) >= 0 {
				if src[j] == '\n' {
					newlines++
				}
				j++
			}
			edit(i, j, "")
			i = j
			continue
		}
		i += 2 // any other escape, including \\ and \", is left to the parser
	}
	if i < len(src) && src[i] == q {
		i++
		if newlines > 0 {
			edit(i, i, strings.Repeat("\n", newlines))
		}
	}
	return i
}

func decEscape(b byte) string {
	s := strconv.Itoa(int(b))
	return `\` + strings.Repeat("0", 3-len(s)) + s
}

// utf8Extended encodes v as UTF-8 the way LuaJIT's \u{} does: up to six
// bytes, surrogates included.
func utf8Extended(v uint32) []byte {
	if v < 0x80 {
		return []byte{byte(v)}
	}
	var b []byte
	lim := uint32(0x3f) // largest value that fits the leading byte
	for v > lim {
		b = append([]byte{byte(0x80 | v&0x3f)}, b...)
		v >>= 6
		lim >>= 1
	}
	lead := byte(0xfe << (6 - len(b)) & 0xff)
	return append([]byte{lead | byte(v)}, b...)
}
