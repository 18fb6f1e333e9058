#!/usr/bin/env bash
# Installs the build dependencies, builds libnumcodecs, installs it into a prefix (default: ./_install,
# so no root is needed beyond apt-get), compiles examples/demo.c against the installed library with
# pkg-config, and runs it.
#
#   ./scripts/demo.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
prefix=${1:-$root/_install}
case $prefix in /*) ;; *) prefix=$root/$prefix ;; esac

./scripts/install-deps.sh
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

jobs=$(nproc 2>/dev/null || echo 2)
echo "== building libnumcodecs (cmake -B build, cargo release profile)"
cmake -S . -B build -DCMAKE_INSTALL_LIBDIR=lib
cmake --build build --parallel "$jobs"
echo "== installing into $prefix"
cmake --install build --prefix "$prefix"

echo "== compiling examples/demo.c against the installed library"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir=$(pkg-config --variable=libdir numcodecs)
# shellcheck disable=SC2046  # pkg-config output is meant to be split into flags
"${CC:-cc}" -std=c99 -O2 -Wall -Wextra examples/demo.c -o build/demo \
  $(pkg-config --cflags --libs numcodecs) -Wl,-rpath,"$libdir" -lm
echo "== running build/demo"
./build/demo
