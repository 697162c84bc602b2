# Sourced by the scripts that run a server of their own on loopback (load.sh, schemathesis-live.sh);
# not run by itself. Needs PY (the project's Python) set, and the working directory the project's.
#
#   start_server DATABASE_URL LOGFILE   # `python -m app serve` on a free port: sets server_pid and url,
#                                       # returns once /healthz answers from this server (exits 1 if not)
#   stop_server                         # ours only, by its PID: SIGTERM, SIGKILL after 15 s
#   in_background COMMAND...            # run and wait for a command, so a signal's trap runs at once
server_pid=""
child=""
url=""

alive() { local state; state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1; [[ "$state" != Z* ]]; }

stop_server() {
  [ -n "$server_pid" ] || return 0
  if alive "$server_pid"; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do alive "$server_pid" || break; sleep 0.1; done
    if alive "$server_pid"; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

start_server() {
  local database="$1" log="$2" port
  port="$($PY -c 'from bench.common import free_port; print(free_port())')"
  url="http://127.0.0.1:$port"
  DATABASE_URL="$database" ENVIRONMENT="${ENVIRONMENT:-development}" \
    $PY -m app serve --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    # Our server must be the one answering: a process that took the port first would answer too.
    if curl -s -o /dev/null --max-time 2 "$url/healthz"; then alive "$server_pid" && return 0; fi
    alive "$server_pid" || break
    sleep 0.2
  done
  echo "the server did not start:"; tail -n 40 "$log"; exit 1
}

# bash defers a trap until the foreground command ends: a command run this way can be ended by the
# trap at once, by its PID (in `child` while it runs).
in_background() {
  "$@" &
  child=$!
  local code=0
  wait "$child" || code=$?
  child=""
  return "$code"
}

stop_child() {
  if [ -n "$child" ] && alive "$child"; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
}
