#!/usr/bin/env bash
# Rebuilds every test/fixtures/*.bpf.c into its committed .bpf.o, plus the CPU-version
# and big-endian variants the tests read. Run from anywhere: `npm run fixtures`.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT/test/fixtures"

CLANG=${CLANG:-clang-19}
# The uapi headers include <asm/types.h>, which lives under the host's multiarch dir.
multiarch=$("$CLANG" -print-multiarch 2>/dev/null || true)
[ -n "$multiarch" ] || multiarch="$(uname -m)-linux-gnu"
# -fdebug-prefix-map keeps the build directory out of DWARF, so a rebuild elsewhere
# gives the same bytes.
CFLAGS=(-O2 -g -Wall -Werror -I"/usr/include/$multiarch" -fdebug-prefix-map="$PWD"=.)

build() { # build <source.bpf.c> <output.o> [extra clang flags...]
  local src=$1 out=$2
  shift 2
  echo "  CC $out"
  "$CLANG" "${CFLAGS[@]}" "$@" -target "${TARGET:-bpf}" -c "$src" -o "$out"
}

for src in *.bpf.c; do
  [ "$src" = core.bpf.c ] && continue # needs vmlinux.h, built at the end
  build "$src" "${src%.c}.o"
done

# The same source for each CPU version: v1 (no jmp32/alu32), v3 (atomics with a
# result, jmp32), v4 (sdiv/smod, movsx, ldsx, bswap, gotol).
for cpu in v1 v3 v4; do
  build alu.bpf.c "alu.$cpu.bpf.o" -mcpu="$cpu"
done

# Without BTF (-g0, and so without its BTF-defined map): the loader must tell struct
# bpf_elf_map from struct bpf_map_def by size alone.
build cilium-tail.bpf.c cilium-tail.nobtf.bpf.o -g0 -DNO_BTF

# Big-endian objects (EI_DATA = ELFDATA2MSB).
TARGET=bpfeb build maps-helpers.bpf.c maps-helpers.bpfeb.bpf.o
TARGET=bpfeb build alu.bpf.c alu.bpfeb.bpf.o -mcpu=v4

# The bundled examples that `npm start` runs.
cd ../../examples
for src in *.bpf.c; do
  build "$src" "${src%.c}.o" -fdebug-prefix-map="$PWD"=.
done

# CO-RE: core.bpf.c reads the running kernel's structures through vmlinux.h, which is
# generated here (it is large and host-specific, so test/fixtures/.gitignore keeps it out).
cd ../test/fixtures
if [ -r /sys/kernel/btf/vmlinux ] && command -v bpftool >/dev/null; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
fi
if [ -f vmlinux.h ]; then
  build core.bpf.c core.bpf.o
else
  echo "  skip core.bpf.o: no vmlinux.h (needs bpftool and /sys/kernel/btf/vmlinux)"
fi

# ---- attach (issue 14): the kernel attach tests' programs, in test/kernel/fixtures so that
# the loader's libbpf comparisons (libbpf 1.1 knows no tc/ingress) do not take them up.
cd "$REPO_ROOT/test/kernel/fixtures"
for src in attach-*.bpf.c; do
  build "$src" "${src%.c}.o" -fdebug-prefix-map="$PWD"=.
done

# ---- hooks (src/hooks): the test programs and the tools' programs, against include/tsbpf/hooks.h.
cd "$REPO_ROOT"
HOOKS_ROOT=$REPO_ROOT
for src in test/hooks/progs/*.bpf.c src/tools/progs/*.bpf.c bench/hooks-progs/*.bpf.c; do
  [ -f "$src" ] || continue
  (cd "$(dirname "$src")" && build "$(basename "$src")" "$(basename "${src%.c}").o" -I"$HOOKS_ROOT/include" -fdebug-prefix-map="$PWD"=.)
done
