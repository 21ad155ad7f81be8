import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { decode, encode, formatInstruction, LDDW, PseudoCall, PseudoLd, slotIndices } from "../../src/isa/index.js";
import { readElf } from "../../src/elf/index.js";
import { loadObjectSpec } from "../../src/object/spec.js";
import { loadObject } from "../../src/object/load.js";
import { internalMapName, matchSection, objectName, sourceLine, UnresolvedExternError, ObjectError } from "../../src/object/index.js";
import { benchObjects, bytesOf, EXTERN_VALUES, fixtureObjects, openFixture } from "./helpers.js";
import { parseBtf } from "../../src/btf/index.js";
import { buildBtf } from "../../src/btf/build.js";

test("every fixture and bench object opens into a spec", () => {
  for (const path of [...fixtureObjects(), ...benchObjects()]) {
    const spec = loadObjectSpec(bytesOf(path), { name: path, ...EXTERN_VALUES });
    assert.ok(spec.programs.length > 0, `${path}: no programs`);
    assert.equal(spec.license, "GPL", path);
    for (const p of spec.programs) {
      assert.ok(p.instructions.length > 0, `${path}: ${p.name} has no instructions`);
      for (const r of p.references) assert.ok(r.insnIndex < p.instructions.length, `${path}: ${p.name}: reference past the end`);
    }
    // Plain data: a structured clone is the same spec (minus the parsed BTF's methods).
    const { btf: _btf, ...plain } = spec;
    assert.deepEqual(structuredClone(plain), plain);
  }
});

test("object and internal map names follow libbpf's internal_map_name", () => {
  assert.equal(objectName("/x/global-data.bpf.o"), "global-data");
  assert.equal(objectName("a_very_long_object_name.bpf.o"), "a_very_long_obj");
  assert.equal(internalMapName("global-data", ".rodata"), "global_d.rodata");
  assert.equal(internalMapName("global-data", ".data"), "global_d.data");
  assert.equal(internalMapName("global-data", ".bss"), "global_d.bss");
  assert.equal(internalMapName("alu", ".bss"), "alu.bss");
  assert.equal(internalMapName("global-data", ".rodata.cst16"), ".rodata.cst16");
  assert.equal(internalMapName("x", ".rodata.str1.1"), ".rodata.str1.1");
  assert.equal(internalMapName("externs", ".kconfig"), "externs.kconfig");
});

