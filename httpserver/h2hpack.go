package httpserver

import (
	"net/textproto"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http2"
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

// hpackName is a name of the static table: lower-cased, and its index.
type hpackName struct {
	lower string
	index uint8
}

// canonicalStaticNames are the static table's names by their canonical
// spelling (the handlers'): lower-cased and indexed with one lookup.
var canonicalStaticNames = func() map[string]hpackName {
	m := map[string]hpackName{}
	for name, i := range hpackStaticNames {
		m[textproto.CanonicalMIMEHeaderKey(name)] = hpackName{name, i}
	}
	return m
}()

// hpackStatuses are the static table's :status entries, from index 8.
var hpackStatuses = [...]int{200, 204, 206, 304, 400, 404, 500}

// appendStatus appends :status, indexed when the static table has it.
func appendStatus(b []byte, code int) []byte {
	for i, c := range hpackStatuses {
		if c == code {
			return append(b, 0x80|byte(8+i))
		}
	}
	b = append(b, 8) // literal without indexing, name :status
	return appendHpackString(b, string([]byte{byte('0' + code/100%10), byte('0' + code/10%10), byte('0' + code%10)}))
}

// appendField appends a literal field without indexing (name lower-case).
func appendField(b []byte, name, value string) []byte {
	return appendIndexedField(b, hpackStaticNames[name], name, value)
}

// appendIndexedField is appendField with the name's static index (0:
// none) known.
func appendIndexedField(b []byte, index uint8, name, value string) []byte {
	if index != 0 {
		b = appendHpackInt(b, 4, 0, uint64(index))
	} else {
		b = append(b, 0)
		b = appendHpackString(b, name)
	}
	return appendHpackString(b, value)
}

// dateFields is the encoded date field of the second httpDate's text is.
var dateFields atomic.Pointer[dateField]

type dateField struct {
	date string
	enc  []byte
}

// appendDate appends the date field, encoded once a second.
func appendDate(b []byte) []byte {
	d := httpDate()
	f := dateFields.Load()
	if f == nil || f.date != string(d) {
		f = &dateField{date: string(d), enc: appendField(nil, "date", string(d))}
		dateFields.Store(f)
	}
	return append(b, f.enc...)
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

// h2Block is the header block the reader is decoding: a HEADERS frame's
// and its CONTINUATIONs' fragments, fed to the connection's HPACK decoder
// as they come, its fields kept as the stream needs them (pseudo-header
// values apart, the rest in order) rather than as x/net/http2's
// MetaHeadersFrame, which costs a frame and a growing field slice per
// request. It checks what that path checks: valid names and values,
// pseudo-header fields first, known and once each, the header list's
// size (SETTINGS_MAX_HEADER_LIST_SIZE: beyond it the block is truncated
// and answered 431; far beyond it, the connection ends).
type h2Block struct {
	dec       *hpack.Decoder
	id        uint32
	endStream bool
	prioDep   uint32 // the stream the HEADERS frame's priority depends on
	hasPrio   bool

	method, scheme, authority, path, protocol string
	pseudo                                    uint8 // the pseudo-header fields seen (h2Pseudo bits)
	fields                                    []hpack.HeaderField
	remain, trailerRemain                     uint32 // what the header list may still hold
	sawRegular, truncated                     bool
	invalid                                   bool // a stream error once the block is decoded
}

// Pseudo-header fields.
const (
	h2Method = 1 << iota
	h2Scheme
	h2Authority
	h2Path
	h2Protocol
	h2Status
)

func newH2Block() *h2Block {
	b := &h2Block{}
	b.dec = hpack.NewDecoder(4096, b.emit)
	b.dec.SetMaxStringLength(h2MaxHeaderList)
	return b
}

// begin starts the block of a HEADERS frame.
func (b *h2Block) begin(f *http2.HeadersFrame) {
	clear(b.fields)
	*b = h2Block{dec: b.dec, fields: b.fields[:0], id: f.StreamID, endStream: f.StreamEnded(),
		hasPrio: f.HasPriority(), prioDep: f.Priority.StreamDep,
		remain: h2MaxHeaderList, trailerRemain: h2MaxHeaderList}
	b.dec.SetEmitEnabled(true)
}

// fragment decodes the next fragment of the block (ended: its last). A
// connection error (code, true) as x/net/http2's readMetaFrame has it:
// a fragment far beyond the header list's limit, or one after an
// invalid field; a decoding error is COMPRESSION_ERROR.
func (b *h2Block) fragment(frag []byte, ended bool) (http2.ErrCode, bool) {
	if int64(len(frag)) > 2*int64(b.remain+b.trailerRemain) || b.invalid {
		return http2.ErrCodeProtocol, true
	}
	if _, err := b.dec.Write(frag); err != nil {
		return http2.ErrCodeCompression, true
	}
	if ended && b.dec.Close() != nil {
		return http2.ErrCodeCompression, true
	}
	return http2.ErrCodeNo, false
}

// emit takes a decoded field.
func (b *h2Block) emit(hf hpack.HeaderField) {
	name, value := hf.Name, hf.Value
	pseudo := len(name) > 0 && name[0] == ':'
	bad := !validFieldValue(value)
	if pseudo {
		bad = bad || b.sawRegular
	} else {
		b.sawRegular = true
		bad = bad || !validWireName(name)
	}
	if bad {
		b.invalid = true
		b.dec.SetEmitEnabled(false)
		return
	}
	remain, size := &b.remain, hf.Size()
	if name == "trailer" { // its names count as fields of their own (as x/net/http2's)
		n := uint32(strings.Count(value, ",") + 1)
		remain, size = &b.trailerRemain, uint32(len(value))-n+1+n*hpack.HeaderField{}.Size()
	}
	if size > *remain {
		b.dec.SetEmitEnabled(false)
		b.truncated = true
		b.remain, b.trailerRemain = 0, 0
		return
	}
	*remain -= size
	if !pseudo {
		b.fields = append(b.fields, hf)
		return
	}
	var bit uint8
	switch name {
	case ":method":
		bit, b.method = h2Method, value
	case ":scheme":
		bit, b.scheme = h2Scheme, value
	case ":authority":
		bit, b.authority = h2Authority, value
	case ":path":
		bit, b.path = h2Path, value
	case ":protocol":
		bit, b.protocol = h2Protocol, value
	case ":status": // a response's: refused with the request's fields
		bit = h2Status
	default:
		b.invalid = true
	}
	if b.pseudo&bit != 0 {
		b.invalid = true // twice
	}
	b.pseudo |= bit
	if b.pseudo&h2Status != 0 && b.pseudo != h2Status {
		b.invalid = true
	}
}

// validWireName is a header name HTTP/2 carries: a token, lower-case.
func validWireName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !tchar[c] || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return len(s) > 0
}
