package ngxapi

// resty.aes (lua-resty-string; Debian: nginx.aes), built on Go's crypto:
//
//	aes.cipher(size, mode)  {size=, cipher=, method=} for size 128/192/256 and
//	                        mode ecb cbc cfb1 cfb8 cfb128 ofb ctr gcm; nil else
//	aes.hash.md5 ... sha512 digests for the OpenSSL key derivation
//	aes:new(key, salt, cipher, hash, hash_rounds, iv_len, enable_padding)
//	                        hash is one of aes.hash (key and IV derived as
//	                        EVP_BytesToKey does) or {iv=, method=} (the key
//	                        is method(key), or key itself, and must fit)
//	a:encrypt(s)            the cipher text; for gcm {cipher text, tag}
//	a:decrypt(s, tag)       the plain text, nil when it does not decrypt
//
// Every encrypt/decrypt starts again from the same key and IV, as the
// original re-initialises its OpenSSL contexts.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"hash"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

var aesModes = map[string]bool{"ecb": true, "cbc": true, "cfb1": true, "cfb8": true,
	"cfb128": true, "ofb": true, "ctr": true, "gcm": true}

// aesHashes are the userdata values of aes.hash (EVP_MD pointers in the
// original).
type aesHash string

type aesObj struct {
	key, iv []byte
	mode    string
	padding bool
}

func init() {
	register("resty.aes", func(w *luavm.Worker, _ *lua.LTable, _ *Env) {
		preloadBoth(w.L, "aes", openAES)
	})
}

func openAES(L *lua.LState) int {
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString(restyStringVersion))
	hashes := L.NewTable()
	for name := range restyDigests {
		ud := L.NewUserData()
		ud.Value = aesHash(name)
		hashes.RawSetString(name, ud)
	}
	m.RawSetString("hash", hashes)
	m.RawSetString("cipher", L.NewFunction(func(L *lua.LState) int {
		size := L.OptInt(1, 128)
		mode := L.OptString(2, "cbc")
		if (size != 128 && size != 192 && size != 256) || !aesModes[mode] {
			L.Push(lua.LNil)
			return 1
		}
		t := L.NewTable()
		t.RawSetString("size", lua.LNumber(size))
		t.RawSetString("cipher", lua.LString(mode))
		ud := L.NewUserData()
		ud.Value = mode
		t.RawSetString("method", ud)
		L.Push(t)
		return 1
	}))
	mt := L.NewTable()
	mt.RawSetString("__index", m)
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int { return aesNew(L, mt) }))
	m.RawSetString("encrypt", L.NewFunction(aesEncrypt))
	m.RawSetString("decrypt", L.NewFunction(aesDecrypt))
	L.Push(m)
	return 1
}

// aesCipherOpts is the cipher table aes.cipher(size, mode) returns (or a
// literal {size = 256, cipher = "cbc"}); aesKeyOpts is the hash argument
// giving a raw key: {iv = ..., method = f} (f derives the key).
type aesCipherOpts struct {
	Size   int    `lua:"size"`
	Cipher string `lua:"cipher"`
}

type aesKeyOpts struct {
	IV     string     `lua:"iv"`
	Method lua.LValue `lua:"method"`
}

