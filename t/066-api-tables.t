# vim:set ft= ts=4 sw=4 et fdm=marker:
# The function tables OpenResty users find: ngx.req's 23 functions, the
# tcp and udp cosocket and shared-dict metatables (methods as entries,
# __index the metatable itself), ngx.worker.pids; bind, getoption and
# setclientcert; sslhandshake's session is cdata to type(). The ngx
# table's own entries, ngx.arg among them: one table, whose metatable reads
# the running phase's values.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_shared_dict d 1m;
    lua_ssl_trusted_certificate $ENV{TEST_NGINX_CERT_DIR}/ca.crt;
    server {
        listen $ENV{TEST_NGINX_SERVER_SSL_PORT} ssl;
        server_name test.com;
        ssl_certificate $ENV{TEST_NGINX_CERT_DIR}/ecdsa.crt;
        ssl_certificate_key $ENV{TEST_NGINX_CERT_DIR}/ecdsa.key;
        location / {
            return 200 "tls\\n";
        }
    }
};

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ngx.req, the cosocket and shared-dict metatables, ngx.worker
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local function keys(t)
                local ks = {}
                for k, v in pairs(t) do
                    if type(v) == "function" then ks[#ks + 1] = k end
                end
                table.sort(ks)
                return #ks .. " " .. table.concat(ks, " ")
            end
            ngx.say(keys(ngx.req))
            local tcp = getmetatable(ngx.socket.tcp())
            ngx.say(keys(tcp), " ", tcp.__index == tcp)
            local udp = getmetatable(ngx.socket.udp())
            ngx.say(keys(udp), " ", udp.__index == udp)
            local dict = getmetatable(ngx.shared.d)
            ngx.say(keys(dict), " ", dict.__index == dict)
            local pids = ngx.worker.pids()
            ngx.say(#pids == ngx.worker.count(), " ", pids[1] == ngx.worker.pid())
            ngx.say(tostring(ngx.socket.tcp()):match("^table: ") ~= nil)
            ngx.say(select(2, ngx.run_worker_thread("default", "string", "format", "%d", 5)), ", ", select(2, ngx.run_worker_thread("default")))
            local ok, err = pcall(function() return ngx.arg[1] end)
            ngx.say(type(ngx.arg), " ", ok, " ", err:match("API disabled in the current context"))
        }
    }
--- request
GET /t
--- response_body
23 append_body clear_header discard_body finish_body get_body_data get_body_file get_headers get_method get_post_args get_uri_args http_version init_body is_internal raw_header read_body set_body_data set_body_file set_header set_method set_uri set_uri_args socket start_time
15 bind close connect getoption getreusedtimes receive receiveany receiveuntil send setclientcert setkeepalive setoption settimeout settimeouts sslhandshake true
5 close receive send setpeername settimeout true
21 add capacity delete expire flush_all flush_expired free_space get get_keys get_stale incr llen lpop lpush replace rpop rpush safe_add safe_set set ttl true
true true
true
thread pool default not found, expecting at least 3 arguments
table false API disabled in the current context
--- no_error_log
[error]



=== TEST 2: bind, setoption and getoption; the sslhandshake session is cdata
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:bind("127.0.0.1"))
            ngx.say(select(2, pcall(sock.getoption, sock, "keepalive")):match("socket is never created nor connected"))
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_SSL_PORT))
            ngx.say(sock:setoption("keepalive", true), " ", sock:getoption("keepalive"))
            ngx.say(sock:setoption("tcp-nodelay", true), " ", sock:getoption("tcp-nodelay") ~= 0)
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say(type(sess), " ", err)
            sock:send("GET / HTTP/1.0\r\nHost: test.com\r\n\r\n")
            local body = sock:receive("*a")
            ngx.say(body:match("tls"))
            sock:close()
        }
    }
--- request
GET /t
--- response_body
true
socket is never created nor connected
true 1
true true
cdata nil
tls
--- no_error_log
[error]



=== TEST 3: setclientcert: the certificate ngx.ssl parsed is presented in sslhandshake
--- http_config
    lua_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
    server {
        listen $TEST_NGINX_RAND_PORT_1 ssl;
        server_name test.com;
        ssl_certificate $TEST_NGINX_CERT_DIR/ecdsa.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/ecdsa.key;
        ssl_verify_client on;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        location / {
            return 200 "client $ssl_client_verify\n";
        }
    }
