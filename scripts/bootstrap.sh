#!/usr/bin/env bash
# Installs what this project needs and is missing; safe to run again and again.
#   Debian packages: installed with apt-get when run as root, otherwise the exact command
#   to run is printed and the script exits non-zero.
#   npm packages: `npm ci` whenever package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  cmake make g++            # native build
  emscripten binaryen       # WebAssembly build (emcc 3.1.6, wasm-dis)
  libxsimd-dev doctest-dev nlohmann-json3-dev
  clang-14 libclang-rt-14-dev  # fuzzing and sanitizers
  chromium                  # browser tests (driven by playwright-core)
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 18)); then
  echo "bootstrap: Node.js >= 18 is required (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

stamp=node_modules/.lmul-bootstrap-stamp
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
