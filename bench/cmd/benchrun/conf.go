package main

import (
	"fmt"
	"strings"
)

// confParams describe one server instance's configuration. nginx and goresty
// get the same text except nginx's load_module lines.
type confParams struct {
	Server    string // "nginx" or "goresty"
	Variant   string // "hooks": Lua store/fetch into a lua_shared_dict; "cache": ssl_session_cache, no Lua; "cert": hooks + ssl_certificate_by_lua_block; "requests": hooks + http2 + the request locations; "fleet": conf/fleet.conf's hooks (ngx.ssl.session.store) into redis (goresty only)
	Workers   int
	Cert, Key string // absolute paths
	Port      int    // HTTPS
	AdminPort int    // plain HTTP: /fill for the shared-dict memory test
	DictSize  string // lua_shared_dict size, e.g. "1024m"
	RedisPort int    // the fleet variant's redis
}

// fleetHooks are conf/fleet.conf's (goresty's ngx.ssl.session.store
// against redis through Debian's lua-nginx-redis): what a fleet pays per
// handshake compared with the shared dict. nginx + lua on Debian's OpenSSL
// cannot yield in the fetch hook, so it has no such variant.
const fleetHooks = `
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
    init_by_lua_block {
        require("ngx.ssl.session.store").configure{
            backend = "redis", host = "127.0.0.1", port = %d, prefix = "bench:", ttl = 3600,
        }
    }
    ssl_session_store_by_lua_block {
        local session = require "ngx.ssl.session"
        local store = require "ngx.ssl.session.store"
        local ok, err = store.queue(session.get_session_id(), session.get_serialized_session())
        if not ok then
            store.log(ngx.ERR, "cannot queue session: ", err)
        end
    }
    ssl_session_fetch_by_lua_block {
        local session = require "ngx.ssl.session"
        local store = require "ngx.ssl.session.store"
        local data = store.fetch(session.get_session_id())
        if data then
            local ok, err = session.set_serialized_session(data)
            if not ok then
                store.log(ngx.ERR, "bad session: ", err)
            end
        end
    }
`

const hooks = `
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local id, err = ssl_sess.get_session_id()
        if not id then
            ngx.log(ngx.ERR, "failed to get the session id: ", err)
            return
        end
        local sess, err = ssl_sess.get_serialized_session()
        if not sess then
            ngx.log(ngx.ERR, "failed to serialize the session: ", err)
            return
        end
        local ok, err = ngx.shared.sess:set(id, sess, 3600)
        if not ok then
            ngx.log(ngx.ERR, "failed to store the session: ", err)
        end
    }

    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local id, err = ssl_sess.get_session_id()
        if not id then
            ngx.log(ngx.ERR, "failed to get the session id: ", err)
            return
        end
        local sess = ngx.shared.sess:get(id)
        if not sess then
            return
        end
        local ok, err = ssl_sess.set_serialized_session(sess)
        if not ok then
            ngx.log(ngx.ERR, "failed to resume the session: ", err)
        end
    }
`

// certInit parses the certificate once per worker (the usual OpenResty
// pattern: handlers' globals do not persist in goresty, init_by_lua's do);
// certByLua serves it from Lua: the cost of running the phase per
// handshake.
const certInit = `
    init_by_lua_block {
        local ssl = require "ngx.ssl"
        local f = assert(io.open("%s"))
        local crt = assert(ssl.parse_pem_cert(f:read("*a")))
        f:close()
        f = assert(io.open("%s"))
        local key = assert(ssl.parse_pem_priv_key(f:read("*a")))
        f:close()
        cert_cache = { crt = crt, key = key }
    }
`

const certByLua = `
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            assert(ssl.clear_certs())
            assert(ssl.set_cert(cert_cache.crt))
            assert(ssl.set_priv_key(cert_cache.key))
        }
`

// requestLocations are what the keep-alive request and idle-connection
// measurements ask for (keepalive_requests: nginx would close a connection
// after 1000, and h2load does not reconnect): a static file (html/static.txt, "ok\n", written by
// newInstance) and the smallest content_by_lua.
const requestLocations = `
        keepalive_requests 1000000;

        location = /static.txt {
            root html;
        }

        location = /lua {
            content_by_lua_block {
                ngx.say("ok")
            }
        }
`

// /count says how many keys the dict holds (sessions the store hook saved).
// /fill stores n fake sessions (64-hex-digit ids, ~160-byte values, the size
// of a serialized TLS 1.2 session) from ?from= on, and says how many were
// stored and how many evicted others.
const fill = `
        location = /fill {
            content_by_lua_block {
                local dict = ngx.shared.sess
                local from = tonumber(ngx.var.arg_from) or 0
                local n = tonumber(ngx.var.arg_n) or 0
                local pad = string.rep("s", 150)
                local zeros = string.rep("0", 64)
                local stored, forcible = 0, 0
                for i = from, from + n - 1 do
                    local s = tostring(i)
                    local key = string.sub(zeros, 1, 64 - #s) .. s
                    local ok, err, forced = dict:set(key, pad .. s, 3600)
                    if ok then
                        stored = stored + 1
                    end
                    if forced then
                        forcible = forcible + 1
                    end
                end
                ngx.say(stored, " ", forcible)
            }
        }

        location = /count {
            content_by_lua_block {
                ngx.say(#ngx.shared.sess:get_keys(0))
            }
        }
`

func (p confParams) render() string {
	var b strings.Builder
	if p.Server == "nginx" {
		b.WriteString("load_module /usr/lib/nginx/modules/ndk_http_module.so;\n")
		b.WriteString("load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n\n")
	}
	fmt.Fprintf(&b, `daemon off;
worker_processes %d;
error_log logs/error.log warn;
pid logs/nginx.pid;

events {
    worker_connections 16384;
}

http {
    access_log off;
    lua_shared_dict sess %s;
`, p.Workers, p.DictSize)
	if p.Variant == "hooks" || p.Variant == "cert" || p.Variant == "requests" {
		b.WriteString(hooks)
	}
	if p.Variant == "fleet" {
		fmt.Fprintf(&b, fleetHooks, p.RedisPort)
	}
	if p.Variant == "cert" {
		fmt.Fprintf(&b, certInit, p.Cert, p.Key)
	}
	listen := "ssl"
	if p.Variant == "requests" {
		listen = "ssl http2"
	}
	fmt.Fprintf(&b, `
    server {
        listen 127.0.0.1:%d %s;
        server_name test.com;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
`, p.Port, listen, p.Cert, p.Key)
	if p.Variant == "cache" {
		b.WriteString("        ssl_session_cache shared:SSL:64m;\n")
	}
	if p.Variant == "cert" {
		b.WriteString(certByLua)
	}
	if p.Variant == "requests" {
		b.WriteString(requestLocations)
	}
	fmt.Fprintf(&b, `
        location / {
            return 200 "ok\n";
        }
    }

    server {
        listen 127.0.0.1:%d;
%s    }
}
`, p.AdminPort, fill)
	return b.String()
}
