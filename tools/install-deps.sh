#!/usr/bin/env bash
# Installs the Debian packages recom's build needs (LLVM/MLIR 22 from Debian 12's
# bookworm-security suite, plus the C libraries that static MLIR links against).
# Idempotent: prints nothing and installs nothing when everything is present.
# Fails with a clear message when the Rust toolchain is missing or too old.
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
  python3             # runs lit (/usr/lib/llvm-22/bin/lit)
)

# Rust comes from rustup, not Debian (Debian 12's rustc is too old).
need_rust="1.85"
if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install Rust >= $need_rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
have_rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -1)" != "$need_rust" ]; then
  echo "install-deps: rustc $have_rust is older than $need_rust; run 'rustup update stable'" >&2
  exit 1
fi

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
