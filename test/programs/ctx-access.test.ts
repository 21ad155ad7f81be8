/**
 * @fileoverview The program-type table's context access rules against the kernel's
 * verifier: for each type (and attach type), one tiny program per offset, size and
 * direction, accepted or refused exactly as the kernel does; for accepted loads, the
 * register type the kernel's log shows.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseBtf } from "../../src/btf/parse.js";
import { attachArgsOf, tracedArgs } from "../../src/programs/trace-context.js";
import { insn, type Instruction } from "../../src/isa/instruction.js";
import * as bpf from "../../src/kernel/bpf.js";
import { closeFd } from "../../src/kernel/native.js";
import { ProgFlags } from "../../src/kernel/uapi.js";
import type { CtxFieldType } from "../../src/programs/access.js";
import { verifierOpsFor } from "../../src/programs/table.js";
import { attachTypeId, programTypeId, type AttachTypeName, type ProgramTypeName } from "../../src/programs/types.js";
import { skip } from "../kernel/helpers.js";

const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };

function program(off: number, size: number, write: boolean, r0: number): Instruction[] {
  const access = write
    ? [insn(0xb7, 2, 0, 0, 0), insn(0x63 | SIZE_BITS[size]!, 1, 2, off, 0)] // r2 = 0; *(size *)(r1 + off) = r2
    : [insn(0x61 | SIZE_BITS[size]!, 2, 1, off, 0)]; // r2 = *(size *)(r1 + off)
  return [...access, insn(0xb7, 0, 0, 0, r0), insn(0x95, 0, 0, 0, 0)];
}

interface Case {
  readonly type: ProgramTypeName;
  readonly attachType?: AttachTypeName;
  /** Offsets to try: [from, to). */
  readonly offsets?: readonly [number, number];
}

function load(c: Case, insns: Instruction[], logLevel: number, attachBtfId?: number): { ok: boolean; log: string } {
  try {
    const { fd, log } = bpf.progLoad({
      progType: programTypeId(c.type),
      insns,
      license: "GPL",
      logLevel,
      logOnFailure: false,
      expectedAttachType: c.attachType === undefined ? undefined : attachTypeId(c.attachType),
      progFlags: c.type === "syscall" ? ProgFlags.Sleepable : undefined,
      attachBtfId,
    });
    closeFd(fd);
    return { ok: true, log };
  } catch (e) {
    return { ok: false, log: (e as { log?: string }).log ?? String(e) };
  }
}

