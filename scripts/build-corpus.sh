#!/usr/bin/env bash
# Rebuilds test/verifier/corpus/*.bpf.c into their committed .bpf.o (vmlinux.h generated
# from the running kernel's BTF), then records the kernel's verdict on every program in
# test/verifier/corpus/kernel-verdicts.json (when bpf() works) for corpus.test.ts.
set -euo pipefail
cd "$(dirname "$0")/../test/verifier/corpus"

CLANG=${CLANG:-clang-19}
multiarch=$("$CLANG" -print-multiarch 2>/dev/null || true)
[ -n "$multiarch" ] || multiarch="$(uname -m)-linux-gnu"
CFLAGS=(-O2 -g -Wall -Werror -Wno-unused-function -D__TARGET_ARCH_x86 -I"/usr/include/$multiarch" -fdebug-prefix-map="$PWD"=.)

if [ ! -f vmlinux.h ]; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
fi

build() { # build <source.bpf.c> <output.o> [extra clang flags...]
  local src=$1 out=$2
  shift 2
  echo "  CC $out"
  "$CLANG" "${CFLAGS[@]}" "$@" -target bpf -c "$src" -o "$out"
}

for src in *.bpf.c; do
  build "$src" "${src%.c}.o"
done
# The same sources for older and newer CPU versions, as projects that target old kernels
# (-mcpu=v2: no jmp32) or new ones (-mcpu=v4: sign extension, gotol) build them.
build exec-events.bpf.c exec-events.v2.bpf.o -mcpu=v2
build xdp-ipv6-ext.bpf.c xdp-ipv6-ext.v2.bpf.o -mcpu=v2
build tcp-options.bpf.c tcp-options.v4.bpf.o -mcpu=v4
build xdp-vlan.bpf.c xdp-vlan.v4.bpf.o -mcpu=v4
build tc-conntrack.bpf.c tc-conntrack.v4.bpf.o -mcpu=v4
build exec-lineage.bpf.c exec-lineage.v4.bpf.o -mcpu=v4
# Trampoline programs (fentry, fexit, fmod_ret, lsm) the kernel here refuses to load (EPERM):
# tsbpf judges them by the kernel's rules alone (test/verifier/btf-tracing.test.ts), no verdict recorded.
for src in trampoline/*.bpf.c; do
  build "$src" "${src%.c}.o"
done

cd ../../..
if [ "$(id -u)" = 0 ]; then
  echo "  kernel verdicts -> test/verifier/corpus/kernel-verdicts.json"
  npx tsx scripts/corpus-verdicts.ts > test/verifier/corpus/kernel-verdicts.json.tmp
  mv test/verifier/corpus/kernel-verdicts.json.tmp test/verifier/corpus/kernel-verdicts.json
else
  echo "  skip kernel verdicts: not root"
fi
