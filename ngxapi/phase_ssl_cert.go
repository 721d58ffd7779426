package ngxapi

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"

	"github.com/goresty/goresty/luavm"
	lua "github.com/yuin/gopher-lua"
)

// CertCtx is what ssl_certificate_by_lua* acts on: the client hello's
// facts, and the certificate the Lua code chose (lua-resty-core's ngx.ssl:
// clear_certs, set_der_cert, set_der_priv_key, set_cert, set_priv_key).
// httpserver runs the phase before the handshake picks a session, and
// serves Chain/Key when Changed.
type CertCtx struct {
	ServerName             string   // SNI, "" when none
	Version                uint16   // the TLS version the handshake will use
	ServerAddr, ClientAddr net.Addr // the connection's ends

	Changed bool              // clear_certs or a set_* was called
	Chain   [][]byte          // DER certificates, leaf first
	Key     crypto.PrivateKey // the leaf's private key

	Verify ClientVerify // ngx.ssl.verify_client
}

// ClientVerify is what ngx.ssl.verify_client asked for in
// ssl_certificate_by_lua*: the handshake
// requests a client certificate (SSL_VERIFY_PEER: neither required nor
// fatal when bad); $ssl_client_verify tells the request how it checked
// against CAs (nil: the server block's) up to Depth (-1: the block's
// ssl_verify_depth).
type ClientVerify struct {
	On    bool
	CAs   [][]byte
	Depth int
}

// certChain is what parse_pem_cert returns (a cdata in OpenResty).
type certChain [][]byte

// privKey is what parse_pem_priv_key returns.
type privKey struct{ k crypto.PrivateKey }

func certCtx(w *luavm.Worker, L *lua.LState) *CertCtx {
	if t := w.Current(); t != nil {
		if c, ok := t.Ctx.(*CertCtx); ok && c != nil {
			return c
		}
	}
	L.RaiseError("no request found")
	return nil
}

func init() {
	sslParts = append(sslParts, installSSLCert)
}