test("section names map to program and attach types as libbpf's section_defs", () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ["xdp", "xdp", "xdp", undefined],
    ["xdp.frags", "xdp", "xdp", undefined],
    ["xdp/devmap", "xdp", "xdp_devmap", undefined],
    ["tc", "sched_cls", undefined, undefined],
    ["classifier", "sched_cls", undefined, undefined],
    ["action", "sched_act", undefined, undefined],
    ["socket", "socket_filter", undefined, undefined],
    ["kprobe/do_sys_open", "kprobe", undefined, "do_sys_open"],
    ["kretprobe/do_sys_open", "kprobe", undefined, "do_sys_open"],
    ["uprobe.s/libc.so:malloc", "kprobe", undefined, "libc.so:malloc"],
    ["tracepoint/syscalls/sys_enter_openat", "tracepoint", undefined, "syscalls/sys_enter_openat"],
    ["tp/sched/sched_switch", "tracepoint", undefined, "sched/sched_switch"],
    ["raw_tp/sched_switch", "raw_tracepoint", undefined, "sched_switch"],
    ["raw_tracepoint.w/x", "raw_tracepoint_writable", undefined, "x"],
    ["tp_btf/sched_switch", "tracing", "trace_raw_tp", "sched_switch"],
    ["fentry/do_unlinkat", "tracing", "trace_fentry", "do_unlinkat"],
    ["fexit/do_unlinkat", "tracing", "trace_fexit", "do_unlinkat"],
    ["fmod_ret/x", "tracing", "modify_return", "x"],
    ["lsm/file_open", "lsm", "lsm_mac", "file_open"],
    ["lsm.s/file_open", "lsm", "lsm_mac", "file_open"],
    ["iter/task", "tracing", "trace_iter", "task"],
    ["cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress", undefined],
    ["cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress", undefined],
    ["cgroup/skb", "cgroup_skb", undefined, undefined],
    ["cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create", undefined],
    ["cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect", undefined],
    ["cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg", undefined],
    ["cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl", undefined],
    ["cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt", undefined],
    ["cgroup/dev", "cgroup_device", "cgroup_device", undefined],
    ["sk_msg", "sk_msg", "sk_msg_verdict", undefined],
    ["sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser", undefined],
    ["sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict", undefined],
    ["sk_lookup", "sk_lookup", "sk_lookup", undefined],
    ["perf_event", "perf_event", undefined, undefined],
    ["syscall", "syscall", undefined, undefined],
    ["struct_ops/tcp_init", "struct_ops", undefined, "tcp_init"],
    ["flow_dissector", "flow_dissector", "flow_dissector", undefined],
    ["lwt_xmit", "lwt_xmit", undefined, undefined],
    ["sockops", "sock_ops", "cgroup_sock_ops", undefined],
    ["netfilter", "netfilter", "netfilter", undefined],
  ];
  for (const [name, type, attach, to] of cases) {
    const m = matchSection(name);
    assert.ok(m, name);
    assert.equal(m.def.type, type, name);
    assert.equal(m.def.attach, attach, name);
    assert.equal(m.attachTo, to, name);
  }
  // Exact names do not match as prefixes ("xdpfoo", "socketx"), and "kprobe" alone is fine.
  assert.equal(matchSection("xdpfoo"), undefined);
  assert.equal(matchSection("socketx"), undefined);
  assert.equal(matchSection("kprobe")?.def.type, "kprobe");
  assert.equal(matchSection("?xdp")?.autoload, false);
});

test("multi-prog: one program per function, typed by its section, one shared map", () => {
  const spec = openFixture("multi-prog.bpf.o");
  assert.deepEqual(spec.programs.map((p) => [p.name, p.sectionName, p.type, p.attachTo ?? null]), [
    ["on_xdp", "xdp", "xdp", null],
    ["on_tc", "tc", "sched_cls", null],
    ["on_socket", "socket", "socket_filter", null],
    ["on_openat", "tracepoint/syscalls/sys_enter_openat", "tracepoint", "syscalls/sys_enter_openat"],
    ["on_open", "kprobe/do_sys_open", "kprobe", "do_sys_open"],
    ["on_switch", "raw_tp/sched_switch", "raw_tracepoint", "sched_switch"],
  ]);
  assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), [["hits", "array", 4, 8, 6]]);
  const xdp = spec.programs[0]!;
  const ref = xdp.references.find((r) => r.kind === "map")!;
  assert.equal(ref.name, "hits");
  const ins = xdp.instructions[ref.insnIndex]!;
  assert.equal(ins.opcode, LDDW);
  assert.equal(ins.src, PseudoLd.MapFd);
});

test("subprogs: .text functions are appended after each program and calls point at them", () => {
  const spec = openFixture("subprogs.bpf.o");
  assert.deepEqual(spec.programs.map((p) => p.name), ["xdp_fold", "socket_fold"]);
  for (const p of spec.programs) {
    // Each program validates on its own, and every local call lands on a function start.
    decode(encode(p.instructions));
    const slots = slotIndices(p.instructions);
    const starts = new Set(p.funcInfo.map((f) => f.insnOff));
    assert.equal(p.funcInfo[0]!.insnOff, 0);
    assert.equal(p.funcInfo.length, 3, `${p.name}: the program, fold and mix`);
    p.instructions.forEach((ins, i) => {
      if (ins.opcode === 0x85 && ins.src === PseudoCall.Local) {
        const target = slots[i]! + ins.imm + 1;
        assert.ok(starts.has(target), `${p.name}: insn ${i} calls slot ${target}, not a function start`);
      }
    });
    const callees = p.references.filter((r) => r.kind === "subprog").map((r) => r.name);
    assert.ok(callees.includes("fold") && callees.includes("mix"), `${p.name}: ${callees}`);
  }
  // libbpf appends in the order calls are met, depth first: fold (and mix, which it calls).
  const lines = spec.programs[0]!.instructions.map((i) => formatInstruction(i, "kernel"));
  assert.ok(lines.some((l) => /call pc\+/.test(l)), lines.join("\n"));
});


