# shellcheck shell=bash
# Helpers for the scripts that use Node.js (the TypeScript client, the /docs asset): npm packages
# installed from a checked-in lockfile, once per lockfile; Debian's Chromium for the headless
# browser tests. Sourced after scripts/lib/services.sh (log, die, as_root, INNOVA_CACHE_DIR).

# The oldest Node.js the pinned tools support (@hey-api/openapi-ts 0.95: >=20.19).
NODE_MIN_VERSION=20.19.0

# Fails unless node and npm are there, recent enough.
node_check() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    die "Node.js and npm are required (Debian: apt-get install nodejs npm)"
  fi
  node -e 'const [a, b] = [process.versions.node, process.argv[1]].map((v) => v.split(".").map(Number));
    process.exit(a[0] - b[0] || a[1] - b[1] || a[2] - b[2] >= 0 ? 0 : 1)' "$NODE_MIN_VERSION" \
    || die "Node.js $NODE_MIN_VERSION or later is required (found $(node --version))"
}

# npm_ci DIR: `npm ci` in DIR (its package-lock.json, exactly), skipped while node_modules was
# installed from the same lockfile. npm's download cache is kept in the innova cache.
npm_ci() {
  local dir=$1 stamp want
  node_check
  stamp="$dir/node_modules/.innova-lock.sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "npm ci in ${dir#"$ROOT"/}…"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error --cache "$INNOVA_CACHE_DIR/npm") >&2 \
      || die "npm ci failed in $dir"
    echo "$want" >"$stamp"
  fi
}

# Debian's Chromium (the headless browser of the browser tests), installed once if missing.
# Prints its path. Never a browser download of Playwright's own. INNOVA_CHROMIUM names another
# Chromium-based browser to use instead (GitHub's Ubuntu runners: /usr/bin/google-chrome, since
# Ubuntu's chromium package is a snap).
chromium_bin() {
  local bin=/usr/bin/chromium
  if [ -n "${INNOVA_CHROMIUM:-}" ]; then
    [ -x "$INNOVA_CHROMIUM" ] || die "INNOVA_CHROMIUM=$INNOVA_CHROMIUM is not an executable"
    echo "$INNOVA_CHROMIUM"
    return
  fi
  if [ ! -x "$bin" ]; then
    log "installing Chromium (Debian package chromium)…"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  fi
  [ -x "$bin" ] || die "Chromium not found at $bin after installation"
  echo "$bin"
}
