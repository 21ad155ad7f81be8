/**
 * @fileoverview The helper prototypes against the kernel's verifier: for each helper, a
 * program that may call it passes a wrong value in one argument, and the kernel's
 * complaint (`R2 type=scalar expected=map_ptr`) must be what the row says that argument is.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/index.js";
import { HELPER_NAMES } from "../../src/helpers/names.js";
import type { ArgKind, ArgSpec, HelperProto, RetSpec } from "../../src/helpers/proto.js";
import { HELPER_PROTOS } from "../../src/helpers/protos.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { KernelMap, KernelProgram, type KernelProgramSpec, ProgFlags } from "../../src/kernel/index.js";
import { call, exit, ldMapFd, mov64Imm, mov64Reg, skip, st } from "../kernel/helpers.js";

/**
 * What the kernel's verifier lists as the register types an argument kind accepts
 * (compatible_reg_types in kernel/bpf/verifier.c, as check_reg_type prints them).
 */
const EXPECTED: Partial<Record<ArgKind, string>> = {
  const_map_ptr: "map_ptr",
  ptr_to_map_key: "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
  ptr_to_map_value: "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
  ptr_to_mem: "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
  ptr_to_ctx: "ctx",
  ptr_to_sock_common: "sock_common, sock, tcp_sock, xdp_sock",
  ptr_to_btf_id_sock_common: "sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
  ptr_to_btf_id: "ptr_, trusted_ptr_, rcu_ptr_",
  ptr_to_percpu_btf_id: "percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_",
  ptr_to_spin_lock: "map_value, ptr_",
  ptr_to_timer: "map_value",
  ptr_to_func: "func",
  ptr_to_const_str: "map_value",
  ptr_to_ringbuf_mem: "ringbuf_mem",
  kptr_xchg_dest: "map_value, ptr_",
  ptr_to_dynptr: "fp, dynptr_ptr",
  ptr_to_stack: "fp",
};
/** What the verifier calls r0 after a call returning `ret`, as a load through it shows. */
function RETURNS(ret: RetSpec): string {
  if (ret.kind === "void") return "R0 !read_ok";
  const names: Record<string, string> = { integer: "scalar", ptr_to_map_value: "map_value", ptr_to_socket: "sock", ptr_to_tcp_sock: "tcp_sock", ptr_to_sock_common: "sock_common", ptr_to_mem: ret.ringbuf ? "ringbuf_mem" : "mem", ptr_to_btf_id: "ptr_" };
  const name = names[ret.kind] ?? ret.kind;
  return `R0 invalid mem access '${ret.maybeNull ? (name === "ptr_" ? "ptr_or_null_" : `${name}_or_null`) : name}'`;
}

const SIZES: ReadonlySet<ArgKind> = new Set(["const_size", "const_size_or_zero", "const_alloc_size_or_zero"]);
const STACK_MEMORY: ReadonlySet<ArgKind> = new Set(["ptr_to_map_key", "ptr_to_map_value", "ptr_to_mem", "ptr_to_stack"]);

interface Candidate extends Omit<KernelProgramSpec, "instructions"> { readonly label: string }

