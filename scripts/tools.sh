# shellcheck shell=bash
# Idempotent tool setup shared by scripts/serve and scripts/test. Source it; do not run it.
#
# Each tool already on PATH at the right version is used as it is. A missing one is installed where it
# outlives this clone (cargo's ~/.cargo/bin, npm's global prefix or ~/.local), so the next run and CI's
# fresh clone on the same machine start within seconds.

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"

# Tools installed for the user land here; make sure we see them even in a non-login shell.
export PATH="$HOME/.cargo/bin:$HOME/.local/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$(repo_root)/Cargo.lock"
}

ensure_cargo() {
  command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust with rustup (https://rustup.rs)"
  command -v rustup >/dev/null 2>&1 || die "rustup is missing: install Rust with rustup (https://rustup.rs)"
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION into ~/.cargo/bin (once; about 12 minutes on 2 cores)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

ensure_wasm_bindgen() {
  local want
  want="$(wasm_bindgen_lock_version)"
  [ -n "$want" ] || die "could not read the wasm-bindgen version from Cargo.lock"
  grep -q "wasm_bindgen = \"$want\"" "$(repo_root)/Trunk.toml" ||
    die "Trunk.toml [tools] wasm_bindgen must equal Cargo.lock's wasm-bindgen $want"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ] ||
     [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "wasm-bindgen-test-runner $want" ]; then
    say "installing wasm-bindgen-cli $want into ~/.cargo/bin (once; a few minutes)"
    # Without --locked: the CLI's own lockfile pins a crate the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_wasm_opt() {
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION\b"; then
    say "installing wasm-opt from npm binaryen@$BINARYEN_VERSION"
    command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js 20 or newer"
    local prefix
    prefix="$(npm config get prefix 2>/dev/null)"
    if [ -n "$prefix" ] && [ -w "$prefix/lib" ] 2>/dev/null || [ -w "$prefix" ]; then
      npm install --global --no-fund --no-audit "binaryen@$BINARYEN_VERSION"
    else
      npm install --global --prefix "$HOME/.local" --no-fund --no-audit "binaryen@$BINARYEN_VERSION"
    fi
    hash -r
    wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION\b" ||
      die "wasm-opt $BINARYEN_VERSION is not on PATH after installing; add npm's global bin folder to PATH"
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian's chromium and chromium-driver"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
  else
    die "the browser tests need Chromium and ChromeDriver at /usr/bin/chromium and /usr/bin/chromedriver.
Install them as root, then run this again:  sudo apt-get install -y chromium chromium-driver"
  fi
}

# Everything `trunk build` needs, with the registry fetched first: Trunk runs cargo --offline.
# terser, which the release build's post_build hook (scripts/minify-js) runs on the JS glue, at the
# version www/package.json pins, from npm's cache or registry into www/node_modules.
ensure_terser() {
  local www want
  www="$(repo_root)/www"
  want="$(sed -n 's/.*"terser": "\(.*\)".*/\1/p' "$www/package.json")"
  if [ "$("$www/node_modules/.bin/terser" --version 2>/dev/null)" != "terser $want" ]; then
    say "installing terser $want into www/node_modules"
    command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js 20 or newer"
    (cd "$www" && npm ci --no-fund --no-audit --silent) || die "npm ci in www/ failed"
  fi
}

ensure_web_build_tools() {
  ensure_cargo
  ensure_wasm_target
  ensure_trunk
  ensure_wasm_bindgen
  ensure_wasm_opt
  ensure_terser
  (cd "$(repo_root)" && cargo fetch --locked -q)
}