func aesNew(L *lua.LState, mt *lua.LTable) int {
	key := L.CheckString(2)
	size, mode := 128, "cbc"
	if c, ok := L.Get(4).(*lua.LTable); ok {
		var o aesCipherOpts
		if !mapOptions(c, &o) || (o.Size != 128 && o.Size != 192 && o.Size != 256) || !aesModes[o.Cipher] {
			return luaFail(L, "bad cipher")
		}
		size, mode = o.Size, o.Cipher
	} else if L.Get(4) != lua.LNil {
		L.TypeError(4, lua.LTTable)
	}
	ivLen := 16
	if mode == "gcm" {
		ivLen = 12
	}
	if L.Get(7) != lua.LNil {
		ivLen = L.CheckInt(7)
	}
	a := &aesObj{mode: mode, padding: L.Get(8) == lua.LNil || lua.LVAsBool(L.Get(8))}
	keyLen := size / 8
	switch h := L.Get(5).(type) {
	case *lua.LTable:
		var o aesKeyOpts
		if !mapOptions(h, &o) || len(o.IV) != ivLen {
			return luaFail(L, "bad iv")
		}
		iv := o.IV
		a.key = []byte(key)
		if f := o.Method; f != nil && f != lua.LNil {
			L.Push(f)
			L.Push(lua.LString(key))
			L.Call(1, 1)
			a.key = []byte(L.ToString(-1))
			L.Pop(1)
		}
		if len(a.key) != keyLen {
			return luaFail(L, "bad key length")
		}
		a.iv = []byte(iv)
	default:
		digest := "md5"
		if ud, ok := h.(*lua.LUserData); ok {
			if d, ok := ud.Value.(aesHash); ok {
				digest = string(d)
			}
		} else if h != lua.LNil {
			L.ArgError(5, "bad hash")
		}
		var salt []byte
		if s, ok := L.Get(3).(lua.LString); ok {
			if len(s) != 8 {
				return luaFail(L, "salt must be 8 characters or nil")
			}
			salt = []byte(s)
		}
		rounds := L.OptInt(6, 1)
		if mode == "ecb" {
			ivLen = 0
		}
		a.key, a.iv = bytesToKey(restyDigests[digest], salt, []byte(key), rounds, keyLen, ivLen)
	}
	ud := L.NewUserData()
	ud.Value = a
	obj := L.NewTable()
	obj.RawSetString("_ctx", ud)
	L.SetMetatable(obj, mt)
	L.Push(obj)
	return 1
}

// bytesToKey is OpenSSL's EVP_BytesToKey: D_i = H^rounds(D_(i-1) || data
// || salt), concatenated until there are key and IV bytes enough.
func bytesToKey(newHash func() hash.Hash, salt, data []byte, rounds, keyLen, ivLen int) (key, iv []byte) {
	var out, prev []byte
	for len(out) < keyLen+ivLen {
		h := newHash()
		h.Write(prev)
		h.Write(data)
		h.Write(salt)
		d := h.Sum(nil)
		for i := 1; i < rounds; i++ {
			h.Reset()
			h.Write(d)
			d = h.Sum(nil)
		}
		out = append(out, d...)
		prev = d
	}
	return out[:keyLen], out[keyLen : keyLen+ivLen]
}

func aesSelf(L *lua.LState) *aesObj {
	if ud, ok := L.CheckTable(1).RawGetString("_ctx").(*lua.LUserData); ok {
		if a, ok := ud.Value.(*aesObj); ok {
			return a
		}
	}
	L.ArgError(1, "bad aes object")
	return nil
}

func aesEncrypt(L *lua.LState) int {
	a := aesSelf(L)
	in := []byte(L.CheckString(2))
	block, _ := aes.NewCipher(a.key)
	bs := block.BlockSize()
	switch a.mode {
	case "gcm":
		g, err := cipher.NewGCMWithNonceSize(block, len(a.iv))
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		sealed := g.Seal(nil, a.iv, in, nil)
		n := len(sealed) - g.Overhead()
		t := L.CreateTable(2, 0)
		t.Append(lua.LString(sealed[:n]))
		t.Append(lua.LString(sealed[n:]))
		L.Push(t)
		return 1
	case "ecb", "cbc":
		if a.padding {
			p := bs - len(in)%bs
			in = append(in, bytes.Repeat([]byte{byte(p)}, p)...)
		} else if len(in)%bs != 0 {
			L.Push(lua.LNil)
			return 1
		}
	}
	L.Push(lua.LString(aesCrypt(block, a, in, true)))
	return 1
}