test("global data: one array map per section, libbpf's names and flags, contents from the section", () => {
  const spec = openFixture("global-data.bpf.o");
  // As libbpf 1.2 on: BPF_F_MMAPABLE only where the section has a non-static variable
  // (.rodata.cst16, clang's merged constants, has no DATASEC at all); .rodata is BPF_F_RDONLY_PROG.
  assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ["global_d.data", "array", 4, 16, 1, 0x400],
    ["global_d.rodata", "array", 4, 4, 1, 0x480],
    [".rodata.cst16", "array", 4, 16, 1, 0x80],
    ["global_d.bss", "array", 4, 8, 1, 0x400],
  ]);
  const data = spec.maps[0]!.contents![0]!.value!;
  const view = new DataView(data.buffer, data.byteOffset);
  assert.equal(view.getBigUint64(0, true), 1n); // packets = 1
  assert.equal(view.getBigUint64(8, true), 5n); // seen = 5
  assert.deepEqual([...spec.maps[3]!.contents![0]!.value!], new Array(8).fill(0)); // .bss is zeroed
  const p = spec.programs[0]!;
  const dataRefs = p.references.filter((r) => r.kind === "data");
  assert.deepEqual(dataRefs.map((r) => [r.name, r.offset]), [
    ["global_d.data", 0],
    ["global_d.data", 8],
    ["global_d.rodata", 0],
    [".rodata.cst16", 0],
    ["global_d.bss", 0],
  ]);
  // As libbpf: BPF_PSEUDO_MAP_VALUE, the offset in the second slot's imm.
  for (const r of dataRefs) {
    const ins = p.instructions[r.insnIndex]!;
    assert.equal(ins.src, PseudoLd.MapValue);
    assert.equal(ins.imm64! >> 32n, BigInt(r.offset!));
  }
});

test("maps-helpers: BTF-defined maps with key and value types; bpf_printk's format in .rodata", () => {
  for (const f of ["maps-helpers.bpf.o", "maps-helpers.bpfeb.bpf.o"]) {
    const spec = openFixture(f);
    assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
      ["last_seen", "hash", 4, 8, 1024, 0],
      ["counters", "array", 4, 8, 4, 0],
      ["maps_hel.rodata", "array", 4, 22, 1, 0x80], // bpf_printk's format is static: not mmapable
    ], f);
    const btf = spec.btf!;
    assert.equal(btf.resolve(spec.maps[0]!.keyType!).name, "unsigned int");
    assert.equal(btf.resolve(spec.maps[0]!.valueType!).name, "unsigned long long");
    assert.equal(new TextDecoder().decode(spec.maps[2]!.contents![0]!.value!).replace(/\0+$/, ""), "ifindex %u count %llu");
    assert.equal(spec.littleEndian, !f.includes("bpfeb"));
  }
});

test("maps-advanced: map-in-map with its inner template and slots, prog_array slots, flags, .data.custom", () => {
  const spec = openFixture("maps-advanced.bpf.o");
  const byName = new Map(spec.maps.map((m) => [m.name, m]));
  const outer = byName.get("outer")!;
  assert.equal(outer.type, "array_of_maps");
  assert.equal(outer.valueSize, 4);
  assert.deepEqual([outer.innerMap?.name, outer.innerMap?.type, outer.innerMap?.keySize, outer.innerMap?.valueSize, outer.innerMap?.maxEntries], ["outer.inner", "array", 4, 8, 2]);
  assert.deepEqual(outer.contents!.map((e) => [new DataView(e.key.buffer).getUint32(0, true), e.map]), [[0, "inner_a"], [2, "inner_b"]]);
  const jumps = byName.get("jumps")!;
  assert.equal(jumps.type, "prog_array");
  assert.deepEqual(jumps.contents!.map((e) => [new DataView(e.key.buffer).getUint32(0, true), e.program]), [[1, "tail_drop"]]);
  assert.equal(byName.get("sparse")!.flags, 1); // BPF_F_NO_PREALLOC
  assert.equal(byName.get(".data.custom")!.valueSize, 4);
});