/** Program types to try, in order; a helper is checked in every one that may call it. */
function candidates(): Candidate[] {
  const vmlinux = parseBtf(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  const btfId = (name: string, kind: "typedef" | "func") => vmlinux.byName(name, kind)[0]?.id;
  const plain = ["socket_filter", "sched_cls", "xdp", "kprobe", "tracepoint", "perf_event", "raw_tracepoint", "cgroup_skb", "cgroup_sock",
    "lwt_in", "lwt_xmit", "sock_ops", "sk_skb", "sk_msg", "lwt_seg6local", "sk_reuseport", "flow_dissector", "cgroup_sysctl",
    "cgroup_device", "syscall"] as const;
  return [
    ...plain.map((type) => ({ label: type, type })),
    { label: "cgroup_sock_addr", type: "cgroup_sock_addr", expectedAttachType: "cgroup_inet4_connect" },
    { label: "cgroup_sockopt", type: "cgroup_sockopt", expectedAttachType: "cgroup_setsockopt" },
    { label: "sk_lookup", type: "sk_lookup", expectedAttachType: "sk_lookup" },
    { label: "netfilter", type: "netfilter", expectedAttachType: "netfilter" },
    { label: "tp_btf", type: "tracing", expectedAttachType: "trace_raw_tp", attachBtfId: btfId("btf_trace_sched_switch", "typedef") },
    { label: "iter/task", type: "tracing", expectedAttachType: "trace_iter", attachBtfId: btfId("bpf_iter_task", "func") },
    { label: "iter.s/task", type: "tracing", expectedAttachType: "trace_iter", attachBtfId: btfId("bpf_iter_task", "func"), flags: ProgFlags.Sleepable },
    { label: "lsm/file_open", type: "lsm", expectedAttachType: "lsm_mac", attachBtfId: btfId("bpf_lsm_file_open", "func") },
    { label: "lsm.s/file_open", type: "lsm", expectedAttachType: "lsm_mac", attachBtfId: btfId("bpf_lsm_file_open", "func"), flags: ProgFlags.Sleepable },
  ];
}

/** Where a packet type's context holds data and data_end. */
const PACKET_CTX: Record<string, [number, number]> = { sched_cls: [76, 80], xdp: [0, 4] };

/** The load's complaint, or "" when it loads. */
function complaint(c: Candidate, instructions: Instruction[]): string {
  try {
    KernelProgram.load({ ...c, instructions, logLevel: 1, name: "helpers_proto" }).close();
    return "";
  } catch (e) {
    return (e as { summary?: string }).summary ?? String(e);
  }
}

/** Refusals that say the type may not call the helper (or cannot be loaded here), not what an argument must be. */
const NOT_CALLABLE = /unknown func|cannot use helper|cannot call|EINVAL \(|EPERM \(|ENOTSUPP|EOPNOTSUPP|not supported|attach/;

/**
 * A program that calls `id` with r1..r(n-1) set to values the row's arguments accept, r_n
 * to `bad` and the rest to 0; r6 keeps the context and r7 an unknown scalar.
 */
function probe(id: number, args: readonly ArgSpec[], n: number, bad: "zero" | "one" | "unknown", mapFd: number): Instruction[] | undefined {
  const out: Instruction[] = [mov64Reg(6, 1), call(7), mov64Reg(7, 0)];
  for (let off = -64; off < 0; off += 8) out.push(st("dw", 10, off, 0));
  for (let r = 1; r <= 5; r++) {
    const arg = args[r - 1];
    if (r === n) {
      out.push(bad === "unknown" ? mov64Reg(r, 7) : mov64Imm(r, bad === "one" ? 1 : 0));
      continue;
    }
    if (r > n || !arg || arg.kind === "anything" || arg.kind === "dontcare") { out.push(mov64Imm(r, 0)); continue; }
    if (arg.kind === "ptr_to_ctx") out.push(mov64Reg(r, 6));
    else if (arg.kind === "const_map_ptr") out.push(ldMapFd(r, mapFd));
    else if (STACK_MEMORY.has(arg.kind)) out.push(mov64Reg(r, 10), { opcode: 0x07, dst: r, src: 0, off: 0, imm: -64 });
    else if (SIZES.has(arg.kind)) out.push(mov64Imm(r, 8));
    else return undefined; // a kernel object this test cannot make: later arguments go unchecked
  }
  return [...out, call(id), mov64Imm(0, 0), exit()];
}

/**
 * In a packet program: r8 = data, r9 = data_end, 64 bytes bounds-checked, then the call with
 * valid arguments (the first memory argument pointing into the packet if `packetArg`),
 * then a load through r8 if `deref`. Undefined when the arguments cannot all be made.
 */
function packetProbe(c: Candidate, id: number, proto: HelperProto, mapFd: number, o: { deref: boolean; packetArg: boolean }): Instruction[] | undefined {
  const [data, dataEnd] = PACKET_CTX[c.label]!;
  const body = probe(id, proto.args, 6, "zero", mapFd);
  if (!body) return undefined;
  if (o.packetArg) {
    const k = proto.args.findIndex((x) => STACK_MEMORY.has(x.kind) && x.kind !== "ptr_to_stack") + 1;
    const mov = body.findIndex((i) => i.opcode === 0xbf && i.dst === k && i.src === 10);
    if (k === 0 || mov < 0) return undefined;
    body[mov] = mov64Reg(k, 8);
    body[mov + 1] = { ...body[mov + 1]!, imm: 0 };
  }
  if (o.deref) body.splice(body.findIndex((i) => i.opcode === 0x85 && i.imm === id) + 1, 0, { opcode: 0x71, dst: 0, src: 8, off: 0, imm: 0 });
  body.splice(1, 0,
    { opcode: 0x61, dst: 8, src: 1, off: data, imm: 0 }, { opcode: 0x61, dst: 9, src: 1, off: dataEnd, imm: 0 },
    mov64Reg(0, 8), { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 64 },
    { opcode: 0x2d, dst: 0, src: 9, off: 1, imm: 0 }, // if r0 > r9 goto +1
    { opcode: 0x05, dst: 0, src: 0, off: 1, imm: 0 }, // goto +1
    exit());
  return body;
}

/**
 * The flags a packet program's verifier reads: packet pointers held across the call are
 * invalidated exactly when the row changes packet data; a packet pointer is accepted as a
 * memory argument exactly when the row has pkt_access.
 */
function packetChecks(c: Candidate, id: number, proto: HelperProto, mapFd: number): string[] {
  const out: string[] = [];
  const held = packetProbe(c, id, proto, mapFd, { deref: true, packetArg: false });
  if (held) {
    const said = complaint(c, held);
    const invalidated = said === "R8 invalid mem access 'scalar'";
    // A refusal for another reason (a map type, a reference leak) says nothing either way.
    if ((said === "" || invalidated) && invalidated !== !!proto.changesPktData) out.push(`${id} ${proto.name}: changes_pkt_data is ${invalidated} in ${c.label}`);
  }
  const passed = packetProbe(c, id, proto, mapFd, { deref: false, packetArg: true });
  if (passed) {
    const said = complaint(c, passed);
    const refused = said === "helper access to the packet is not allowed";
    if ((said === "" || refused) && refused === !!proto.pktAccess) out.push(`${id} ${proto.name}: pkt_access is ${!refused} in ${c.label} ("${said}")`);
  }
  return out;
}

test("every helper's arguments are what the kernel's verifier demands", { skip, timeout: 300_000 }, () => {
  const map = KernelMap.create({ type: "array", keySize: 4, valueSize: 64, maxEntries: 1, name: "helpers_proto" });
  try {
    const types = candidates();
    const checked: number[] = [];
    const failures: string[] = [];
    for (let id = 1; id < HELPER_NAMES.length; id++) {
      const proto = HELPER_PROTOS[id]!;
      const zeros = probe(id, [], 0, "zero", map.fd)!;
      const said = types.map((c) => complaint(c, zeros));
      const callers = types.filter((_, k) => !NOT_CALLABLE.test(said[k]!) && !/might sleep/.test(said[k]!));
      if (callers.length === 0) continue;
      const sleeps = said.some((s) => /might sleep in a non-sleepable prog/.test(s));
      if (sleeps !== !!proto.mightSleep) failures.push(`${id} ${proto.name}: might_sleep is ${sleeps} in the kernel`);
      const gpl = complaint({ ...callers[0]!, license: "MIT" }, zeros).includes("GPL-restricted");
      if (gpl !== !!proto.gplOnly) failures.push(`${id} ${proto.name}: gpl_only is ${gpl} in the kernel (${callers[0]!.label})`);
      // The row is right if one of the types that may call the helper agrees on every argument.
      let best: string[] | undefined;
      for (const c of callers) {
        const wrong: string[] = [];
        for (let n = 1; n <= 5; n++) {
          const arg = proto.args[n - 1] ?? { kind: "dontcare" as const };
          const expected = EXPECTED[arg.kind];
          const run = (bad: "zero" | "one" | "unknown") => {
            const p = probe(id, proto.args, n, bad, map.fd);
            return p && complaint(c, p);
          };
          if (expected !== undefined) {
            const want = `R${n} type=scalar expected=${expected}`;
            const zero = run(arg.maybeNull ? "one" : "zero");
            if (zero === undefined) break;
            if (zero !== want) wrong.push(`arg${n} ${arg.kind}${arg.maybeNull ? " or null" : ""}: kernel says "${zero}"`);
            if (arg.maybeNull && (run("zero") ?? "").startsWith(`R${n} `)) wrong.push(`arg${n}: NULL refused`);
          } else if (SIZES.has(arg.kind)) {
            const unknown = run("unknown");
            if (unknown === undefined) break;
            if (!unknown.startsWith(`R${n} `)) wrong.push(`arg${n} ${arg.kind}: an unbounded size passed ("${unknown}")`);
            const zero = run("zero") ?? "";
            if ((arg.kind === "const_size") !== zero.startsWith(`R${n} `)) wrong.push(`arg${n} ${arg.kind}: zero gives "${zero}"`);
          } else {
            const any = run("unknown");
            if (any === undefined) break;
            if (any.startsWith(`R${n} `)) wrong.push(`arg${n} ${arg.kind}: kernel says "${any}"`);
          }
        }
        // What r0 is after the call: dereferencing it names its type unless it is a plain pointer.
        const full = probe(id, proto.args, 6, "zero", map.fd);
        if (full) {
          full.splice(full.length - 2, 0, { opcode: 0x71, dst: 1, src: 0, off: 0, imm: 0 }); // r1 = *(u8 *)(r0 + 0)
          const said = complaint(c, full);
          const want = RETURNS(proto.ret);
          if (said.startsWith("R0 ") && said !== want) wrong.push(`returns ${proto.ret.kind}: kernel says "${said}"`);
        }
        if (wrong.length === 0) { best = undefined; break; }
        if (!best || wrong.length < best.length) best = wrong.map((w) => `${c.label}: ${w}`);
      }
      for (const c of callers.filter((x) => PACKET_CTX[x.label])) failures.push(...packetChecks(c, id, proto, map.fd));
      checked.push(id);
      if (best) failures.push(`${id} ${proto.name}: ${best.join("; ")}`);
    }
    if (process.env.TSBPF_DEBUG) console.log(`unchecked: ${HELPER_NAMES.map((n, i) => (i > 0 && !checked.includes(i) ? `${i} ${n}` : "")).filter(Boolean).join(", ")}`);
    assert.deepEqual(failures, []);
    // Every helper this kernel lets some loadable type call is checked; the rest need attach targets.
    assert.ok(checked.length >= 170, `only ${checked.length} helpers could be checked`);
  } finally {
    map.close();
  }
});
