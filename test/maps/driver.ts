/**
 * @fileoverview A map driver: one XDP program that performs the map operation its packet
 * names (`op u32, flags u32, key, value`) through the map helpers and writes what it got
 * back into the packet, loaded into the kernel and into the runtime over the same map
 * shape. Playing one script through both shows a program sees the same values and
 * errors in each.
 */

import { assemble } from "../../src/isa/assembler.js";
import type { Instruction } from "../../src/isa/instruction.js";
import { KernelProgram, type KernelMap } from "../../src/kernel/index.js";
import type { BpfMap } from "../../src/maps/index.js";
import { runtimeOf } from "./diff.js";

/** The operations the driver knows, as the packet's first word. */
export const Op = { Lookup: 1, Update: 2, Delete: 3, Push: 4, Pop: 5, Peek: 6 } as const;

/** Which helpers the map type takes: element ops, queue/stack ops, or a bloom filter's push and peek. */
export type DriverKind = "elem" | "queue" | "bloom";

/** The driver for a map of this shape: XDP, returns r0 (lookup: 1 found, 0 not) and the value in the packet. */
export function driverSource(keySize: number, valueSize: number, kind: DriverKind = "elem"): string {
  const k = -(Math.ceil(keySize / 8) * 8) - 8, v = k - Math.ceil(valueSize / 8) * 8 - 8;
  const vAt = 8 + keySize;
  const lines: string[] = [
    "r6 = *(u32 *)(r1 + 0)",
    "r7 = *(u32 *)(r1 + 4)",
    "r2 = r6",
    `r2 += ${vAt + valueSize}`,
    "if r2 > r7 goto short",
  ];
  for (let i = 0; i < keySize; i++) lines.push(`r3 = *(u8 *)(r6 + ${8 + i})`, `*(u8 *)(r10 ${k + i}) = r3`);
  for (let i = 0; i < valueSize; i++) lines.push(`r3 = *(u8 *)(r6 + ${vAt + i})`, `*(u8 *)(r10 ${v + i}) = r3`);
  const copyOut = (from: string) => Array.from({ length: valueSize }, (_, i) => [`r3 = *(u8 *)(${from} + ${i})`, `*(u8 *)(r6 + ${vAt + i}) = r3`]).flat();
  const has = (op: string) => kind === "elem" ? ["lookup", "update", "delete"].includes(op) : kind === "queue" ? ["push", "pop", "peek"].includes(op) : ["push", "peek"].includes(op);
  lines.push("r8 = *(u32 *)(r6 + 0)", "r9 = *(u32 *)(r6 + 4)");
  ["lookup", "update", "delete", "push", "pop", "peek"].forEach((op, i) => { if (has(op)) lines.push(`if r8 == ${i + 1} goto ${op}`); });
  lines.push("short:", "r0 = 99", "exit");
  const call = (op: string, id: number, args: string[], after: string[]) => {
    if (!has(op)) return;
    lines.push(`${op}:`, "r1 = map[m] ll", ...args, `call ${id}`, ...after);
  };
  const keyArg = ["r2 = r10", `r2 += ${k}`];
  const valueArg = (reg: string) => [`${reg} = r10`, `${reg} += ${v}`];
  call("lookup", 1, keyArg, ["if r0 == 0 goto lookup_done", ...copyOut("r0"), "r0 = 1", "lookup_done:", "exit"]);
  call("update", 2, [...keyArg, ...valueArg("r3"), "r4 = r9"], ["exit"]);
  call("delete", 3, keyArg, ["exit"]);
  call("push", 87, [...valueArg("r2"), "r3 = r9"], ["exit"]);
  const popped = (op: string) => [`if r0 != 0 goto ${op}_out`, "r5 = r10", `r5 += ${v}`, ...copyOut("r5"), "r0 = 0", `${op}_out:`, "exit"];
  call("pop", 88, valueArg("r2"), popped("pop"));
  call("peek", 89, valueArg("r2"), kind === "bloom" ? ["exit"] : popped("peek"));
  return lines.join("\n");
}

/** A driver bound to one map: `run(op, flags, key, value)` gives r0 (as a signed 32-bit number) and the value bytes after the call. */
export interface Driver {
  run(op: number, flags: number, key: Uint8Array, value: Uint8Array): { r0: number; value: Uint8Array };
  close(): void;
}

function packet(op: number, flags: number, key: Uint8Array, value: Uint8Array): Uint8Array {
  // At least an Ethernet header: XDP test runs refuse shorter packets.
  const p = new Uint8Array(Math.max(14, 8 + key.length + value.length));
  const dv = new DataView(p.buffer);
  dv.setUint32(0, op, true);
  dv.setUint32(4, flags, true);
  p.set(key, 8);
  p.set(value, 8 + key.length);
  return p;
}

const program = (keySize: number, valueSize: number, kind: DriverKind): Instruction[] => assemble(driverSource(keySize, valueSize, kind)).instructions;

/** The driver over a kernel map. */
export function kernelDriver(map: KernelMap, kind: DriverKind = "elem", keySize = map.keySize, valueSize = map.valueSize): Driver {
  const insns = program(keySize, valueSize, kind).map((i) => (i.opcode === 0x18 && i.src === 1 ? { ...i, imm: map.fd, imm64: BigInt(map.fd) } : i));
  const prog = KernelProgram.load({ type: "xdp", instructions: insns, name: "maps_driver" });
  return {
    run(op, flags, key, value) {
      const r = prog.testRun({ data: packet(op, flags, key, value) });
      return { r0: r.retval | 0, value: r.data!.slice(8 + key.length, 8 + key.length + value.length) };
    },
    close: () => prog.close(),
  };
}

/** The driver over a runtime map (its own Runtime over the map's address space). */
export function runtimeDriver(map: BpfMap, kind: DriverKind = "elem", keySize = map.keySize, valueSize = map.valueSize): Driver {
  const rt = runtimeOf(map.space);
  const prog = rt.load(program(keySize, valueSize, kind), { type: "xdp", resolveLoad: (i) => (i.src === 1 ? map.handle : undefined) });
  return {
    run(op, flags, key, value) {
      const r = prog.testRun({ data: packet(op, flags, key, value) });
      return { r0: r.retval | 0, value: r.data!.slice(8 + key.length, 8 + key.length + value.length) };
    },
    close: () => undefined,
  };
}
