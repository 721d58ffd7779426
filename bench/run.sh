#!/usr/bin/env bash
# Side-by-side TLS handshake benchmark: goresty vs nginx + the Debian Lua module.
#
#   bash bench/run.sh           # full run (~15 min): writes bench/RESULTS.md and bench/results.json
#   bash bench/run.sh -quick    # smoke run (~1 min): writes bench/.bin/RESULTS-quick.md
#   bash bench/run.sh -rounds 7 -time 5   # any bench/cmd/benchrun flag (see -h)
#
# Installs the peer (nginx, libnginx-mod-http-lua, lua-resty-core) from Debian if missing,
# builds goresty, tlsload and benchrun into bench/.bin, and runs benchrun. If goresty does
# not build, nginx alone is measured and the report says so.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in nginx libnginx-mod-http-lua lua-resty-core openssl wrk nghttp2-client redis-server lua-nginx-redis; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "bench: installing ${need[*]}" >&2
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi

mkdir -p bench/.bin
go build -o bench/.bin/tlsload ./bench/cmd/tlsload
go build -o bench/.bin/idlehold ./bench/cmd/idlehold
go build -o bench/.bin/benchrun ./bench/cmd/benchrun
goresty=bench/.bin/goresty
skip=()
if ! go build -o "$goresty" ./cmd/goresty 2>bench/.bin/goresty-build.log; then
    echo "bench: goresty does not build (bench/.bin/goresty-build.log); measuring nginx only" >&2
    goresty=""
    skip=(-skip-goresty "cmd/goresty does not build yet: $(head -c 200 bench/.bin/goresty-build.log | tr '\n' ' ')")
fi

# 10,000 concurrent connections need descriptors on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

extra=()
for a in "$@"; do
    if [ "$a" = "-quick" ] || [ "$a" = "--quick" ]; then
        extra=(-out bench/.bin/RESULTS-quick.md -json bench/.bin/results-quick.json)
    fi
done
exec bench/.bin/benchrun -goresty "$goresty" -tlsload bench/.bin/tlsload -idlehold bench/.bin/idlehold -certs t/cert -repo . ${skip[@]+"${skip[@]}"} ${extra[@]+"${extra[@]}"} "$@"
