#!/usr/bin/env bash
# Installs what building and testing libnumcodecs needs on a Debian or Ubuntu machine: a C/C++ toolchain,
# CMake, make, pkg-config and valgrind, plus HDF5 (libhdf5-dev, hdf5-tools), netcdf-bin (ncdump, nccopy)
# and python3-venv for the HDF5 plugin interop tests, and libclang-dev for the zfp bindings zfp-sys-cc generates (apt-get, as root or through sudo). Packages already present are skipped;
# nothing is installed when everything is there.
#
# Rust is not installed here: install it with rustup (https://rustup.rs) first. This script checks that
# cargo is on PATH (or in ~/.cargo/bin) and new enough for Cargo.toml's rust-version.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a command it provides (to recognise it on machines where dpkg does not know it).
packages=(cmake:cmake gcc:gcc g++:g++ make:make pkg-config:pkg-config binutils:readelf libc6-dev: valgrind:valgrind
          libhdf5-dev:h5cc hdf5-tools:h5dump netcdf-bin:nccopy python3-venv: libclang-dev:)

missing=()
for entry in "${packages[@]}"; do
  package=${entry%%:*}
  command=${entry#*:}
  if command -v dpkg-query >/dev/null 2>&1 &&
     [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ]; then
    continue
  fi
  if [ -n "$command" ] && command -v "$command" >/dev/null 2>&1; then
    continue
  fi
  if [ -z "$command" ] && ! command -v dpkg-query >/dev/null 2>&1; then
    continue  # a library package we can only check with dpkg: assume the C toolchain brought it
  fi
  missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: build tools present (cmake, gcc, g++, make, pkg-config, binutils, valgrind, libhdf5-dev, hdf5-tools, netcdf-bin, python3-venv, libclang-dev)"
else
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]}, and this is not a Debian-like system (no apt-get): install them yourself" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ---- Rust ----
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  echo "install-deps: using cargo from ~/.cargo/bin (add it to PATH: source ~/.cargo/env)"
fi
if ! command -v cargo >/dev/null 2>&1; then
  cat >&2 <<'MESSAGE'
install-deps: cargo not found. Install Rust with rustup, then open a new shell (or `source ~/.cargo/env`):

    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y

MESSAGE
  exit 1
fi

required=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
have=$(rustc --version 2>/dev/null | sed -n 's/^rustc \([0-9][0-9.]*\).*/\1/p')
if [ -z "$have" ]; then
  echo "install-deps: cargo is installed but rustc is not working (rustc --version failed)" >&2
  exit 1
fi
if [ -n "$required" ] && [ "$(printf '%s\n%s\n' "$required" "$have" | sort -V | head -n 1)" != "$required" ]; then
  echo "install-deps: rustc $have is older than the crate's rust-version $required: run \`rustup update\`" >&2
  exit 1
fi
echo "install-deps: $(cargo --version), rustc $have (>= $required)"