/** The kernel's name in a register state (`R2_w=pkt(r=0)`) for each type the table names. */
const LOG_TYPES: Record<CtxFieldType, RegExp> = {
  scalar: /R2_?w?=(scalar|-?\d|0x)/,
  packet: /R2_?w?=pkt\(/,
  packet_meta: /R2_?w?=pkt_meta\(/,
  packet_end: /R2_?w?=pkt_end\(/,
  flow_keys: /R2_?w?=flow_keys\(/,
  sock_common_or_null: /R2_?w?=sock_common_or_null\(/,
  socket: /R2_?w?=sock\(/,
  socket_or_null: /R2_?w?=sock_or_null\(/,
  btf_id: /R2_?w?=(trusted_)?ptr_/,
  btf_id_or_null: /R2_?w?=(trusted_)?ptr_or_null_/,
  trusted_btf_id: /R2_?w?=trusted_ptr_/,
  mem: /R2_?w?=mem\(/,
  mem_end: /R2_?w?=mem_end/,
  tp_buffer: /R2_?w?=tp_buffer\(/,
};

export function compare(c: Case): string[] {
  const ops = verifierOpsFor(c.type);
  const r0 = ops.returnRange(c.attachType)?.min ?? 0;
  const [from, to] = c.offsets ?? [-4, ops.ctxSize + 8];
  const diffs: string[] = [];
  for (let off = from; off < to; off++) {
    for (const size of [1, 2, 4, 8]) {
      for (const write of [false, true]) {
        const ours = ops.isValidAccess({ off, size, write, attachType: c.attachType });
        const kernel = load(c, program(off, size, write, r0), 0);
        const what = `${c.type}${c.attachType ? `/${c.attachType}` : ""} ${write ? "write" : "read"} off=${off} size=${size}`;
        if (ours.ok !== kernel.ok) {
          diffs.push(`${what}: kernel ${kernel.ok ? "accepts" : "refuses"}, table ${ours.ok ? "accepts" : "refuses"}`);
          continue;
        }
        if (ours.ok && !write) {
          const { log } = load(c, program(off, size, write, r0), 2);
          const line = log.split("\n").find((l) => l.startsWith("0: (")) ?? "";
          if (!LOG_TYPES[ours.type].test(line)) diffs.push(`${what}: table says ${ours.type}, kernel log: ${line.trim()}`);
        }
      }
    }
  }
  return diffs;
}

export const CASES: readonly Case[] = [
  { type: "socket_filter" }, { type: "sched_cls" }, { type: "sched_act" },
  { type: "xdp" }, { type: "xdp", attachType: "xdp_devmap" },
  { type: "cgroup_skb", attachType: "cgroup_inet_ingress" }, { type: "cgroup_skb", attachType: "cgroup_inet_egress" },
  { type: "lwt_in" }, { type: "lwt_out" }, { type: "lwt_xmit" }, { type: "lwt_seg6local" },
  { type: "sk_skb" }, { type: "flow_dissector" },
  { type: "cgroup_sock", attachType: "cgroup_inet_sock_create" }, { type: "cgroup_sock", attachType: "cgroup_inet4_post_bind" },
  { type: "cgroup_sock", attachType: "cgroup_inet6_post_bind" },
  { type: "cgroup_sock_addr", attachType: "cgroup_inet4_connect" }, { type: "cgroup_sock_addr", attachType: "cgroup_inet6_connect" },
  { type: "cgroup_sock_addr", attachType: "cgroup_udp4_sendmsg" }, { type: "cgroup_sock_addr", attachType: "cgroup_udp6_sendmsg" },
  { type: "cgroup_sock_addr", attachType: "cgroup_udp4_recvmsg" }, { type: "cgroup_sock_addr", attachType: "cgroup_unix_connect" },
  { type: "sock_ops" }, { type: "sk_msg" }, { type: "sk_reuseport" }, { type: "sk_lookup", attachType: "sk_lookup" },
  { type: "cgroup_device" }, { type: "cgroup_sysctl" },
  { type: "cgroup_sockopt", attachType: "cgroup_getsockopt" }, { type: "cgroup_sockopt", attachType: "cgroup_setsockopt" },
  { type: "kprobe" }, { type: "tracepoint", offsets: [-4, 80] }, { type: "perf_event" },
  { type: "raw_tracepoint" }, { type: "raw_tracepoint_writable" },
  { type: "netfilter", attachType: "netfilter" }, { type: "syscall", offsets: [-4, 72] },
];

for (const c of CASES) {
  test(`${c.type}${c.attachType ? ` (${c.attachType})` : ""}: every context access as the kernel's verifier decides`, { skip }, () => {
    assert.deepEqual(compare(c).slice(0, 12), []);
  });
}

test("fentry, fexit, lsm, ext and struct_ops contexts are not compared: loading them gives EPERM here", { skip: "no BTF-target loads on this kernel (EPERM)" }, () => {});

/** r0 values tried at exit against each type's return range. */
const RETURNS = [-1, 0, 1, 2, 3, 4, 7];

test("return ranges: a program exiting with each value is accepted or refused as check_return_code decides", { skip }, () => {
  const diffs: string[] = [];
  for (const c of CASES) {
    const range = verifierOpsFor(c.type).returnRange(c.attachType);
    for (const r0 of RETURNS) {
      const kernel = load(c, [insn(0xb7, 0, 0, 0, r0), insn(0x95, 0, 0, 0, 0)], 0).ok;
      const ours = range === undefined || (r0 >= range.min && r0 <= range.max);
      if (kernel !== ours) diffs.push(`${c.type}/${c.attachType ?? ""} r0=${r0}: kernel ${kernel ? "accepts" : "refuses"}`);
    }
  }
  assert.deepEqual(diffs, []);
});

const VMLINUX = "/sys/kernel/btf/vmlinux";
test("tp_btf: argument slots typed by the target's BTF prototype, each offset and size as the kernel decides", { skip: skip || (existsSync(VMLINUX) ? false : "no vmlinux BTF") }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const ops = verifierOpsFor("tracing");
  const diffs: string[] = [];
  for (const tp of ["sched_switch", "sys_enter", "kfree_skb", "sched_process_exec"]) {
    const target = btf.byName(`btf_trace_${tp}`, "typedef")[0]!.id;
    const attachArgs = attachArgsOf(tracedArgs(btf, tp, "tracepoint"));
    const c: Case = { type: "tracing", attachType: "trace_raw_tp" };
    for (let off = -8; off < 8 * (attachArgs.length + 1); off++) {
      for (const size of [1, 2, 4, 8]) {
        for (const write of [false, true]) {
          const ours = ops.isValidAccess({ off, size, write, attachType: "trace_raw_tp", attachArgs });
          const kernel = load(c, program(off, size, write, 0), ours.ok && !write ? 2 : 0, target);
          if (ours.ok !== kernel.ok) diffs.push(`${tp} ${write ? "write" : "read"} off=${off} size=${size}: kernel ${kernel.ok ? "accepts" : "refuses"}`);
          else if (ours.ok && !write) {
            // The state after insn 0 is on its line, or on the next instruction's state line.
            const lines = kernel.log.split("\n");
            const at = lines.findIndex((l) => l.startsWith("0: ("));
            const state = lines.slice(at, at + 4).join(" ");
            const named = !ours.btfType || state.includes(`ptr_${ours.btfType}(`) || state.includes(`ptr_or_null_${ours.btfType}(`);
            if (!LOG_TYPES[ours.type].test(state) || !named) diffs.push(`${tp} off=${off}: table says ${ours.type} ${ours.btfType ?? ""}, kernel log: ${state.trim()}`);
          }
        }
      }
    }
  }
  assert.deepEqual(diffs.slice(0, 12), []);
});