func aesDecrypt(L *lua.LState) int {
	a := aesSelf(L)
	in := []byte(L.CheckString(2))
	block, _ := aes.NewCipher(a.key)
	bs := block.BlockSize()
	switch a.mode {
	case "gcm":
		g, err := cipher.NewGCMWithNonceSize(block, len(a.iv))
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		tag := []byte(L.OptString(3, ""))
		if len(tag) != g.Overhead() {
			L.Push(lua.LNil)
			return 1
		}
		out, err := g.Open(nil, a.iv, append(in, tag...), nil)
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LString(out))
		return 1
	case "ecb", "cbc":
		if len(in)%bs != 0 {
			L.Push(lua.LNil)
			return 1
		}
	}
	out := aesCrypt(block, a, in, false)
	if a.padding && (a.mode == "ecb" || a.mode == "cbc") {
		p := 0
		if len(out) > 0 {
			p = int(out[len(out)-1])
		}
		if p == 0 || p > bs || p > len(out) ||
			subtle.ConstantTimeCompare(out[len(out)-p:], bytes.Repeat([]byte{byte(p)}, p)) != 1 {
			L.Push(lua.LNil)
			return 1
		}
		out = out[:len(out)-p]
	}
	L.Push(lua.LString(out))
	return 1
}

// aesCrypt runs the non-AEAD modes over in (whole blocks for ecb and cbc).
func aesCrypt(block cipher.Block, a *aesObj, in []byte, enc bool) []byte {
	out := make([]byte, len(in))
	bs := block.BlockSize()
	switch a.mode {
	case "ecb":
		for i := 0; i < len(in); i += bs {
			if enc {
				block.Encrypt(out[i:i+bs], in[i:i+bs])
			} else {
				block.Decrypt(out[i:i+bs], in[i:i+bs])
			}
		}
	case "cbc":
		if enc {
			cipher.NewCBCEncrypter(block, a.iv).CryptBlocks(out, in)
		} else {
			cipher.NewCBCDecrypter(block, a.iv).CryptBlocks(out, in)
		}
	case "ctr":
		cipher.NewCTR(block, a.iv).XORKeyStream(out, in)
	case "ofb":
		cipher.NewOFB(block, a.iv).XORKeyStream(out, in) //nolint:staticcheck // OpenSSL offers OFB
	case "cfb128":
		if enc {
			cipher.NewCFBEncrypter(block, a.iv).XORKeyStream(out, in) //nolint:staticcheck // OpenSSL offers CFB
		} else {
			cipher.NewCFBDecrypter(block, a.iv).XORKeyStream(out, in) //nolint:staticcheck
		}
	case "cfb8":
		cfbSegments(block, a.iv, out, in, 8, enc)
	case "cfb1":
		cfbSegments(block, a.iv, out, in, 1, enc)
	}
	return out
}

// cfbSegments is CFB with 8- or 1-bit segments (Go's crypto/cipher has
// only the full-block CFB): each segment is XORed with the top bits of the
// encrypted shift register, which then shifts in the cipher text segment.
func cfbSegments(block cipher.Block, iv, out, in []byte, bits int, enc bool) {
	reg := append([]byte(nil), iv...)
	ks := make([]byte, len(reg))
	for i, b := range in {
		if bits == 8 {
			block.Encrypt(ks, reg)
			o := b ^ ks[0]
			c := o
			if !enc {
				c = b
			}
			copy(reg, reg[1:])
			reg[len(reg)-1] = c
			out[i] = o
			continue
		}
		var o byte
		for j := 7; j >= 0; j-- {
			block.Encrypt(ks, reg)
			pb := b >> j & 1
			ob := pb ^ ks[0]>>7
			cb := ob
			if !enc {
				cb = pb
			}
			shiftLeft1(reg, cb)
			o |= ob << j
		}
		out[i] = o
	}
}

// shiftLeft1 shifts reg left by one bit and puts bit into the lowest.
func shiftLeft1(reg []byte, bit byte) {
	for k := 0; k < len(reg)-1; k++ {
		reg[k] = reg[k]<<1 | reg[k+1]>>7
	}
	reg[len(reg)-1] = reg[len(reg)-1]<<1 | bit
}
