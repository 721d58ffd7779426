package httpserver

import (
	"golang.org/x/net/http2/hpack"
)

// Response headers are HPACK-encoded as nginx encodes them: static-table
// names, literal values, never added to the dynamic table. A connection
// keeps no encoder state (an encoder's table would hold up to 4 KB of
// header text per idle connection) and header blocks can be encoded by
// any stream's goroutine in any order.

// hpackStaticNames are the RFC 7541 static table's response header names.
var hpackStaticNames = map[string]uint8{
	"accept-ranges": 18, "access-control-allow-origin": 20, "age": 21, "allow": 22,
	"cache-control": 24, "content-disposition": 25, "content-encoding": 26, "content-language": 27,
	"content-length": 28, "content-location": 29, "content-range": 30, "content-type": 31,
	"date": 33, "etag": 34, "expires": 36, "last-modified": 44, "link": 45, "location": 46,
	"proxy-authenticate": 48, "refresh": 52, "retry-after": 53, "server": 54, "set-cookie": 55,
	"strict-transport-security": 56, "vary": 59, "via": 60, "www-authenticate": 61,
}

// hpackStatusIndex are the static table's :status entries.
var hpackStatusIndex = map[int]byte{200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14}

// appendStatus appends :status, indexed when the static table has it.
func appendStatus(b []byte, code int) []byte {
	if i, ok := hpackStatusIndex[code]; ok {
		return append(b, 0x80|i)
	}
	b = append(b, 8) // literal without indexing, name :status
	return appendHpackString(b, string([]byte{byte('0' + code/100%10), byte('0' + code/10%10), byte('0' + code%10)}))
}

// appendField appends a literal field without indexing (name lower-case).
func appendField(b []byte, name, value string) []byte {
	if i, ok := hpackStaticNames[name]; ok {
		b = appendHpackInt(b, 4, 0, uint64(i))
	} else {
		b = append(b, 0)
		b = appendHpackString(b, name)
	}
	return appendHpackString(b, value)
}

// appendHpackString appends a string literal, Huffman-coded when shorter.
func appendHpackString(b []byte, s string) []byte {
	if h := hpack.HuffmanEncodeLength(s); h < uint64(len(s)) {
		b = appendHpackInt(b, 7, 0x80, h)
		return hpack.AppendHuffmanString(b, s)
	}
	b = appendHpackInt(b, 7, 0, uint64(len(s)))
	return append(b, s...)
}

// appendHpackInt appends v with an n-bit prefix (RFC 7541 5.1), the
// first byte's other bits set to flags.
func appendHpackInt(b []byte, n uint, flags byte, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, flags|byte(v))
	}
	b = append(b, flags|byte(max))
	for v -= max; v >= 128; v >>= 7 {
		b = append(b, byte(v&0x7f)|0x80)
	}
	return append(b, byte(v))
}