func installSSLCert(w *luavm.Worker, L *lua.LState, mod *lua.LTable, api func(string, lua.LGFunction)) {
	ok := func(L *lua.LState) int {
		L.Push(lua.LTrue)
		return 1
	}
	api("clear_certs", func(L *lua.LState) int {
		c := certCtx(w, L)
		c.Changed, c.Chain, c.Key = true, nil, nil
		return ok(L)
	})
	api("verify_client", func(L *lua.LState) int {
		t := w.Current()
		if t == nil {
			L.RaiseError("no request found")
		}
		// ssl_certificate_by_lua* only, as lua-nginx-module 0.10.23 (Debian's)
		c, isCert := t.Ctx.(*CertCtx)
		if !isCert {
			return luaFail(L, "API disabled in the current context")
		}
		var cas certChain
		switch a := L.Get(1).(type) {
		case *lua.LNilType:
		case *lua.LUserData:
			var isChain bool
			if cas, isChain = a.Value.(certChain); !isChain {
				L.ArgError(1, "bad ca_certs")
			}
		default:
			L.ArgError(1, "bad ca_certs")
		}
		c.Verify = ClientVerify{On: true, CAs: cas, Depth: L.OptInt(2, -1)}
		return ok(L)
	})
	api("set_der_cert", func(L *lua.LState) int {
		der := L.CheckString(1)
		c := certCtx(w, L)
		chain, err := splitDER([]byte(der))
		if err != nil {
			return luaFail(L, "d2i_X509_bio() failed")
		}
		c.Changed, c.Chain = true, chain
		return ok(L)
	})
	api("set_der_priv_key", func(L *lua.LState) int {
		der := L.CheckString(1)
		c := certCtx(w, L)
		k, err := parseDERKey([]byte(der))
		if err != nil {
			return luaFail(L, "d2i_PrivateKey_bio() failed")
		}
		c.Changed, c.Key = true, k
		return ok(L)
	})
	api("set_cert", func(L *lua.LState) int {
		ud, isUD := L.Get(1).(*lua.LUserData)
		chain, isChain := certChain(nil), false
		if isUD {
			chain, isChain = ud.Value.(certChain)
		}
		if !isChain {
			return luaFail(L, "bad cert arg")
		}
		c := certCtx(w, L)
		c.Changed, c.Chain = true, chain
		return ok(L)
	})
	api("set_priv_key", func(L *lua.LState) int {
		ud, isUD := L.Get(1).(*lua.LUserData)
		var pk privKey
		isKey := false
		if isUD {
			pk, isKey = ud.Value.(privKey)
		}
		if !isKey {
			return luaFail(L, "bad priv key arg")
		}
		c := certCtx(w, L)
		c.Changed, c.Key = true, pk.k
		return ok(L)
	})
	api("cert_pem_to_der", func(L *lua.LState) int {
		chain, err := pemCerts([]byte(L.CheckString(1)))
		if err != nil {
			return luaFail(L, "PEM_read_bio_X509_AUX() failed")
		}
		var der []byte
		for _, c := range chain {
			der = append(der, c...)
		}
		L.Push(lua.LString(der))
		return 1
	})
	api("priv_key_pem_to_der", func(L *lua.LState) int {
		der, _, err := pemKey([]byte(L.CheckString(1)))
		if err != nil {
			return luaFail(L, "PEM_read_bio_PrivateKey() failed")
		}
		L.Push(lua.LString(der))
		return 1
	})
	api("parse_pem_cert", func(L *lua.LState) int {
		chain, err := pemCerts([]byte(L.CheckString(1)))
		if err != nil {
			return luaFail(L, "PEM_read_bio_X509_AUX() failed")
		}
		ud := L.NewUserData()
		ud.Value = certChain(chain)
		L.Push(ud)
		return 1
	})
	api("parse_pem_priv_key", func(L *lua.LState) int {
		_, k, err := pemKey([]byte(L.CheckString(1)))
		if err != nil {
			return luaFail(L, "PEM_read_bio_PrivateKey() failed")
		}
		ud := L.NewUserData()
		ud.Value = privKey{k}
		L.Push(ud)
		return 1
	})
	rawAddr := func(L *lua.LState, a net.Addr) int {
		switch a := a.(type) {
		case *net.TCPAddr:
			if ip4 := a.IP.To4(); ip4 != nil {
				L.Push(lua.LString(ip4))
				L.Push(lua.LString("inet"))
				return 2
			}
			L.Push(lua.LString(a.IP.To16()))
			L.Push(lua.LString("inet6"))
			return 2
		case *net.UnixAddr:
			L.Push(lua.LString(a.Name))
			L.Push(lua.LString("unix"))
			return 2
		}
		return luaFail(L, "unknown address type")
	}
	api("raw_server_addr", func(L *lua.LState) int { return rawAddr(L, certCtx(w, L).ServerAddr) })
	api("raw_client_addr", func(L *lua.LState) int { return rawAddr(L, certCtx(w, L).ClientAddr) })
	api("server_port", func(L *lua.LState) int {
		a, isTCP := certCtx(w, L).ServerAddr.(*net.TCPAddr)
		if !isTCP {
			return luaFail(L, "failed to fetch server port")
		}
		L.Push(lua.LNumber(a.Port))
		return 1
	})
}

// splitDER splits concatenated DER certificates (what cert_pem_to_der
// returns for a chain).
func splitDER(der []byte) ([][]byte, error) {
	certs, err := x509.ParseCertificates(der)
	if err != nil || len(certs) == 0 {
		return nil, errBadCert
	}
	chain := make([][]byte, len(certs))
	for i, c := range certs {
		chain[i] = c.Raw
	}
	return chain, nil
}

// pemCerts reads every CERTIFICATE block of a PEM text.
func pemCerts(b []byte) ([][]byte, error) {
	var chain [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, err
		}
		chain = append(chain, blk.Bytes)
	}
	if len(chain) == 0 {
		return nil, errBadCert
	}
	return chain, nil
}

// pemKey reads the first private key of a PEM text.
func pemKey(b []byte) ([]byte, crypto.PrivateKey, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, nil, errBadCert
		}
		if k, err := parseDERKey(blk.Bytes); err == nil {
			return blk.Bytes, k, nil
		}
	}
}

// parseDERKey reads a PKCS#8, PKCS#1 or SEC 1 private key, as OpenSSL's
// d2i_PrivateKey_bio.
func parseDERKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParseECPrivateKey(der)
}

var errBadCert = errors.New("bad certificate data")