test("map_extra as `__uint` or as `__ulong` (an enum of one value), as libbpf's get_map_field_long reads it", () => {
  const spec = openFixture("loader-map-extra.bpf.o");
  assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.mapExtra]), [
    ["seen_int", "bloom_filter", 3n],
    ["seen_enum", "bloom_filter", 5n],
  ]);
});

test("legacy maps section: struct bpf_map_def, and the version section", () => {
  const spec = openFixture("legacy-maps.bpf.o");
  assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.origin]), [
    ["legacy_hash", "hash", 4, 8, 64, 0, "legacy"],
    ["legacy_array", "array", 4, 4, 2, 0x80, "legacy"],
  ]);
  assert.equal(spec.kernelVersion, 0x060100);
  assert.deepEqual(spec.programs[0]!.references.map((r) => [r.kind, r.name]), [["map", "legacy_array"], ["map", "legacy_hash"]]);
});

test("externs: kconfig laid out and filled as libbpf does; ksyms resolved; attach targets; unknown sections typed unspec", () => {
  const spec = openFixture("externs.bpf.o");
  const kconfig = spec.maps.find((m) => m.origin === "kconfig")!;
  assert.equal(kconfig.name, "externs.kconfig");
  assert.equal(kconfig.flags, 0x480);
  assert.equal(kconfig.valueSize, 33);
  const read = spec.programs.find((p) => p.name === "read_config")!;
  const at = new Map(read.references.filter((r) => r.kind === "kconfig").map((r) => [r.name, r.offset!]));
  // by alignment, then size, then name: HZ (8), BPF_JIT and LINUX_KERNEL_VERSION (4), the bool, the string
  assert.deepEqual(Object.fromEntries(at), { CONFIG_HZ: 0, CONFIG_BPF_JIT: 8, LINUX_KERNEL_VERSION: 12, CONFIG_BPF_SYSCALL: 16, CONFIG_LOCALVERSION: 17 });
  const v = kconfig.contents![0]!.value!;
  const view = new DataView(v.buffer, v.byteOffset);
  assert.equal(view.getBigUint64(0, true), 250n);
  assert.equal(view.getUint32(8, true), 1); // TRI_YES
  assert.equal(view.getUint32(12, true), 0x061200);
  assert.equal(v[16], 1);
  assert.equal(new TextDecoder().decode(v.subarray(17, 23)), "-tsbpf");
  // A callback's address is a BPF_PSEUDO_FUNC load of the appended subprogram.
  const fn = read.instructions.find((i) => i.opcode === LDDW && i.src === PseudoLd.Func);
  assert.ok(fn, "bpf_loop's callback is a BPF_PSEUDO_FUNC load");
  const ksym = spec.programs.find((p) => p.name === "ksym_addr")!;
  const ref = ksym.references.find((r) => r.kind === "ksym")!;
  assert.equal(ksym.instructions[ref.insnIndex]!.imm64, 0xffffffff81000000n);
  assert.equal(spec.maps.find((m) => m.name === "pinned_map")!.pinning, 1);
  const types = Object.fromEntries(spec.programs.map((p) => [p.name, [p.type, p.expectedAttachType, p.attachTo, p.autoload]]));
  assert.deepEqual(types.on_fentry, ["tracing", "trace_fentry", "do_unlinkat", true]);
  assert.deepEqual(types.on_lsm, ["lsm", "lsm_mac", "file_open", true]);
  assert.deepEqual(types.on_connect, ["cgroup_sock_addr", "cgroup_inet4_connect", undefined, true]);
  assert.deepEqual(types.off_by_default, ["tracepoint", undefined, "syscalls/sys_enter_read", false]);
  assert.deepEqual(types.unknown_type, ["unspec", undefined, undefined, true]);
});

