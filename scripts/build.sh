#!/usr/bin/env bash
# Builds everything: the native CLI and tests (build/native), the WebAssembly module and its
# tests (build/wasm), and copies the module into dist/ for the npm package.
#   scripts/build.sh          every build (native, sse41, baseline, wasm, site, asan, fuzz)
#   scripts/build.sh wasm     only the WebAssembly module
#   scripts/build.sh site     the WebAssembly module, then the demo site in site/ (Vite; what
#                             `npm start` serves and `npm run build:site` deploys)
#   scripts/build.sh sse41    only the core library and tests for SSE4.1 (build/native-sse41)
#   scripts/build.sh baseline the same for the x86-64 baseline, SSE2 (build/native-baseline)
#   scripts/build.sh asan     only the ASan + UBSan build of the native tests (build/asan)
#   scripts/build.sh fuzz     only the libFuzzer targets of tests/fuzz (build/fuzz)
# (asan and fuzz use clang-14; see tests/fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
jobs=$(nproc 2>/dev/null || echo 2)
# Emscripten 3.1.6's JS optimizer needs Debian's acorn (TOOLCHAIN.md trap 1).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

if [[ $what == all || $what == native ]]; then
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/native -j"$jobs"
fi

# The core suite in the other instruction sets of CMakeLists.txt's LMUL_SIMD, so that the
# paths for machines without AVX2 or without SSE4.1 are built and tested too (npm test runs
# them as the core-sse41 and core-baseline suites). Only the core library and its tests.
for config in sse41:sse4.1 baseline:baseline; do
  name=${config%%:*} simd=${config#*:}
  if [[ $what == all || $what == "$name" ]]; then
    cmake -S . -B "build/native-$name" -DCMAKE_BUILD_TYPE=Release -DLMUL_SIMD="$simd" >/dev/null
    cmake --build "build/native-$name" -j"$jobs" --target core_tests
  fi
done

if [[ $what == all || $what == wasm || $what == site ]]; then
  if [[ ! -f build/wasm/CMakeCache.txt ]]; then
    # emcmake's default emulator flag is rejected by Node 20 (TOOLCHAIN.md trap 4).
    emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node;--no-experimental-fetch" >/dev/null
  fi
  # `build.sh wasm|site` needs only the module; `all` also builds the wasm tests and CLI.
  if [[ $what != all ]]; then
    cmake --build build/wasm -j"$jobs" --target lmul_wasm
  else
    cmake --build build/wasm -j"$jobs"
  fi
  mkdir -p dist
  cp build/wasm/lmul.mjs build/wasm/lmul.wasm dist/
fi

if [[ $what == all || $what == site ]]; then
  node_modules/.bin/vite build
fi

if [[ $what == all || $what == asan ]]; then
  # The whole native test suite under AddressSanitizer (+ LeakSanitizer) and UBSan, aborting
  # on the first report; npm test runs it as the core-asan suite.
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DLMUL_SANITIZE=address,undefined >/dev/null
  cmake --build build/asan -j"$jobs"
fi

if [[ $what == all || $what == fuzz ]]; then
  # libFuzzer targets (tests/fuzz/run.mjs runs them: npm run fuzz, and npm test's fuzz suite).
  cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DLMUL_FUZZ=ON -DLMUL_BUILD_TESTS=OFF >/dev/null
  cmake --build build/fuzz -j"$jobs" --target lmul_fuzzers
fi
