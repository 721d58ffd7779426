# vim:set ft= ts=4 sw=4 et fdm=marker:
# ssl_certificate_by_lua*: certificates chosen per SNI from Lua (one read
# from a file in the hook, one kept in a shared dict), resumed by the
# session hooks for each certificate and never across them, TLS 1.2 and
# 1.3; yielding; ngx.exit(ngx.ERROR) and Lua errors abort the handshake.
# TESTs 2-4 pass against nginx + lua too; TEST 1 cannot: nginx resumes
# neither TLS 1.3 through the session hooks nor (for Go's client, which
# only resumes through tickets) TLS 1.2 with ssl_session_tickets off.

use Test::Nginx::Socket::Lua;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: two certificates by SNI from Lua (file / shared dict), each resumed through the hooks, never across (TLS 1.2 and 1.3)
--- http_config
    lua_shared_dict sess 1m;
    lua_shared_dict certs 1m;
    init_by_lua_block {
        local f = assert(io.open("$TEST_NGINX_CERT_DIR/ecdsa.crt"))
        local crt = f:read("*a") f:close()
        f = assert(io.open("$TEST_NGINX_CERT_DIR/ecdsa.key"))
        local key = f:read("*a") f:close()
        ngx.shared.certs:set("b.test:crt", crt)
        ngx.shared.certs:set("b.test:key", key)
    }
    ssl_session_store_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        ngx.shared.sess:set(ssl_sess.get_session_id(), ssl_sess.get_serialized_session(), 3600)
    }
    ssl_session_fetch_by_lua_block {
        local ssl_sess = require "ngx.ssl.session"
        local sess = ngx.shared.sess:get(ssl_sess.get_session_id())
        if sess then assert(ssl_sess.set_serialized_session(sess)) end
    }
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name a.test b.test;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        ssl_certificate $TEST_NGINX_CERT_DIR/rsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/rsa.key;
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            local name = ssl.server_name()
            local crt, key
            if name == "a.test" then
                local f = assert(io.open("$TEST_NGINX_CERT_DIR/rsa.crt"))
                crt = f:read("*a") f:close()
                f = assert(io.open("$TEST_NGINX_CERT_DIR/rsa.key"))
                key = f:read("*a") f:close()
            elseif name == "b.test" then
                crt = ngx.shared.certs:get("b.test:crt")
                key = ngx.shared.certs:get("b.test:key")
            else
                return
            end
            ngx.sleep(0.001) -- the hook may yield
            assert(ssl.clear_certs())
            assert(ssl.set_der_cert(assert(ssl.cert_pem_to_der(crt))))
            assert(ssl.set_der_priv_key(assert(ssl.priv_key_pem_to_der(key))))
            ngx.log(ngx.WARN, "served ", name, " over ", ssl.get_tls1_version_str())
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 -sess_out $TEST_NGINX_SERVER_ROOT/a12.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/a12.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/a12.sess -sess_out $TEST_NGINX_SERVER_ROOT/b12.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/b12.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 -sess_in $TEST_NGINX_SERVER_ROOT/b12.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_3 -sess_out $TEST_NGINX_SERVER_ROOT/a13.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/a13.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/a13.sess -sess_out $TEST_NGINX_SERVER_ROOT/b13.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername b.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/b13.sess | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername a.test -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_3 -sess_in $TEST_NGINX_SERVER_ROOT/b13.sess | cut -d, -f1,4
--- exec_out eval
["New, key RSA\n", "Reused, key RSA\n", "New, key ECDSA\n", "Reused, key ECDSA\n", "New, key RSA\n",
 "New, key RSA\n", "Reused, key RSA\n", "New, key ECDSA\n", "Reused, key ECDSA\n", "New, key RSA\n"]
--- error_log
served a.test over TLSv1.2
served b.test over TLSv1.2
served a.test over TLSv1.3
served b.test over TLSv1.3



=== TEST 2: parse_pem_cert / parse_pem_priv_key objects with set_cert / set_priv_key; the hook's facts
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/rsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/rsa.key;
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            local f = assert(io.open("$TEST_NGINX_CERT_DIR/ecdsa.crt"))
            local crt = assert(ssl.parse_pem_cert(f:read("*a"))) f:close()
            f = assert(io.open("$TEST_NGINX_CERT_DIR/ecdsa.key"))
            local key = assert(ssl.parse_pem_priv_key(f:read("*a"))) f:close()
            assert(ssl.clear_certs())
            assert(ssl.set_cert(crt))
            assert(ssl.set_priv_key(key))
            local addr, typ = ssl.raw_server_addr()
            local caddr, ctyp = ssl.raw_client_addr()
            ngx.log(ngx.WARN, "phase ", ngx.get_phase(), " sni ", ssl.server_name(),
                    " server ", typ, " ", #addr, " ", string.byte(addr, 1),
                    " client ", ctyp, " ", #caddr, " port ok ", ssl.server_port() == $TEST_NGINX_SERVER_SSL_PORT,
                    " version ", ssl.get_tls1_version() == ssl.TLS1_2_VERSION)
            local bad, err = ssl.cert_pem_to_der("garbage")
            ngx.log(ngx.WARN, "bad pem: ", bad, " ", err)
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 | cut -d, -f1,4
--- exec_out
New, key ECDSA
--- error_log
phase ssl_cert sni test.com server inet 4 127 client inet 4 port ok true version true
bad pem: nil PEM_read_bio_X509_AUX() failed



=== TEST 3: ngx.exit(ngx.ERROR) aborts the handshake; ngx.exit(ngx.OK) serves the configured certificate
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com refuse.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            if ssl.server_name() == "refuse.test" then
                return ngx.exit(ngx.ERROR)
            end
            return ngx.exit(ngx.OK)
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -ca $TEST_NGINX_CERT_DIR/ca.crt -key_type -tls1_2 | cut -d, -f1,4
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername refuse.test -insecure -tls1_2 2>&1 | grep -c "tlsprobe:"
--- exec_out eval
["New, key ECDSA\n", "1\n"]
--- no_error_log
[error]



=== TEST 4: a Lua error in ssl_certificate_by_lua* is logged with chunk:line and aborts the handshake
--- http_config
    server {
        listen $TEST_NGINX_SERVER_SSL_PORT ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_certificate_by_lua_block {
            error("no certificate for you")
        }
        location /t { return 200 "ok\n"; }
    }
--- config
--- exec
tlsprobe -connect 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT -servername test.com -insecure -tls1_2 2>&1 | grep -c "tlsprobe:"
--- exec_out
1
--- error_log eval
qr/lua entry thread aborted: runtime error: ssl_certificate_by_lua\(nginx.conf:\d+\):2: no certificate for you/