--- config
    location = /t {
        content_by_lua_block {
            local ssl = require "ngx.ssl"
            local function read(name)
                local f = assert(io.open("$TEST_NGINX_CERT_DIR/" .. name))
                local s = f:read("*a")
                f:close()
                return s
            end
            local cert = assert(ssl.parse_pem_cert(read("client.crt")))
            local key = assert(ssl.parse_pem_priv_key(read("client.key")))
            ngx.say(type(cert), " ", type(key))
            for _, with in ipairs{true, false} do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                if with then ngx.say(sock:setclientcert(cert, key)) end
                assert(sock:sslhandshake(nil, "test.com", true))
                sock:send("GET / HTTP/1.0\r\nHost: test.com\r\n\r\n")
                local res = sock:receive("*a")
                ngx.say(res:match("client %S+") or res:match("HTTP/1%.%d (%d+)"))
                sock:close()
            end
        }
    }
--- request
GET /t
--- response_body
cdata cdata
true
client SUCCESS
400
--- no_error_log
[error]



=== TEST 4: after the peer closed: receives say closed, sends go out until the kernel reports EPIPE, setkeepalive refuses, close answers 1
--- config
    location = /t {
        content_by_lua_block {
            local function conn()
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
                sock:send("GET /close HTTP/1.0\r\nHost: x\r\n\r\n")
                local body = sock:receive("*a")
                return sock, body:match("bye")
            end
            local s, body = conn()
            ngx.say(body, " keepalive: ", s:setkeepalive())
            ngx.say("after: ", s:send("x"))
            s = conn()
            ngx.say("receive: ", s:receive())
            ngx.say("send: ", s:send("x"))
            ngx.say("close: ", s:close())
            s = conn()
            ngx.sleep(0.05)
            ngx.say("send1: ", s:send("x"))
            ngx.sleep(0.05)
            ngx.say("send2: ", s:send("x"))
            ngx.say("close: ", s:close())
        }
    }
    location = /close {
        return 200 "bye";
    }
--- request
GET /t
--- response_body
bye keepalive: nilclosed
after: 1
receive: nilclosed
send: 1
close: 1
send1: 1
send2: nilbroken pipe
close: 1
--- no_error_log
[alert]



=== TEST 5: pairs(ngx) lists OpenResty's entries (less get_raw_phase and _phase_ctx, resty.core's and lua-nginx-module's internals, which take or check an FFI request pointer); ngx.arg is one table, empty to pairs and #, read and written through its metatable in the running phase, also when taken before any request
--- http_config
    init_by_lua_block {
        ARG = ngx.arg
        local function msg(ok, err) return tostring(err):gsub("^.-:%d+: ", "") end
        INIT = msg(pcall(function() return ngx.arg[1] end)) .. ", " .. tostring((select(2, pcall(function() ngx.arg[1] = 1 end))))
    }
