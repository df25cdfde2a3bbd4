# shellcheck shell=bash
# Helpers shared by scripts/dev and scripts/test: install (once, cached) and start the services
# Innova needs on this machine — PostgreSQL, FerretDB, moto — on free loopback ports; and the
# contract fuzzer (schemathesis) scripts/fuzz-contract runs.

INNOVA_CACHE_DIR=${INNOVA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/innova}
FERRETDB_VERSION=v1.24.2
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A TCP port nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (up to $2 seconds).
wait_port() {
  local port=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL refuses to run as root: when we are root, run its commands as `postgres`.
pg_user_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Prints the directory of PostgreSQL's server binaries, installing Debian's package if needed.
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    log "installing PostgreSQL (Debian package postgresql)…"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -x "$dir/initdb" ] || die "PostgreSQL binaries not found after installation"
  echo "$dir"
}

# pg_start DIR PORT: initialises a cluster in DIR (once) and starts it on PORT, trust auth,
# superuser `postgres`, tuned for tests (no fsync). Idempotent: a running cluster is left alone.
pg_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_user_run "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null \
      || pg_user_run "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
  fi
  if pg_user_run "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
  pg_user_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB -c shared_preload_libraries=pg_stat_statements" >/dev/null \
    || { cat "$dir/log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir)
  [ -f "$dir/data/PG_VERSION" ] || return 0
  pg_user_run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# The port a cluster in DIR is configured to listen on (from its postmaster.pid), if running.
pg_running_port() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] && sed -n 4p "$dir/data/postmaster.pid"
}

# Builds FerretDB (pinned) with the Go toolchain into the cache, once. The module proxy's copy
# lacks the generated build/version/version.txt, so it is built from a writable copy.
ferretdb_bin() {
  local bin="$INNOVA_CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || die "Go is required to build FerretDB"
    log "building FerretDB $FERRETDB_VERSION (once)…"
    local src dir
    dir=$(cd /tmp && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || die "cannot download FerretDB"
    src="$INNOVA_CACHE_DIR/src/ferretdb-$FERRETDB_VERSION"
    rm -rf "$src" && mkdir -p "$(dirname "$src")" "$INNOVA_CACHE_DIR/bin"
    cp -r "$dir" "$src" && chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
    (cd "$src" && go build -o "$bin.tmp" ./cmd/ferretdb) >&2 || die "cannot build FerretDB"
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

# ferretdb_start DIR PORT: FerretDB with the SQLite handler, state under DIR. Prints its PID.
ferretdb_start() {
  local dir=$1 port=$2 bin
  bin=$(ferretdb_bin)
  mkdir -p "$dir/data"
  "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" --state-dir="$dir" \
    --listen-addr="127.0.0.1:$port" --debug-addr=- --telemetry=disable --log-level=warn \
    >"$dir/log" 2>&1 &
  echo $!
  wait_port "$port" 60 || { cat "$dir/log" >&2; die "FerretDB did not start"; }
}

# The moto server (pinned) in a virtualenv in the cache, once.
moto_bin() {
  local venv="$INNOVA_CACHE_DIR/moto-$MOTO_VERSION"
  if [ ! -x "$venv/bin/moto_server" ]; then
    log "installing moto $MOTO_VERSION (once)…"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || die "cannot create a Python virtualenv (python3-venv)"
    "$venv/bin/pip" install -q --disable-pip-version-check "moto[server,sqs,s3,ssm]==$MOTO_VERSION" >&2 \
      || die "cannot install moto"
  fi
  echo "$venv/bin/moto_server"
}

# moto_start DIR PORT: moto in server mode (SQS, S3, SSM). Prints its PID.
moto_start() {
  local dir=$1 port=$2 bin
  bin=$(moto_bin)
  mkdir -p "$dir"
  "$bin" -H 127.0.0.1 -p "$port" >"$dir/log" 2>&1 &
  echo $!
  wait_port "$port" 60 || { cat "$dir/log" >&2; die "moto did not start"; }
}

# schemathesis (pinned) in a virtualenv in the cache, once. Prints the path of its `st` command.
schemathesis_bin() {
  local venv="$INNOVA_CACHE_DIR/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -x "$venv/bin/st" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION (once)…"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || die "cannot create a Python virtualenv (python3-venv)"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2 \
      || die "cannot install schemathesis"
  fi
  echo "$venv/bin/st"
}
