#!/usr/bin/env bash
# Regenerates include/numcodecs.h with the pinned cbindgen (the same one tests/header.rs uses).
set -euo pipefail
cd "$(dirname "$0")/.."
NUMCODECS_BLESS=1 cargo test --quiet --test header committed_header_is_fresh
git --no-pager diff --stat -- include/numcodecs.h