--- config
    location = /t {
        set_by_lua $set '
            local function msg(ok, err) return (tostring(err):gsub("^.-:%d+: ", "")) end
            local a = ngx.arg
            local n = 0
            for _ in pairs(a) do n = n + 1 end
            return table.concat({ tostring(ARG == a), tostring(rawget(ngx, "arg") == a), #a, n,
                a[1], a[2], tostring(a[3]), tostring(a[4]), a[1.5], ARG[2],
                msg(pcall(function() return a.x end)),
                msg(pcall(function() a[1] = "z" end)) }, "|")
        ' $arg_x $arg_y '';
        content_by_lua_block {
            local ks = {}
            for k, v in pairs(ngx) do
                if k ~= "get_raw_phase" and k ~= "_phase_ctx" then
                    ks[#ks + 1] = k .. (type(v) == "table" and "{}" or "")
                end
            end
            table.sort(ks)
            ngx.say(#ks)
            for i = 1, #ks, 12 do
                ngx.say(table.concat(ks, " ", i, math.min(i + 11, #ks)))
            end
            ngx.say(ngx.HTTP_NOT_IMPLEMENTED, " ", ngx.HTTP_METHOD_NOT_IMPLEMENTED)
            ngx.say("init: ", INIT)
            ngx.say("set: ", ngx.var.set)
            local function msg(ok, err) return (tostring(err):gsub("^.-:%d+: ", "")) end
            ngx.say("content: ", msg(pcall(function() return ARG[1] end)), ", ", msg(pcall(function() ARG[1] = "x" end)))
            ngx.say("last")
        }
        body_filter_by_lua_block {
            if not ARG[2] then
                ARG[1] = ARG[1]:upper()
                return
            end
            local function msg(ok, err) return (tostring(err):gsub("^.-:%d+: ", "")) end
            ARG[1] = table.concat({ "eof:", tostring(ngx.arg[2]), #ngx.arg, tostring(ngx.arg.x), tostring(ngx.arg[3]),
                msg(pcall(function() ngx.arg[3] = 1 end)), msg(pcall(function() ngx.arg[1] = true end)), "\n" }, " ")
        }
    }
--- request
GET /t?x=a&y=b
--- response_body
114
AGAIN ALERT CRIT DEBUG DECLINED DONE EMERG ERR ERROR HTTP_ACCEPTED HTTP_BAD_GATEWAY HTTP_BAD_REQUEST
HTTP_CLOSE HTTP_CONFLICT HTTP_CONTINUE HTTP_COPY HTTP_CREATED HTTP_DELETE HTTP_FORBIDDEN HTTP_GATEWAY_TIMEOUT HTTP_GET HTTP_GONE HTTP_HEAD HTTP_ILLEGAL
HTTP_INSUFFICIENT_STORAGE HTTP_INTERNAL_SERVER_ERROR HTTP_LOCK HTTP_METHOD_NOT_IMPLEMENTED HTTP_MKCOL HTTP_MOVE HTTP_MOVED_PERMANENTLY HTTP_MOVED_TEMPORARILY HTTP_NOT_ACCEPTABLE HTTP_NOT_ALLOWED HTTP_NOT_FOUND HTTP_NOT_IMPLEMENTED
HTTP_NOT_MODIFIED HTTP_NO_CONTENT HTTP_OK HTTP_OPTIONS HTTP_PARTIAL_CONTENT HTTP_PATCH HTTP_PAYMENT_REQUIRED HTTP_PERMANENT_REDIRECT HTTP_POST HTTP_PROPFIND HTTP_PROPPATCH HTTP_PUT
HTTP_REQUEST_TIMEOUT HTTP_SEE_OTHER HTTP_SERVICE_UNAVAILABLE HTTP_SPECIAL_RESPONSE HTTP_SWITCHING_PROTOCOLS HTTP_TEMPORARY_REDIRECT HTTP_TOO_MANY_REQUESTS HTTP_TRACE HTTP_UNAUTHORIZED HTTP_UNLOCK HTTP_UPGRADE_REQUIRED HTTP_VERSION_NOT_SUPPORTED
INFO NOTICE OK STDERR WARN ARG{} CONFIG{} COOKIE_TIME CRC32_LONG CRC32_SHORT DECODE_ARGS DECODE_BASE64
ENCODE_ARGS ENCODE_BASE64 EOF ESCAPE_URI EXEC EXIT FLUSH GET_PHASE HEADER{} HMAC_SHA1 HTTP_TIME LOCALTIME
LOCATION{} LOG MD5 MD5_BIN NOW NULL ON_ABORT PARSE_HTTP_TIME PRINT QUOTE_SQL_STR REDIRECT REQ{}
RESP{} RE{} RUN_WORKER_THREAD SAY SEND_HEADERS SHA1_BIN SHARED{} SLEEP SOCKET{} THREAD{} TIME TIMER{}
TODAY UNESCAPE_URI UPDATE_TIME UTCTIME VAR{} WORKER{}
501 501
INIT: NO REQUEST FOUND, NIL
SET: TRUE|TRUE|0|0|A|B|NIL|NIL|A|B|BAD ARGUMENT #2 TO 'NGX_HTTP_LUA_FFI_GET_SETBY_PARAM' (CANNOT CONVERT 'STRING' TO 'INT')|API DISABLED IN THE CONTEXT OF SET_BY_LUA*
CONTENT: API DISABLED IN THE CURRENT CONTEXT, API DISABLED IN THE CONTEXT OF CONTENT_BY_LUA*
LAST
eof: true 0 nil nil bad index: 3 bad chunk data type: boolean 
--- no_error_log
[error]
