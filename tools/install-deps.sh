#!/usr/bin/env bash
# Installs the Debian packages recom's build needs (LLVM/MLIR 22 from Debian 12's
# bookworm-security suite, plus the C libraries that static MLIR links against).
# Idempotent: prints nothing and installs nothing when everything is present.
set -euo pipefail

PACKAGES=(
  libmlir-22-dev      # static libMLIR*.a + mlir-c headers
  llvm-22-dev         # llvm-config, static libLLVM*.a; pulls llvm-22-tools (FileCheck, lit, not)
  libpolly-22-dev     # listed by llvm-config --link-static
  libclang1-22        # bindgen in mlir-sys / tblgen build scripts
  libclang-common-22-dev  # clang builtin headers (stdbool.h) for bindgen
  zlib1g-dev          # -lz
  libzstd-dev         # -lzstd
  mlir-22-tools       # mlir-opt etc., handy for debugging
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
