# Shared by bench/gateway.sh and bench/gateway_pair.sh (sourced, not run): ports, load and the
# fixed upstream answer. Needs $here (the bench folder).

# The fast upstream's fixed Chat Completions answer.
chat_body='{"id":"chatcmpl-bench","object":"chat.completion","model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"billing"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":6,"total_tokens":126}}'

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 20000))  # below the ephemeral range (32768+): no outgoing connection holds it
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port" >&2; exit 1
}
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; exit 1
}
check_pacing() {  # pacing: poisson or fixed (bench/gateway_wrk.lua), else a clear stop
  case "$1" in poisson | fixed) ;; *) echo "PACING: poisson or fixed, not '$1'" >&2; exit 2 ;; esac
}
run_wrk() {  # kind port connections delay_ms seconds -> the RESULT line; $wrk_pacing: the pacing
  WRK_KIND=$1 WRK_DELAY_MS=$4 WRK_PACING=${wrk_pacing:-poisson} wrk -t2 -c"$3" -d"$5"s --timeout 10s \
    -s "$here/gateway_wrk.lua" "http://127.0.0.1:$2" | grep '^RESULT'
}
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
# The EXIT trap of a script that started gateways ($pids) and an upstream in $work/upstream
# (start_upstream): stops them and removes $work.
stop_gateways_and_upstream() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/upstream/nginx.pid" ] && kill "$(cat "$work/upstream/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
# Starts the fast upstream (one nginx worker answering $chat_body at every path) in DIR on a free
# port and sets $upstream to the port; its pid file is DIR/nginx.pid.
start_upstream() {  # dir
  upstream=$(free_port)
  mkdir -p "$1"
  cat >"$1.conf" <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 8192; }
http {
  client_body_temp_path $1/body;
  access_log off;
  server {
    listen 127.0.0.1:$upstream;
    location / { default_type application/json; return 200 '$chat_body'; }
  }
}
CONF
  nginx -c "$1.conf" -p "$1"
  wait_port "$upstream"
}
# Starts a gateway (a command and its arguments) in the background, in a session of its own as
# nginx runs (it daemonizes), and sets $started to its pid. On Linux with autogroup scheduling
# (/proc/sys/kernel/sched_autogroup_enabled) every session is a scheduling group of its own, so
# started in the script's session the gateway would share one group's CPU with `wrk`, the load,
# while nginx has a group to itself. SERVE_SESSION=shared starts it in the script's session, as
# every run before 2026-12-04 16:00 UTC did. (A background job of a script is not a process
# group leader, so setsid runs the command in place and $! is the gateway itself.)
start_gateway() {
  if [ "${SERVE_SESSION:-own}" = shared ]; then "$@" & else setsid "$@" & fi
  started=$!
}

# The tickets' [data] table (tickets.csv beside the config).
data_toml='[data]
path = "tickets.csv"
text = "text"
label = "category"
'
# A config whose one approach is the fast upstream at $2 (Chat Completions, zero-shot).
write_gateway_config() {  # file upstream_port
  cat >"$1" <<CONF
$data_toml
[[approach]]
name = "upstream"
kind = "openai"
base_url = "http://127.0.0.1:$2/v1"
model = "bench"
prompt = "zero_shot"
structured_output = false
price = { input = 0.15, output = 0.60 }   # assumed
CONF
}