test("an extern without a value is an error naming it; a weak one reads as zero", async () => {
  const path = `${new URL("../fixtures/externs.bpf.o", import.meta.url).pathname}`;
  // As libbpf: the object opens; loading it fails, naming the extern.
  const unset = loadObjectSpec(bytesOf(path), { name: path, ksyms: EXTERN_VALUES.ksyms! });
  assert.deepEqual(unset.maps.find((m) => m.origin === "kconfig")!.unresolved, ["LINUX_KERNEL_VERSION", "CONFIG_HZ"]);
  await assert.rejects(
    loadObject(unset, { engine: "interp" }),
    (e: unknown) => e instanceof UnresolvedExternError && e.extern === "LINUX_KERNEL_VERSION" && /unresolved extern LINUX_KERNEL_VERSION \(\.kconfig\): .*--kconfig LINUX_KERNEL_VERSION=VALUE/.test(e.message),
  );
  // A ksym needs the target kernel, which opening does not: it is left for the loader.
  const open = loadObjectSpec(bytesOf(path), { name: path, kconfig: EXTERN_VALUES.kconfig! });
  const ksym = open.programs.find((p) => p.name === "ksym_addr")!.references.find((r) => r.kind === "ksym")!;
  assert.deepEqual([ksym.name, ksym.pending, ksym.typed], ["_stext", true, false]);
  const spec = loadObjectSpec(bytesOf(path), { name: path, kconfig: { LINUX_KERNEL_VERSION: 1, CONFIG_HZ: 100 }, ksyms: EXTERN_VALUES.ksyms! });
  const v = spec.maps.find((m) => m.origin === "kconfig")!.contents![0]!.value!;
  assert.equal(v[16], 0); // CONFIG_BPF_SYSCALL is __weak
  assert.throws(
    () => loadObjectSpec(bytesOf(path), { name: path, kconfig: { ...EXTERN_VALUES.kconfig!, CONFIG_HZ: "lots" }, ksyms: EXTERN_VALUES.ksyms! }),
    (e: unknown) => e instanceof ObjectError && /extern CONFIG_HZ: value "lots"/.test(e.message),
  );
});

test("func and line info follow the appended subprograms; sourceLine finds an instruction's line", () => {
  const spec = openFixture("subprogs.bpf.o");
  const p = spec.programs[1]!;
  const first = sourceLine(p, 0)!;
  assert.equal(first.file, "./subprogs.bpf.c");
  assert.match(first.text, /socket_fold|skb->len|fold/);
  // The last instruction belongs to mix or fold, whose lines come from their own source lines.
  const last = sourceLine(p, p.instructions.length - 1)!;
  assert.match(last.text, /return|mix|fold/);
  assert.equal(sourceLine(p, p.instructions.length), undefined);
  for (let i = 1; i < p.lineInfo.length; i++) assert.ok(p.lineInfo[i]!.insnOff >= p.lineInfo[i - 1]!.insnOff || p.funcInfo.some((f) => f.insnOff === p.lineInfo[i]!.insnOff));
});

test("the spec's program instructions are what the ELF section holds, apart from relocated loads and calls", () => {
  const path = new URL("../fixtures/maps-helpers.bpf.o", import.meta.url).pathname;
  const elf = readElf(bytesOf(path));
  const raw = decode(elf.section("xdp")!.data);
  const spec = openFixture(basename(path));
  const p = spec.programs[0]!;
  assert.equal(p.instructions.length, raw.length);
  const touched = new Set(p.references.map((r) => r.insnIndex));
  p.instructions.forEach((ins, i) => {
    if (!touched.has(i)) assert.deepEqual(ins, raw[i], `insn ${i}`);
  });
});

