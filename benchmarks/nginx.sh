#!/usr/bin/env bash
# nginx as the plain reverse-proxy peer of the data-path benchmark (PatternOne.Benchmarks `datapath`).
#
#   benchmarks/nginx.sh install
#       Installs nginx from Debian when it is missing (apt-get; needs root). Exit 0 when nginx is usable.
#   benchmarks/nginx.sh run <workdir> <http_port> <https_port> <cert.pem> <key.pem> <upstream host:port>...
#       Writes <workdir>/nginx.conf (loopback listeners, the gateway's route prefix stripped like the HTTPRoute does,
#       HTTP/1.1 keep-alive to the upstreams) and runs nginx in the foreground until it is killed.
set -euo pipefail

find_nginx() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

cmd="${1:-}"
case "$cmd" in
  install)
    if [ -n "$(find_nginx)" ]; then echo "nginx present: $(find_nginx)"; exit 0; fi
    if [ "$(id -u)" != "0" ]; then echo "nginx missing and not root: cannot apt-get install" >&2; exit 2; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends nginx >/dev/null
    # The Debian package may try to start a system nginx on :80; the benchmark runs its own instance.
    (service nginx stop >/dev/null 2>&1 || true)
    [ -n "$(find_nginx)" ] && { echo "nginx installed: $(find_nginx)"; exit 0; }
    echo "nginx install failed" >&2; exit 3
    ;;
  run)
    shift
    [ $# -ge 6 ] || { echo "usage: $0 run <workdir> <http_port> <https_port> <cert> <key> <upstream>..." >&2; exit 64; }
    workdir="$1"; http_port="$2"; https_port="$3"; cert="$4"; key="$5"; shift 5
    nginx_bin="$(find_nginx)"
    [ -n "$nginx_bin" ] || { echo "nginx not installed (run: $0 install)" >&2; exit 2; }
    mkdir -p "$workdir/logs" "$workdir/tmp"
    upstreams=""
    for u in "$@"; do upstreams="$upstreams    server $u;
"; done
    cat > "$workdir/nginx.conf" <<CONF
worker_processes 1;
pid $workdir/nginx.pid;
error_log $workdir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $workdir/tmp/body;
  proxy_temp_path $workdir/tmp/proxy;
  fastcgi_temp_path $workdir/tmp/fastcgi;
  uwsgi_temp_path $workdir/tmp/uwsgi;
  scgi_temp_path $workdir/tmp/scgi;
  client_max_body_size 16m;
  client_body_buffer_size 512k;
  upstream pool {
$upstreams    keepalive 64;
  }
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    location /llm-d-inference-scheduling/qwen2-3b-pattern1/ {
      proxy_pass http://pool/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering on;
    }
  }
}
CONF
    exec "$nginx_bin" -p "$workdir" -c "$workdir/nginx.conf" -g 'daemon off;'
    ;;
  *)
    echo "usage: $0 install | run <workdir> <http_port> <https_port> <cert> <key> <upstream>..." >&2; exit 64
    ;;
esac