test("the object core imports no Node-only module (only the kernel engine and its pins, loaded on demand, do)", () => {
  const dir = new URL("../../src/object/", import.meta.url).pathname;
  // The kernel engine and what it reads of the running kernel (host.ts) and its pins (kernel-pins.ts) are the Node edge.
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts") && n !== "kernel-engine.ts" && n !== "host.ts" && n !== "kernel-pins.ts")) {
    const text = readFileSync(join(dir, f), "utf8");
    assert.doesNotMatch(text, /from "node:/, f);
    for (const m of text.matchAll(/^import (type )?[^;]*from "\.\.\/kernel\/[^"]+";/gm)) assert.ok(m[1], `${f}: a value import of the kernel backend: ${m[0]}`);
  }
});

test("a CO-RE relocation libbpf cannot resolve fails that program's load, not the open", async () => {
  // Two layouts of struct task_struct in the target: field offsets are ambiguous, as libbpf says.
  const target = parseBtf(buildBtf([
    { name: "int", kind: 1, sizeOrType: 4, extra: [(1 << 24) | 32] },
    { name: "task_struct", kind: 4, vlen: 1, sizeOrType: 8, extra: ["pid", 1, 0] },
    { name: "task_struct", kind: 4, vlen: 1, sizeOrType: 8, extra: ["pid", 1, 32] },
  ]).bytes);
  const spec = openFixture("core.bpf.o", { targetBtf: target });
  const p = spec.programs[0]!;
  assert.match(p.loadError ?? "", /CO-RE relocation .*ambiguity/);
  await assert.rejects(loadObject(spec, { engine: "interp" }), (e: unknown) => e instanceof ObjectError && /ambiguity/.test(e.message));
});

test("a __hidden global subprogram gets static BTF linkage, as libbpf's mark_btf_static; a plain global keeps its own", () => {
  const corpus = join(import.meta.dirname, "../verifier/corpus");
  const linkage = (object: string, fn: string) => {
    const spec = loadObjectSpec(new Uint8Array(readFileSync(join(corpus, object))), { name: object });
    const t = spec.btf!.types.find((x) => x.kind === "func" && x.name === fn);
    return t?.kind === "func" ? t.linkage : undefined;
  };
  assert.equal(linkage("hidden-arg-fetch.bpf.o", "fetch_arg"), "static");
  assert.equal(linkage("hidden-arg-fetch.bpf.o", "on_marker"), "global");
  assert.equal(linkage("global-func-args.bpf.o", "flow_hash"), "global");
});

test("__arena globals go in the last pages of the object's one arena, as libbpf places them", () => {
  const path = new URL("../verifier/corpus/arena-records.bpf.o", import.meta.url).pathname;
  const spec = loadObjectSpec(bytesOf(path), { name: path });
  const arena = spec.maps.find((m) => m.type === "arena")!;
  assert.equal(arena.name, "arena");
  // 4 pages of 4096 bytes; 24 bytes of globals take the last page.
  assert.equal(arena.arenaData!.offset, 3 * 4096);
  assert.deepEqual([...arena.arenaData!.bytes.subarray(0, 8)], [7, 0, 0, 0, 0, 0, 0, 0], "generation = 7, first in .addr_space.1");
  assert.equal(arena.arenaData!.bytes.length, 24);
  assert.ok(!spec.maps.some((m) => m.section === ".addr_space.1"), "no global data map for the arena's section");
  const refs = spec.programs.find((p) => p.name === "add_records")!.references.filter((r) => r.kind === "data");
  // head (at 8) and total (at 16), each the arena's address plus where the globals start.
  assert.deepEqual([...new Set(refs.map((r) => `${r.name}+${r.offset}`))].sort(), ["arena+12296", "arena+12304"]);
  const read = spec.programs.find((p) => p.name === "read_generation")!;
  const ld = read.instructions[read.references.find((r) => r.kind === "data")!.insnIndex]!;
  assert.equal(ld.src, PseudoLd.MapValue);
  assert.equal(Number(ld.imm64! >> 32n), 12288);
});
